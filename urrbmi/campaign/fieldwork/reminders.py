"""The residents to remind (a promise, unreachable or not visited) and their list as a sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Date, case, func, literal, select
from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.access.scope import Principal
from urrbmi.campaign.fieldwork.kept import not_visited_by_village, usable
from urrbmi.campaign.fieldwork.members import (
    Filter,
    Member,
    MemberPage,
    check_people_page,
    kept_query,
    member_query,
    members_in_order,
    read_prefix,
    to_members,
)
from urrbmi.db.models import Campaign, Resident
from urrbmi.registry import audit
from urrbmi.registry.regions import get_region
from urrbmi.targets.cohort_reads import locate

REMIND = (None, "promised", "unreachable")  # latest outcome of a resident still to remind
CALLED = ("promised", "unreachable")  # those visited: read first, a few rows


def _order(c: Any, on: dt.date) -> tuple[Any, ...]:
    """The list's order over columns ``c`` (``outcome``, ``promised_on``, ``region_code``,
    ``household_id``, ``birth_date``, ``id``): promises first by the promised day, then the
    unreachable, then the others; each by village, household, birth date."""
    rank = case((c.outcome == "promised", 0), (c.outcome == "unreachable", 1), else_=2)
    promised = func.coalesce(c.promised_on, literal(on, Date))
    household = func.coalesce(c.household_id, "")
    return (rank, promised, c.region_code, household, c.birth_date, c.id)


def reminders(
    session: Session, p: Principal, c: Campaign, *, on: dt.date | None = None, region: str | None = None
) -> list[Member]:
    """Residents still to enroll whose latest outcome is a promise, unreachable or none (not
    visited): promises first by the promised day, then the unreachable, then the others (the
    whole list: the export; the page is :func:`reminders_page`)."""
    p.require("resident.read")
    on = on or clock.today()
    prefix = read_prefix(session, p, c, region)
    if prefix is None:
        return []
    keep = Filter(state="todo", outcomes=REMIND)
    q = member_query(session, p, c, prefix, on, keep=keep)
    return to_members(p, on, session.execute(q.order_by(*_order(q.selected_columns, on))))


def reminders_page(
    session: Session,
    p: Principal,
    c: Campaign,
    *,
    on: dt.date | None = None,
    region: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> MemberPage:
    """A page of :func:`reminders` and how many it holds in all. From the state kept as data when
    it is up to date: the visited (promised, unreachable) read in order, then the residents not
    visited located by village (those still to enroll per village, from the cohorts, less those
    visited) and read from those villages only; the page's residents alone evaluated live."""
    p.require("resident.read")
    on = on or clock.today()
    check_people_page(limit, offset)
    prefix = read_prefix(session, p, c, region)
    if prefix is None:
        return MemberPage(0, offset, limit, ())
    if not usable(session, c):  # live (a SQLite reader behind another writer)
        every = reminders(session, p, c, on=on, region=region)
        return MemberPage(len(every), offset, limit, tuple(every[offset : offset + limit]))
    called = kept_query(session, p, c, prefix, on, Filter(state="todo", outcomes=CALLED)).subquery()
    n_called = int(session.scalar(select(func.count()).select_from(called)) or 0)
    rids = list(
        session.scalars(select(called.c.id).order_by(*_order(called.c, on)).offset(offset).limit(limit))
    )
    rest_total, villages, before = locate(
        not_visited_by_village(session, c, prefix, on), max(0, offset - n_called), limit - len(rids)
    )
    if len(rids) < limit and villages:
        rest = kept_query(
            session,
            p,
            c,
            prefix,
            on,
            Filter(state="todo", outcomes=(None,)),
            [Resident.region_code.in_(villages)],
        ).subquery()
        skip = max(0, offset - n_called) - before
        rids += session.scalars(
            select(rest.c.id).order_by(*_order(rest.c, on)).offset(skip).limit(limit - len(rids))
        )
    return MemberPage(n_called + rest_total, offset, limit, members_in_order(session, p, c, prefix, on, rids))


