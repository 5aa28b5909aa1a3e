"""Lists for action (工作清单): residents not yet enrolled by village with last year's status,
hardship residents not yet enrolled with the staged deadline, residents whose identity changed
after payment. Every function pages on the server (``limit`` at most :data:`MAX_LIMIT`) and
masks ID numbers unless ``full_ids``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.campaign.campaigns import campaign_policy
from urrbmi.db.models import Campaign, Region, Resident
from urrbmi.db.models_fieldwork import ResidentContact
from urrbmi.errors import InvalidInput
from urrbmi.imports import phones
from urrbmi.money import from_fen
from urrbmi.registry import audit
from urrbmi.targets.counting import resident_rows, todo_page
from urrbmi.targets.store import campaign_or_fail

MAX_LIMIT = 1000
GROUP_NAMES = {"all": "全体居民", "general": "普通居民", "students": "学生", "low_income": "低收入人口"}


@dataclass(frozen=True)
class Page:
    """One page of a list: ``total`` rows in all, ``rows`` from ``offset``."""

    title: str
    headers: tuple[str, ...]
    keys: tuple[str, ...]
    total: int
    offset: int
    limit: int
    rows: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = ()


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InvalidInput(
            f"每页条数须在1到{MAX_LIMIT}之间，起始位置不能为负", f"limit must be 1..{MAX_LIMIT}, offset >= 0"
        )


def household_heads(session: Session, households: Sequence[str]) -> dict[str, str]:
    """household_id -> the household head's name. The registry records no relation to the head:
    the head is the member who is another member's guardian (a minor's guardian is the head of
    the minor's household), else the oldest member (docs/decisions.md, assumed)."""
    if not households:
        return {}
    members = session.execute(
        select(Resident.id, Resident.household_id, Resident.name, Resident.birth_date, Resident.guardian_id)
        .where(Resident.household_id.in_(list(households)))
        .order_by(Resident.household_id, Resident.birth_date, Resident.id)
    ).all()
    guardians = {g for *_, g in members if g is not None}
    heads: dict[str, str] = {}
    oldest: dict[str, str] = {}
    for rid, hh, name, _born, _g in members:
        if hh is None:
            continue
        oldest.setdefault(hh, name)
        if rid in guardians:
            heads.setdefault(hh, name)
    return {hh: heads.get(hh, name) for hh, name in oldest.items()}


def _people(
    session: Session, rids: Sequence[int], full_ids: bool, full_phones: bool = False
) -> dict[int, dict[str, Any]]:
    if not rids:
        return {}
    rows = session.execute(
        select(
            Resident.id,
            Resident.id_number,
            Resident.name,
            Resident.region_code,
            Region.name,
            Resident.household_id,
            ResidentContact.phone,
        )
        .join(Region, Region.code == Resident.region_code)
        .outerjoin(ResidentContact, ResidentContact.resident_id == Resident.id)
        .where(Resident.id.in_(list(rids)))
    ).all()
    heads = household_heads(session, sorted({hh for *_, hh, _p in rows if hh}))
    return {
        rid: {
            "id_number": number if full_ids else ids.mask(number),
            "name": name,
            "village_code": village,
            "village": vname,
            "household_head": heads.get(hh, "") if hh else "",
            "phone": phones.shown(phone, full_phones),
        }
        for rid, number, name, village, vname, hh, phone in rows
    }


def _page(
    session: Session,
    frame: pl.DataFrame,
    *,
    total: int | None = None,
    title: str,
    extra: tuple[tuple[str, str], ...],
    limit: int,
    offset: int,
    full_ids: bool,
    full_phones: bool = False,
    notes: tuple[str, ...] = (),
) -> Page:
    if total is None:  # the whole list: this page cut from it
        total, frame = frame.height, frame.sort(["village", "rid"]).slice(offset, limit)
    rows = _rows(session, frame, extra, full_ids, full_phones)
    cols = (*BASE_COLUMNS, *extra)
    return Page(
        title, tuple(h for _, h in cols), tuple(k for k, _ in cols), total, offset, limit, tuple(rows), notes
    )


BASE_COLUMNS = (
    ("village", "村（社区）"),
    ("village_code", "区划代码"),
    ("household_head", "户主"),
    ("name", "姓名"),
    ("id_number", "身份证号"),
    ("phone", "联系电话"),
)


def _rows(
    session: Session,
    part: pl.DataFrame,
    extra: tuple[tuple[str, str], ...],
    full_ids: bool,
    full_phones: bool = False,
) -> list[dict[str, Any]]:
    people = _people(session, part.get_column("rid").to_list(), full_ids, full_phones)
    return [
        {**people[r["rid"]], **{k: _value(k, r[k]) for k, _ in extra}} for r in part.iter_rows(named=True)
    ]


MONEY_KEYS = frozenset({"due"})  # columns held in fen, shown as Decimal yuan


def _value(key: str, v: Any) -> Any:
    return from_fen(v) if key in MONEY_KEYS and v is not None else v


