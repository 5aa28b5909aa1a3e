"""The residents to remind (a promise, unreachable or not visited) and their list as a sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.access.scope import Principal
from urrbmi.campaign.fieldwork.members import Filter, Member, read_prefix, select_members
from urrbmi.db.models import Campaign
from urrbmi.registry import audit
from urrbmi.registry.regions import get_region

REMIND = (None, "promised", "unreachable")  # latest outcome of a resident still to remind


def reminders(
    session: Session, p: Principal, c: Campaign, *, on: dt.date | None = None, region: str | None = None
) -> list[Member]:
    """Residents still to enroll whose latest outcome is a promise, unreachable or none (not
    visited): promises first by the promised day, then the unreachable, then the others."""
    p.require("resident.read")
    on = on or clock.today()
    prefix = read_prefix(session, p, c, region)
    if prefix is None:
        return []
    todo = select_members(session, p, c, prefix, on, keep=Filter(state="todo", outcomes=REMIND))
    order = {"promised": 0, "unreachable": 1, None: 2}
    todo.sort(
        key=lambda m: (order[m.outcome], m.promised_on or on, m.village_code, m.household, m.birth_date)
    )
    return todo


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


def reminders_xlsx(rows: Sequence[Member], *, title: str) -> bytes:
    """The reminder list as an XLSX file's bytes (amounts as numbers, phone numbers as text)."""
    from openpyxl.styles import Font

    from urrbmi.export import Book

    book = Book()
    sheet = book.sheet("催缴提醒")
    sheet.append([title])
    sheet.ws["A1"].font = Font(bold=True, size=14)
    sheet.append([f"共{len(rows)}人"])
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
    sheet.ws.freeze_panes = "A4"
    for col, width in zip("ABCDEFGHIJK", (14, 10, 10, 22, 16, 16, 14, 14, 14, 12, 30), strict=True):
        sheet.ws.column_dimensions[col].width = width
    return book.to_bytes()


@dataclass(frozen=True)
class ReminderFile:
    name: str  # the download's file name, in Chinese
    content: bytes  # XLSX
    on: dt.date


def reminder_file(
    session: Session,
    p: Principal,
    c: Campaign,
    *,
    on: dt.date | None = None,
    region: str | None = None,
    actor: str,
) -> ReminderFile:
    """The reminder list of the user's region (or ``region``) as an XLSX file, with phone numbers
    (masked unless the role has ``contact.read``); a file of names and phone numbers leaves the
    system, so the export is audited: who, where, how many."""
    day = on or clock.today()
    rows = reminders(session, p, c, on=day, region=region)
    place = get_region(session, region or p.region_code).name
    audit.record(
        session, actor, "campaigns", c.id, "export",
        new={"list": "催缴提醒名单", "region": region or p.region_code, "on": day, "rows": len(rows),
             "phones": "完整" if p.can("contact.read") else "隐去中间位"},
    )  # fmt: skip
    content = reminders_xlsx(rows, title=f"{place}催缴提醒名单（{day:%Y年%m月%d日}）")
    return ReminderFile(f"{place}催缴提醒名单-{day.isoformat()}.xlsx", content, day)