REMINDER_HEADERS = (
    "村（社区）",
    "户号",
    "姓名",
    "身份证号",
    "联系电话",
    "人员身份",
    "个人应缴（元）",
    "走访结果",
    "承诺缴费日期",
    "走访日期",
    "说明",
)


def reminders_xlsx(rows: Iterable[Member], total: int, path: Path, *, title: str) -> Path:
    """The reminder list as an XLSX file at ``path``, streamed row by row (a county's list is
    half a million rows): amounts as numbers, phone numbers as text."""
    from urrbmi.export import Book

    book = Book(streaming=True)
    sheet = book.sheet("催缴提醒")
    sheet.layout((14, 10, 10, 22, 16, 16, 14, 14, 14, 12, 30), freeze="A4")
    sheet.heading(title)
    sheet.append([f"共{total}人"])
    sheet.append(list(REMINDER_HEADERS))
    for m in rows:
        sheet.append(
            [
                m.village,
                m.household,
                m.name,
                m.id_number,
                m.phone or "",
                "、".join(m.identities),
                m.individual_due,
                m.outcome_zh or "未走访",
                m.promised_on,
                m.visited_on,
                m.reason or "",
            ]
        )
    return book.save(path)


EXPORT_CHUNK = 1000  # residents evaluated at a time for the export


def _whole_list(
    session: Session, p: Principal, c: Campaign, prefix: str, on: dt.date, region: str | None
) -> tuple[int, Iterable[Member]]:
    """The whole reminder list, in its order, for the export, and how many it holds. From the
    kept state when it is up to date: the residents' ids read in order (one query), then their
    state evaluated :data:`EXPORT_CHUNK` at a time, so memory stays flat however large the list
    (each chunk planned for its ids: :func:`read_prefix` asked for custom plans); otherwise
    :func:`reminders`."""
    if not usable(session, c):
        every = reminders(session, p, c, on=on, region=region)
        return len(every), every
    kept = kept_query(session, p, c, prefix, on, Filter(state="todo", outcomes=REMIND)).subquery()
    rids = list(session.scalars(select(kept.c.id).order_by(*_order(kept.c, on))))

    def members() -> Iterator[Member]:
        for start in range(0, len(rids), EXPORT_CHUNK):
            yield from members_in_order(session, p, c, prefix, on, rids[start : start + EXPORT_CHUNK])

    return len(rids), members()


@dataclass(frozen=True)
class ReminderFile:
    name: str  # the download's file name, in Chinese
    rows: int
    on: dt.date
    audit: audit.Export  # to append once the file is written (audit.Export.write)


def reminder_file(
    session: Session,
    p: Principal,
    c: Campaign,
    path: Path,
    *,
    on: dt.date | None = None,
    region: str | None = None,
    actor: str,
) -> ReminderFile:
    """The reminder list of the user's region (or ``region``) as an XLSX file written to
    ``path``, with phone numbers (masked unless the role has ``contact.read``); a file of names
    and phone numbers leaves the system, so the export is audited (who, where, how many): the
    caller appends ``audit`` when the file is written."""
    p.require("resident.read")
    day = on or clock.today()
    prefix = read_prefix(session, p, c, region)
    total, rows = (0, ()) if prefix is None else _whole_list(session, p, c, prefix, day, region)
    place = get_region(session, region or p.region_code).name
    reminders_xlsx(rows, total, path, title=f"{place}催缴提醒名单（{day:%Y年%m月%d日}）")
    shown = audit.shown(phones=p.can("contact.read"))
    trail = audit.Export(actor, c.id, "催缴提醒名单", region or p.region_code, day, total, shown)
    return ReminderFile(f"{place}催缴提醒名单-{day.isoformat()}.xlsx", total, day, trail)