def not_enrolled(
    session: Session,
    campaign_id: int,
    *,
    on: dt.date,
    scope: str = "",
    limit: int = 100,
    offset: int = 0,
    full_ids: bool = False,
    full_phones: bool = False,
) -> Page:
    """Living residents not enrolled at ``on`` and not insured elsewhere or under employee
    insurance, by village, with last year's status (上年已参保 / 上年职工医保 / 上年外地参保 /
    上年未参保) and the individual amount due. Phone numbers masked unless ``full_phones``."""
    _check_page(limit, offset)
    total, part = todo_page(session, campaign_id, on, scope, limit=limit, offset=offset)
    return _page(
        session,
        part.with_columns(due=pl.col("individual_fen")),
        total=total,
        title=f"{place_name(session, scope)}未参保人员清单（截至{on:%Y-%m-%d}）",
        extra=NOT_ENROLLED_EXTRA,
        limit=limit,
        offset=offset,
        full_ids=full_ids,
        full_phones=full_phones,
    )


NOT_ENROLLED_EXTRA = (("last_status", "上年参保情况"), ("due", "个人应缴（元）"))


def _not_enrolled_frame(session: Session, campaign_id: int, on: dt.date, scope: str) -> pl.DataFrame:
    # the amount due in fen here; a row carries it as exact Decimal yuan (_rows: a number cell in
    # Excel, "Y.FF" in JSON)
    return resident_rows(session, campaign_id, on, scope).with_columns(due=pl.col("individual_fen"))


def place_name(session: Session, scope: str) -> str:
    """The name of the town or village a list is narrowed to (its title says where): '' for a
    county or wider."""
    if len(scope) < 9:
        return ""
    code = scope.ljust(12, "0")
    names = session.execute(select(Region.code, Region.name).where(Region.code.in_({code, scope}))).all()
    by = dict(names)
    return by.get(scope) or by.get(code) or ""


def write_not_enrolled_xlsx(
    session: Session,
    campaign_id: int,
    path: Path,
    *,
    on: dt.date,
    scope: str = "",
    full_ids: bool = False,
    full_phones: bool = False,
) -> tuple[Path, int]:
    """Every resident of :func:`not_enrolled` (not one page) in one sheet, streamed in chunks of
    :data:`MAX_LIMIT`: title, Chinese headers with village, household head and phone, last year's
    status, the amount due as a number cell. Returns the path and the number of rows."""
    from urrbmi.export import Book

    frame = _not_enrolled_frame(session, campaign_id, on, scope).sort(["village", "rid"])
    cols = (*BASE_COLUMNS, *NOT_ENROLLED_EXTRA)
    book = Book(streaming=True)
    sheet = book.sheet("未参保人员")
    sheet.append([f"{place_name(session, scope)}未参保人员清单（截至{on:%Y-%m-%d}）"])
    sheet.append([f"共{frame.height}人"])
    sheet.append([h for _, h in cols])
    for start in range(0, frame.height, MAX_LIMIT):
        for r in _rows(session, frame.slice(start, MAX_LIMIT), NOT_ENROLLED_EXTRA, full_ids, full_phones):
            sheet.append([r[k] for k, _ in cols])
    return book.save(path), frame.height


def export_not_enrolled_xlsx(
    session: Session,
    campaign_id: int,
    path: Path,
    *,
    on: dt.date,
    scope: str,
    actor: str,
    full_ids: bool = False,
    full_phones: bool = False,
) -> tuple[str, audit.Export]:
    """:func:`write_not_enrolled_xlsx` for a download. Written to ``path``, not returned as
    bytes: early in a campaign the list is most of the county, and the workbook is streamed, not
    built in memory. A file of names and phone numbers leaves the system, so the export is
    audited (who, where, how many): the caller appends the returned row once the file is written.
    Returns the place's name and that row."""
    _, n = write_not_enrolled_xlsx(
        session, campaign_id, path, on=on, scope=scope, full_ids=full_ids, full_phones=full_phones
    )
    shown = audit.shown(phones=full_phones, ids=full_ids)
    return place_name(session, scope), audit.Export(actor, campaign_id, "未参保人员清单", scope, on, n, shown)


@dataclass(frozen=True)
class Stage:
    """A deadline for a group of categories (codes), from the campaign's policy."""

    label: str
    categories: frozenset[str]
    deadline: dt.date | None
    cite: str


def hardship_stages(c: Campaign) -> list[Stage]:
    """The policy's staged deadlines naming categories (昌吉: 困难群众 by 2022-11-30) and its
    low-income targets (丰都: 100% within the centralized window, deadline = the window's end).
    Without either: the subsidised groups of the policy, with no deadline."""
    policy = campaign_policy(c)
    m = policy.model
    vocab = policy.vocabulary
    out: list[Stage] = []
    for sd in m.targets.staged_deadlines:
        if sd.categories:
            out.append(Stage(sd.group, frozenset(vocab.code(x) for x in sd.categories), sd.by, sd.cite))
    windows = {ms.code: ms.end for ms in m.milestones}
    for t in m.targets.rates:
        if t.categories:
            end = windows.get(t.within_window) if t.within_window else None
            label = f"{GROUP_NAMES.get(t.group, t.group)}参保率{t.rate}%"
            out.append(Stage(label, frozenset(vocab.code(x) for x in t.categories), end, t.cite))
    if not out:
        cats = frozenset(policy.subsidy_by_category)
        out.append(Stage("资助参保对象", cats, None, m.subsidies_cite))
    return out


