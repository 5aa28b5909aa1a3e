"""Reports on a campaign: the collection roster, reconciliation, duplicate enrollments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, union
from sqlalchemy.orm import Session, aliased

from urrbmi import clock, ids
from urrbmi.campaign.campaigns import EXCLUSION_ZH, campaign_policy
from urrbmi.campaign.payment_totals import payment_totals
from urrbmi.campaign.payments import HOLD_ZH, read_payment_bytes
from urrbmi.db.dialect import no_jit
from urrbmi.db.models import (
    Assessment,
    Campaign,
    Enrollment,
    EnrollmentStatus,
    InsuranceType,
    Payment,
    PaymentStatus,
    Resident,
)
from urrbmi.export import Book, write_csv
from urrbmi.money import fmt, from_fen
from urrbmi.policy.engine import CLASS_ZH
from urrbmi.targets.counting import unpaid_at

ROSTER_HEADERS = (
    "序号",
    "姓名",
    "身份证号码",
    "性别",
    "出生日期",
    "行政区划代码",
    "户号",
    "人员类别",
    "资助身份",
    "缴费档次",
    "个人缴费标准（元）",
    "资助金额（元）",
    "应补缴财政补助（元）",
    "应缴金额（元）",
    "待遇开始日期",
    "待遇结束日期",
)


def roster_rows(
    session: Session, c: Campaign, *, include_paid: bool = False, scope: str = ""
) -> Iterator[list[Any]]:
    """The collection roster for the tax bureau: everyone with an amount due, in region and
    household order; those already enrolled are left out unless ``include_paid``; only residents
    whose region code starts with ``scope`` (numbered within it)."""
    voc = campaign_policy(c).vocabulary  # the notice's names for its identities
    enrolled = select(Enrollment.resident_id).where(
        Enrollment.campaign_id == c.id, Enrollment.status == EnrollmentStatus.ENROLLED
    )
    stmt = (
        select(
            Resident.name,
            Resident.id_number,
            Resident.sex,
            Resident.birth_date,
            Resident.region_code,
            Resident.household_id,
            Assessment.person_class,
            Assessment.subsidy_category,
            Assessment.tier,
            Assessment.standard_fen,
            Assessment.subsidy_fen,
            Assessment.fiscal_fen,
            Assessment.total_due_fen,
            Assessment.benefit_start,
            Assessment.benefit_end,
        )
        .join(Resident, Resident.id == Assessment.resident_id)
        .where(Assessment.campaign_id == c.id, Assessment.status == "due")
        .order_by(Resident.region_code, Resident.household_id, Resident.id)
        .execution_options(yield_per=5_000)
    )
    if not include_paid:
        stmt = stmt.where(Assessment.resident_id.not_in(enrolled))
    if scope:
        stmt = stmt.where(Resident.region_code.startswith(scope, autoescape=True))
    for n, r in enumerate(session.execute(stmt), start=1):
        cat = voc.by_code.get(r.subsidy_category or "")
        yield [
            n,
            r.name,
            r.id_number,
            "男" if r.sex == "M" else "女",
            r.birth_date.isoformat(),
            r.region_code,
            r.household_id or "",
            CLASS_ZH.get(r.person_class or "", r.person_class or ""),
            cat.name if cat else (r.subsidy_category or ""),
            r.tier,
            _yuan(r.standard_fen),
            _yuan(r.subsidy_fen),
            _yuan(r.fiscal_fen),
            _yuan(r.total_due_fen),
            r.benefit_start.isoformat() if r.benefit_start else "",
            r.benefit_end.isoformat() if r.benefit_end else "",
        ]


def _yuan(fen: int | None) -> str:
    return "" if fen is None else fmt(from_fen(fen))


def write_roster(
    session: Session, c: Campaign, path: Path, fmt_: str, *, include_paid: bool = False, scope: str = ""
) -> int:
    """Write the roster as CSV (UTF-8 with BOM, so Excel opens it) or XLSX; returns the row count.
    Written to a path on purpose, not returned as bytes: a county's roster is a million rows,
    streamed row by row and never held in memory.
    ID numbers are written as text (XLSX cell type string), never as numbers Excel would round;
    names and every other text are written formula-safe (:mod:`urrbmi.export`)."""
    rows = roster_rows(session, c, include_paid=include_paid, scope=scope)
    if fmt_ == "csv":
        return write_csv(path, ROSTER_HEADERS, rows)
    n = 0
    book = Book(streaming=True)
    ws = book.sheet(f"{c.benefit_year}年度征缴名册")
    ws.append(list(ROSTER_HEADERS))
    for row in rows:
        ws.append(row)
        n += 1
    book.save(path)
    return n


# --- reconciliation ------------------------------------------------------------------------


@dataclass
class Reconciliation:
    matched: dict[str, Any] = field(default_factory=dict)
    unpaid: dict[str, Any] = field(default_factory=dict)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    other_held: list[dict[str, Any]] = field(default_factory=list)
    statement: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "unpaid": self.unpaid,
            "unmatched": self.unmatched,
            "duplicates": self.duplicates,
            "mismatches": self.mismatches,
            "other_held": self.other_held,
            "statement": self.statement,
        }


def _payment_item(p: Payment) -> dict[str, Any]:
    return {
        "payment": p.id,  # for `urrbmi payment accept --payment ID`
        "channel": p.channel,
        "external_ref": p.external_ref,
        "id_number": ids.mask(p.id_number),
        "amount": from_fen(p.amount_fen),
        "due": None if p.due_fen is None else from_fen(p.due_fen),
        "paid_on": p.paid_on.isoformat(),
        "reason": p.hold_reason,
        "reason_zh": HOLD_ZH.get(p.hold_reason or "", ""),
    }


def reconcile(
    session: Session,
    c: Campaign,
    *,
    statement: bytes | None = None,
    channel: str | None = None,
    statement_name: str = "statement.csv",
    on: dt.date | None = None,
) -> Reconciliation:
    """The ledger's state: accepted payments by channel (kept as data,
    :mod:`urrbmi.campaign.payment_totals`), the residents still unpaid at ``on`` (default today:
    alive, an amount due, not enrolled, by :func:`~urrbmi.targets.state.resident_state`, counted
    from the state kept as data) and every payment that needs a person (unmatched IDs, second
    payments, wrong amounts). With a channel
    ``statement`` (the file's bytes, read as a payment file; ``statement_name`` for the messages),
    also what the channel reports that the ledger lacks and vice versa."""
    out = Reconciliation()
    by_channel = payment_totals(session, c.id, PaymentStatus.ACCEPTED)
    out.matched = {
        "count": sum(n for _, n, _ in by_channel),
        "amount": from_fen(sum(fen for _, _, fen in by_channel)),
        "by_channel": {ch: {"count": n, "amount": from_fen(fen)} for ch, n, fen in by_channel},
    }
    n_unpaid, due_unpaid = unpaid_at(session, c, on or clock.today())
    out.unpaid = {"count": n_unpaid, "amount": from_fen(due_unpaid)}
    for p in session.scalars(
        select(Payment)
        .where(Payment.campaign_id == c.id, Payment.status.in_(("held", "unmatched")))
        .order_by(Payment.id)
    ):
        item = _payment_item(p)
        item["name"] = None  # the resident's name, filled below (an unmatched ID has none)
        if p.status == "unmatched":
            out.unmatched.append(item)
        elif p.hold_reason == "already_paid":
            out.duplicates.append(item)
        elif p.hold_reason == "amount_mismatch":
            out.mismatches.append(item)
        else:
            out.other_held.append(item)
    _held_names(session, [*out.unmatched, *out.duplicates, *out.mismatches, *out.other_held])
    if statement is not None:
        if channel is None:
            raise ValueError("a statement needs its channel")
        out.statement = _against_statement(session, c, statement, statement_name, channel)
    return out


def _held_names(session: Session, items: list[dict[str, Any]]) -> None:
    """The resident's name on each held payment (an officer deciding a refund sees who paid)."""
    pids = [i["payment"] for i in items]
    names: dict[int, str] = {}
    for start in range(0, len(pids), 1000):
        rows = session.execute(
            select(Payment.id, Resident.name)
            .join(Resident, Resident.id == Payment.resident_id)
            .where(Payment.id.in_(pids[start : start + 1000]))
        )
        names.update({int(pid): str(name) for pid, name in rows})
    for i in items:
        i["name"] = names.get(i["payment"])


def _against_statement(
    session: Session, c: Campaign, content: bytes, name: str, channel: str
) -> dict[str, Any]:
    lines = {ln.external_ref: ln for ln in read_payment_bytes(content, name)}
    ledger = {
        ref: (amount, paid_on)
        for ref, amount, paid_on in session.execute(
            select(Payment.external_ref, Payment.amount_fen, Payment.paid_on).where(
                Payment.campaign_id == c.id, Payment.channel == channel
            )
        )
    }
    missing = sorted(ref for ref in lines if ref not in ledger)
    extra = sorted(ref for ref in ledger if ref not in lines)
    differ = sorted(
        ref for ref, ln in lines.items() if ref in ledger and ledger[ref] != (ln.amount_fen, ln.paid_on)
    )
    return {
        "channel": channel,
        "statement_lines": len(lines),
        "in_statement_not_in_ledger": missing,
        "in_ledger_not_in_statement": extra,
        "amount_or_date_differs": differ,
    }


def _listed(benefit_year: int, scope: str) -> Any:
    """The ids of the residents :func:`duplicate_enrollments` lists, each found from a small index
    (migration 0023) and checked by one index look-up, never by grouping a year's enrollments:

    - enrolled twice: our campaigns hold at most one live enrollment per resident and year
      (``uq_enrollments_resident_year_live``), so a second one is a row from elsewhere
      (``campaign_id`` NULL, ``ix_enrollments_outside_campaigns``): such a row with another like it
      or with a live campaign row;
    - employee-insured now (``ix_residents_employee_insured``) with a resident-scheme enrollment.

    The look-ups are scalar subqueries (``LIMIT 1 ... IS NOT NULL``), which PostgreSQL runs per
    row: as ``EXISTS`` it may hash the year's million enrollments instead."""
    enrolled = (Enrollment.benefit_year == benefit_year, Enrollment.status == EnrollmentStatus.ENROLLED)
    row = aliased(Enrollment)
    same = (row.resident_id == Enrollment.resident_id, row.benefit_year == benefit_year)
    live = select(row.resident_id).where(*same, row.status == EnrollmentStatus.ENROLLED)
    in_scope = Resident.region_code.startswith(scope, autoescape=True)
    twice = (
        select(Enrollment.resident_id)
        .where(*enrolled, Enrollment.campaign_id.is_(None))
        .group_by(Enrollment.resident_id)
        .having(or_(func.count() > 1, _any(live.where(row.campaign_id.is_not(None)))))
    )
    if scope:  # the resident's region, looked up for the few listed only
        twice = twice.having(_any(select(Resident.id).where(Resident.id == Enrollment.resident_id, in_scope)))
    resident_scheme = select(Enrollment.resident_id).where(
        *enrolled, Enrollment.resident_id == Resident.id, Enrollment.insurance_type == InsuranceType.RESIDENT
    )
    employee = select(Resident.id).where(Resident.employee_insured, in_scope, _any(resident_scheme))
    return union(twice, employee)


def _any(query: Select[Any]) -> ColumnElement[bool]:
    return query.limit(1).scalar_subquery().is_not(None)


def duplicate_enrollments(
    session: Session, benefit_year: int, *, scope: str = "", limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """Residents enrolled more than once for a benefit year (two regions, or resident and employee
    insurance), and residents enrolled here who are now in employee insurance, by resident id.
    ``scope``: the region-code prefix of the residents listed ("" = all); ``limit``/``offset``: a
    page of the list (None: all of it). Three statements whatever the page: the residents' ids,
    the residents, their enrollments."""
    # the row estimates of the small indexes are far too high, so the plan's cost would have
    # PostgreSQL compile it (JIT), which takes longer than the query (docs/web.md)
    no_jit(session)
    listed = _listed(benefit_year, scope).subquery()
    page = select(listed.c.resident_id).order_by(listed.c.resident_id).limit(limit).offset(offset)
    rids = list(session.scalars(page))
    if not rids:
        return []
    people = session.execute(
        select(Resident.id, Resident.id_number, Resident.name, Resident.employee_insured)
        .where(Resident.id.in_(rids))
        .order_by(Resident.id)
    ).all()
    enrollments: dict[int, list[dict[str, Any]]] = {rid: [] for rid in rids}
    for rid, r, t, s, cid in session.execute(
        select(
            Enrollment.resident_id,
            Enrollment.region_code,
            Enrollment.insurance_type,
            Enrollment.source,
            Enrollment.campaign_id,
        )
        .where(
            Enrollment.resident_id.in_(rids),
            Enrollment.benefit_year == benefit_year,
            Enrollment.status == EnrollmentStatus.ENROLLED,
        )
        .order_by(Enrollment.id)
    ):
        enrollments[rid].append({"region": r, "insurance_type": t, "source": s, "campaign": cid})
    return [
        {
            "id_number": ids.mask(number),
            "name": name,
            "employee_insured": bool(employee_insured),
            "enrollments": enrollments[rid],
        }
        for rid, number, name, employee_insured in people
    ]


__all__ = [
    "EXCLUSION_ZH",
    "ROSTER_HEADERS",
    "Reconciliation",
    "duplicate_enrollments",
    "reconcile",
    "roster_rows",
    "write_roster",
]
