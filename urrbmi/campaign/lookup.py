"""The resident's statement (缴费查询) in one SQL statement: the hot path of the counter and the API.

:func:`urrbmi.campaign.changes.statement` assembles the same answer through the ORM (the resident,
its identities, then per campaign the enrollment, benefit period, explanation and one query per
payment: 11–13 round trips and ~7 ms of CPU per look-up). Here the answer is one Core query
with plain tuples, no ORM objects: the resident (through the caller's conditions: the ID number
or internal number, and the region scope) left-joined to its identities and to its campaign
lines — assessments with the campaign, the explanation, the enrollment, the benefit period and
the payments with their receipt numbers. A resident with k identities and m payment lines gives
k × m rows (a few); Python takes each identity and each line once, in the order of the ORM
assembly. One statement is its own snapshot, so the API runs it outside a transaction on
PostgreSQL (no BEGIN/COMMIT round trips: ``interfaces.api.deps.read_once``).

The output is the same dictionary as ``changes.statement`` (tested equal on both databases in
``tests/api/test_lookup_fast.py``); change both together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.campaign.campaigns import EXCLUSION_ZH
from urrbmi.campaign.payments import HOLD_ZH
from urrbmi.db.models import (
    Assessment,
    BenefitPeriod,
    Campaign,
    Enrollment,
    EnrollmentStatus,
    Explanation,
    Membership,
    Payment,
    Receipt,
    Resident,
)
from urrbmi.money import from_fen
from urrbmi.policy.categories import vocabulary

_RESIDENT = (
    Resident.id,
    Resident.id_number,
    Resident.name,
    Resident.sex,
    Resident.birth_date,
    Resident.region_code,
    Resident.status,
    Resident.row_version,
)
_IDENTITY = (
    Membership.id,
    Membership.category_code,
    Membership.source_department,
    Membership.valid_from,
    Membership.valid_to,
)
_LINE = (
    Campaign.id,
    Campaign.benefit_year,
    Campaign.policy_id,
    Campaign.policy_version,
    Assessment.status,
    Assessment.reason,
    Assessment.message,
    Assessment.total_due_fen,
    Assessment.tier,
    Assessment.subsidy_category,
    Explanation.steps,
    Enrollment.id,
    Enrollment.source,
    BenefitPeriod.start_on,
    BenefitPeriod.end_on,
    Payment.id,
    Payment.channel,
    Payment.external_ref,
    Payment.amount_fen,
    Payment.paid_on,
    Payment.status,
    Payment.hold_reason,
    Receipt.receipt_no,
)
_R, _I = len(_RESIDENT), len(_RESIDENT) + len(_IDENTITY)


def _statement(where: list[Any]) -> Any:
    return (
        select(*_RESIDENT, *_IDENTITY, *_LINE)
        .select_from(Resident)
        .outerjoin(Membership, Membership.resident_id == Resident.id)
        .outerjoin(Assessment, Assessment.resident_id == Resident.id)
        .outerjoin(Campaign, Campaign.id == Assessment.campaign_id)
        .outerjoin(Explanation, Explanation.hash == Assessment.explanation_hash)
        .outerjoin(
            Enrollment,
            and_(
                Enrollment.campaign_id == Assessment.campaign_id,
                Enrollment.resident_id == Assessment.resident_id,
                Enrollment.status == EnrollmentStatus.ENROLLED,
            ),
        )
        .outerjoin(BenefitPeriod, BenefitPeriod.enrollment_id == Enrollment.id)
        .outerjoin(
            Payment,
            and_(
                Payment.resident_id == Assessment.resident_id, Payment.campaign_id == Assessment.campaign_id
            ),
        )
        .outerjoin(Receipt, Receipt.payment_id == Payment.id)
        .where(*where)
        .order_by(Membership.valid_from, Membership.id, Campaign.benefit_year, Campaign.id, Payment.id)
    )


# the two statements of the API, built once: SQLAlchemy computes a statement's cache key once
# per object, and a look-up built anew spent a third of its Python time there
_BY_NUMBER = _statement(
    [Resident.id_number == bindparam("key"), Resident.region_code.startswith(bindparam("prefix"))]
)
_BY_ID = _statement([Resident.id == bindparam("key"), Resident.region_code.startswith(bindparam("prefix"))])


def statement_in_scope(
    session: Session | Connection,
    *,
    prefix: str,
    on: dt.date,
    show_id: Callable[[str], str] = ids.mask,
    id_number: str | None = None,
    resident_id: int | None = None,
) -> dict[str, Any] | None:
    """:func:`fast_statement` of the resident with ``id_number`` (or ``resident_id``) whose region
    code starts with ``prefix`` (the caller's scope: digits only), through a statement built once."""
    stmt, key = (_BY_ID, resident_id) if id_number is None else (_BY_NUMBER, id_number)
    return _answer(session.execute(stmt, {"key": key, "prefix": prefix}).all(), on, show_id)


def fast_statement(
    session: Session | Connection, where: list[Any], on: dt.date, show_id: Callable[[str], str] = ids.mask
) -> dict[str, Any] | None:
    """The statement of the one resident matching ``where`` (SQL conditions on ``Resident``: the
    number and the caller's scope), or None when none matches; one query. The keys are those of
    ``changes.statement`` plus ``resident_id`` and ``row_version``; ``show_id`` shows the ID
    number (masked by default). ``session``: a session or a connection (one statement needs no
    transaction)."""
    return _answer(session.execute(_statement(where)).all(), on, show_id)


def _answer(rows: Any, on: dt.date, show_id: Callable[[str], str]) -> dict[str, Any] | None:
    if not rows:
        return None
    first = rows[0]
    voc = vocabulary().by_code
    now: set[str] = set()
    identities = []
    seen: set[int] = set()
    lines: dict[tuple[int, int], tuple[Any, ...]] = {}
    for row in rows:
        membership_id, code, department, valid_from, valid_to = row[_R:_I]
        if membership_id is not None and membership_id not in seen:
            seen.add(membership_id)
            if valid_from <= on and (valid_to is None or valid_to >= on):
                now.add(code)
            identities.append(
                {
                    "category": voc[code].name if code in voc else code,
                    "department": department,
                    "valid_from": valid_from.isoformat(),
                    "valid_to": valid_to.isoformat() if valid_to else None,
                }
            )
        line = row[_I:]
        if line[0] is not None:  # an assessment (with a payment or none: payment id 0)
            lines.setdefault((line[0], line[15] or 0), line)
    out: dict[str, Any] = {
        "id_number": show_id(first.id_number),
        "name": first.name,
        "sex": first.sex,
        "birth_date": first.birth_date.isoformat(),
        "region_code": first.region_code,
        "status": first.status,
        "identities_now": [voc[x].name for x in sorted(now) if x in voc],
        "identities": identities,
        "campaigns": _campaigns(sorted(lines.values(), key=lambda x: (x[1], x[0], x[15] or 0))),
        "resident_id": first.id,
        "row_version": first.row_version,
    }
    return out


def _campaigns(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The campaign lines, from the statement's line columns (``_LINE``), one row per payment in
    the order of benefit year, campaign and payment."""
    lines: list[dict[str, Any]] = []
    last = None
    for (
        cid,
        year,
        policy_id,
        policy_version,
        a_status,
        reason,
        message,
        due_fen,
        tier,
        subsidy_category,
        steps,
        enrollment_id,
        source,
        start_on,
        end_on,
        payment_id,
        channel,
        external_ref,
        amount_fen,
        paid_on,
        p_status,
        hold_reason,
        receipt_no,
    ) in rows:
        if cid != last:
            last = cid
            lines.append(
                {
                    "campaign": cid,
                    "benefit_year": year,
                    "policy": f"{policy_id}@{policy_version}",
                    "assessment": a_status,
                    "reason": EXCLUSION_ZH.get(reason or "", reason),
                    "message": message if a_status == "error" else None,
                    "amount_due": None if due_fen is None else from_fen(due_fen),
                    "tier": tier,
                    "subsidy_category": subsidy_category,
                    "explanation": None if steps is None else list(steps),
                    "enrolled": enrollment_id is not None,
                    "enrolled_by": source,
                    "benefit_period": None
                    if start_on is None
                    else {"start": start_on.isoformat(), "end": end_on.isoformat()},
                    "payments": [],
                }
            )
        if payment_id is not None:
            lines[-1]["payments"].append(
                {
                    "receipt_no": receipt_no,
                    "channel": channel,
                    "external_ref": external_ref,
                    "amount": from_fen(amount_fen),
                    "paid_on": paid_on.isoformat(),
                    "status": p_status,
                    "hold_reason": HOLD_ZH.get(hold_reason or "", hold_reason),
                }
            )
    return lines


def public_years(session: Session, id_number: str, name: str) -> list[dict[str, Any]] | None:
    """The residents' own lookup (``/api/v1/public/lookup``): per benefit year assessed, whether
    paid (with the benefit period), due (the amount and the period it would buy) or not due;
    nothing else. ``None`` when no resident has this ID number and name (the same answer for
    both, so the lookup cannot test whether an ID is registered)."""
    r = session.execute(select(Resident.id, Resident.name).where(Resident.id_number == id_number)).first()
    if r is None or r.name.strip() != name.strip():
        return None
    years: list[dict[str, Any]] = []
    for a, year in session.execute(
        select(Assessment, Campaign.benefit_year)
        .join(Campaign, Campaign.id == Assessment.campaign_id)
        .where(Assessment.resident_id == r.id)
        .order_by(Campaign.benefit_year)
    ).all():
        period = session.execute(
            select(BenefitPeriod.start_on, BenefitPeriod.end_on)
            .join(Enrollment, Enrollment.id == BenefitPeriod.enrollment_id)
            .where(
                Enrollment.resident_id == r.id,
                Enrollment.benefit_year == year,
                Enrollment.status == EnrollmentStatus.ENROLLED,
            )
        ).first()
        if period is not None:
            status, due, start, end = "paid", from_fen(0), period.start_on, period.end_on
        elif a.status == "due":
            status, due, start, end = (
                "due",
                from_fen(a.total_due_fen or 0),
                a.benefit_start,
                a.benefit_end,
            )
        else:
            status, due, start, end = "not_due", None, None, None
        years.append(
            {
                "benefit_year": year,
                "status": status,
                "amount_due": due,
                "benefit_start": start.isoformat() if start else None,
                "benefit_end": end.isoformat() if end else None,
            }
        )
    return years
