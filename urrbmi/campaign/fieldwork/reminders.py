"""The residents to remind (a promise, unreachable or not visited) and their list as a sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.access.scope import Principal
from urrbmi.campaign.fieldwork.members import Filter, Member, read_prefix, select_members
from urrbmi.db.models import Campaign

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


def write_reminders_xlsx(rows: Sequence[Member], path: Path, *, title: str) -> Path:
    """The reminder list as a sheet (amounts as numbers, phone numbers as text)."""
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
    return book.save(path)