def hardship_not_enrolled(
    session: Session,
    campaign_id: int,
    *,
    on: dt.date,
    scope: str = "",
    limit: int = 100,
    offset: int = 0,
    full_ids: bool = False,
    full_phones: bool = False,
) -> Page:
    """Hardship residents (categories of the assessment in a staged deadline's group) not
    enrolled at ``on``, with the group, its deadline and the days left (negative: overdue)."""
    _check_page(limit, offset)
    c = campaign_or_fail(session, campaign_id)
    stages = hardship_stages(c)
    wanted = sorted({code for s in stages for code in s.categories}) if stages else None
    total, part = todo_page(session, campaign_id, on, scope, limit=limit, offset=offset, categories=wanted)
    # each resident in the first stage whose group names one of their identities
    groups: list[tuple[str, str, str]] = []
    for cats in part.get_column("categories").fill_null("").to_list():
        mine = set(cats.split(","))
        stage = next((s for s in stages if mine & s.categories), None)
        groups.append(
            ("", "", "")
            if stage is None
            else (
                stage.label,
                stage.deadline.isoformat() if stage.deadline else "",
                str((stage.deadline - on).days) if stage.deadline else "",
            )
        )
    frame = part.with_columns(
        group=pl.Series([g for g, _d, _l in groups], dtype=pl.Utf8),
        deadline=pl.Series([d for _g, d, _l in groups], dtype=pl.Utf8),
        days_left=pl.Series([left for _g, _d, left in groups], dtype=pl.Utf8),
    )
    notes = tuple(f"{s.label}：{s.deadline or '无期限'}（{s.cite}）" for s in stages)
    return _page(
        session,
        frame,
        total=total,
        title=f"困难群众未参保清单（截至{on:%Y-%m-%d}）",
        extra=(("group", "群体"), ("deadline", "完成时限"), ("days_left", "剩余天数")),
        limit=limit,
        offset=offset,
        full_ids=full_ids,
        full_phones=full_phones,
        notes=notes,
    )


def identity_changed(
    session: Session,
    campaign_id: int,
    *,
    on: dt.date,
    scope: str = "",
    limit: int = 100,
    offset: int = 0,
    actor: str,
) -> Page:
    """Residents who paid and whose identities on ``on`` differ from those assessed, with what
    follows under the policy (:func:`urrbmi.campaign.changes.identity_changes`, which also records
    any refund owed, once). IDs come masked from that function."""
    from urrbmi.campaign.changes import identity_changes

    _check_page(limit, offset)
    c = campaign_or_fail(session, campaign_id)
    changes = identity_changes(session, c, on, actor=actor)
    in_scope = []
    if scope:
        numbers = {ch.id_number for ch in changes}
        # identity_changes masks IDs; match residents of the scope by masked number and name
        people = session.execute(
            select(Resident.id_number, Resident.name).where(Resident.region_code.like(f"{scope}%"))
        ).all()
        keep = {(ids.mask(n), name) for n, name in people if ids.mask(n) in numbers}
        in_scope = [ch for ch in changes if (ch.id_number, ch.name) in keep]
    else:
        in_scope = list(changes)
    part = in_scope[offset : offset + limit]
    keys = ("name", "id_number", "old", "new", "paid", "action", "amount", "note")
    heads = ("姓名", "身份证号", "缴费时身份", "现身份", "已缴（元）", "处理", "金额（元）", "说明")
    rows = tuple(
        {
            "name": ch.name,
            "id_number": ch.id_number,
            "old": "、".join(ch.old_categories),
            "new": "、".join(ch.new_categories),
            "paid": str(ch.paid),
            "action": ch.action,
            "amount": str(ch.amount),
            "note": ch.note,
        }
        for ch in part
    )
    return Page(f"缴费后身份变化人员清单（{on:%Y-%m-%d}）", heads, keys, len(in_scope), offset, limit, rows)


def write_page_xlsx(page: Page, path: Path) -> Path:
    """The page as a sheet: title, Chinese headers, frozen header row, notes below."""
    from openpyxl.styles import Font

    from urrbmi.export import Book

    book = Book()
    sheet = book.sheet("清单")
    ws = sheet.ws
    sheet.append([page.title])
    ws["A1"].font = Font(bold=True, size=14)
    sheet.append([f"共{page.total}人，本表第{page.offset + 1}至{page.offset + len(page.rows)}人"])
    sheet.append(list(page.headers))
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for r in page.rows:
        sheet.append([r[k] for k in page.keys])
    for note in page.notes:
        sheet.append([note])
    ws.freeze_panes = "A4"
    for i, h in enumerate(page.headers):
        ws.column_dimensions[chr(ord("A") + i)].width = max(10, 2 * len(h) + 4)
    return book.save(path)
