"""A school's statement (缴费清单): every pupil of its roster priced at the payment date by the
campaign's engine, the pupils already enrolled shown and not due, the total; as rows and as an
XLSX/CSV file (:mod:`urrbmi.export`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.campaign.campaigns import (
    EXCLUSION_ZH,
    Pricer,
    campaign_policy,
    profile,
    profile_columns,
)
from urrbmi.campaign.schools.base import LOOKUP_BATCH, check_campaign, pupils_prefix
from urrbmi.db.models import Assessment, Campaign, Resident
from urrbmi.db.models_schools import School, SchoolPupil
from urrbmi.export import Book, csv_bytes
from urrbmi.money import from_fen
from urrbmi.targets.counting import resident_state

STATUS_ZH = {
    "due": "应缴",
    "enrolled": "已参保",
    "excluded": "不需缴费",
    "not_assessed": "未核定应缴",
    "error": "无法核定",
}


@dataclass(frozen=True, slots=True)
class StatementLine:
    pupil_id: int  # school_pupils.id
    resident_id: int
    id_number: str  # full: callers mask it for display
    name: str
    class_name: str | None
    status: str  # due | enrolled | excluded | not_assessed | error (STATUS_ZH)
    reason_zh: str | None  # why not due (excluded, error)
    due_fen: int | None
    benefit_start: dt.date | None
    benefit_end: dt.date | None

    @property
    def status_zh(self) -> str:
        return STATUS_ZH[self.status]


@dataclass(frozen=True)
class Statement:
    school_id: int
    school_name: str
    campaign_id: int
    on: dt.date
    lines: list[StatementLine]

    @property
    def due(self) -> list[StatementLine]:
        return [x for x in self.lines if x.status == "due"]

    @property
    def total_fen(self) -> int:
        return sum(x.due_fen or 0 for x in self.due)

    @property
    def enrolled(self) -> int:
        return sum(1 for x in self.lines if x.status == "enrolled")


def statement(session: Session, school: School, c: Campaign, on: dt.date) -> Statement:
    """Every pupil of the school's roster for the campaign, priced as if paying on ``on``."""
    check_campaign(session, school, c)
    pupils = session.execute(
        select(
            SchoolPupil.id, SchoolPupil.resident_id, SchoolPupil.class_name, Resident.id_number, Resident.name
        )
        .join(Resident, Resident.id == SchoolPupil.resident_id)
        .where(SchoolPupil.school_id == school.id, SchoolPupil.campaign_id == c.id)
        .order_by(SchoolPupil.class_name, SchoolPupil.row_no)
    ).all()
    rids = [p.resident_id for p in pupils]
    state = resident_state(
        session, c, pupils_prefix(session, c, [school.id]), on, columns=["rid", "enrolled"]
    )
    enrolled = set(
        session.scalars(
            select(state.c.rid)
            .join(SchoolPupil, SchoolPupil.resident_id == state.c.rid)
            .where(SchoolPupil.school_id == school.id, SchoolPupil.campaign_id == c.id, state.c.enrolled == 1)
        )
    )
    facts: dict[int, Any] = {}
    cols = profile_columns(c.benefit_year, c.id)
    for i in range(0, len(rids), LOOKUP_BATCH):
        part = rids[i : i + LOOKUP_BATCH]
        for rec in session.execute(
            select(
                *cols,
                Assessment.status.label("a_status"),
                Assessment.reason.label("a_reason"),
                Assessment.categories.label("a_categories"),
                Assessment.tier.label("a_tier"),
            )
            .outerjoin(Assessment, (Assessment.resident_id == Resident.id) & (Assessment.campaign_id == c.id))
            .where(Resident.id.in_(part))
        ):
            facts[rec.id] = rec
    pricer = Pricer(campaign_policy(c))
    lines = []
    for p in pupils:
        rec = facts[p.resident_id]
        status, why, due, start, end = "due", None, None, None, None
        if p.resident_id in enrolled:
            status = "enrolled"
        elif rec.a_status is None:
            status = "not_assessed"
        elif rec.a_status == "excluded":
            status, why = "excluded", EXCLUSION_ZH.get(rec.a_reason, "不在征缴范围")
        elif rec.a_status != "due":
            status, why = "error", "按政策无法核定应缴，请经办人员核查"
        else:
            codes = tuple(x for x in rec.a_categories.split(",") if x)
            pr = pricer.price(profile(rec, codes, rec.a_tier, on))
            if pr.error_code is not None or pr.total_due_fen is None:
                status, why = "error", f"按缴费日期{on}无法核定应缴（{(pr.message or '').split(' / ')[0]}）"
            else:
                due, start, end = pr.total_due_fen, pr.benefit_start, pr.benefit_end
        lines.append(
            StatementLine(
                p.id, p.resident_id, p.id_number, p.name, p.class_name, status, why, due, start, end
            )
        )
    return Statement(school.id, school.name, c.id, on, lines)


STATEMENT_HEADER = ("序号", "班级", "姓名", "身份证号码", "应缴金额（元）", "状态", "说明", "待遇享受期")


def statement_rows(st: Statement, *, full_ids: bool) -> list[list[object]]:
    """The statement as rows (amounts in yuan as Decimal), ending with the total row."""
    out: list[list[object]] = []
    for i, x in enumerate(st.lines, start=1):
        period = f"{x.benefit_start}至{x.benefit_end}" if x.benefit_start else ""
        out.append(
            [
                i,
                x.class_name or "",
                x.name,
                x.id_number if full_ids else ids.mask(x.id_number),
                None if x.due_fen is None else from_fen(x.due_fen),
                x.status_zh,
                x.reason_zh or "",
                period,
            ]
        )
    out.append(
        ["合计", "", f"应缴{len(st.due)}人", "", from_fen(st.total_fen), f"已参保{st.enrolled}人", "", ""]
    )
    return out


def statement_file(st: Statement, *, full_ids: bool, fmt: str = "xlsx") -> bytes:
    """The school's statement as an XLSX (title, one row per pupil, the total) or CSV file's bytes."""
    rows = statement_rows(st, full_ids=full_ids)
    if fmt == "csv":
        return csv_bytes(STATEMENT_HEADER, rows)
    book = Book()
    sheet = book.sheet("缴费清单")
    sheet.append([f"{st.school_name} 学生参保缴费清单（按缴费日期{st.on}核定）"])
    sheet.append(list(STATEMENT_HEADER))
    for r in rows:
        sheet.append(r)
    return book.to_bytes()
