"""A visit's outcome (走访结果) and a task reduction (核减) whose evidence is an outcome proving
insurance elsewhere (:func:`urrbmi.targets.store.add_reductions`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.access.errors import out_of_scope
from urrbmi.access.scope import Principal, scoped_resident
from urrbmi.campaign.fieldwork.members import OUTCOME_ZH
from urrbmi.db.models import Campaign, Resident
from urrbmi.db.models_fieldwork import OUTCOMES, ResidentContact, VisitOutcome
from urrbmi.db.models_targets import TargetReduction, TargetSet, TargetUnit
from urrbmi.errors import InvalidInput
from urrbmi.imports import phones
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict
from urrbmi.registry.regions import get_region
from urrbmi.registry.regions import prefix as region_prefix
from urrbmi.targets.reductions import TaskReduction
from urrbmi.targets.store import add_reductions
from urrbmi.targets.tables import EvidenceKind

# outcomes proving insurance elsewhere: the evidence kind of a task reduction (濉溪 annex note 3)
REDUCIBLE = {
    "paid_elsewhere": EvidenceKind.OTHER_PLACE_RESIDENT,
    "employee": EvidenceKind.OTHER_PLACE_EMPLOYEE,
}


def record_outcome(
    session: Session,
    p: Principal,
    c: Campaign,
    *,
    resident_id: int,
    outcome: str,
    reason: str,
    visited_on: dt.date,
    promised_on: dt.date | None = None,
    phone: str | None = None,
    evidence_ref: str | None = None,
    actor: str,
) -> VisitOutcome:
    """Record a visit's outcome for a resident (the latest counts), with its reason and date; a
    promise needs the promised day, on or after the visit; ``phone`` updates the resident's number."""
    p.require("visit.record")
    if outcome not in OUTCOMES:
        raise InvalidInput("走访结果无法识别", f"outcome must be one of {OUTCOMES}")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写走访情况说明", "give the reason", code="visit_reason")
    today = clock.today()
    if visited_on > today:
        raise InvalidInput(f"走访日期{visited_on}晚于今天", f"visit date {visited_on} is after today")
    if outcome == "promised":
        if promised_on is None or promised_on < visited_on:
            raise InvalidInput(
                "承诺缴费须填写承诺日期（不早于走访日期）", "a promise needs a date on or after the visit"
            )
    else:
        promised_on = None
    if outcome not in REDUCIBLE:
        evidence_ref = None
    phone = (phone or "").strip() or None
    if phone is not None:
        number = phones.normalize(phone)
        if number is None:
            raise InvalidInput(
                f"电话号码无效：{phone}（应为11位手机号码或带区号的固定电话）",
                f"invalid phone number: {phone} (a mobile number or a landline with its area code)",
                code="phone",
            )
        phone = number
    r = scoped_resident(session, p, resident_id=resident_id)
    if not r.region_code.startswith(region_prefix(get_region(session, c.region_code))):
        raise out_of_scope()  # not in the campaign's region
    now = clock.now()
    v = VisitOutcome(
        campaign_id=c.id,
        resident_id=r.id,
        region_code=r.region_code,
        outcome=outcome,
        reason=reason,
        visited_on=visited_on,
        promised_on=promised_on,
        evidence_ref=(evidence_ref or "").strip() or None,
        recorded_by=actor,
        recorded_at=now,
    )
    session.add(v)
    session.flush()
    audit.record(
        session,
        actor,
        "visit_outcomes",
        v.id,
        "insert",
        None,
        {
            "resident_id": r.id,
            "outcome": outcome,
            "visited_on": str(visited_on),
            "promised_on": str(promised_on),
        },
    )
    if phone is not None:
        contact = session.get(ResidentContact, r.id)
        old = None if contact is None else {"phone": contact.phone}
        if contact is None:
            session.add(
                ResidentContact(
                    resident_id=r.id,
                    phone=phone,
                    source="visit",
                    recorded_on=visited_on,
                    updated_by=actor,
                    updated_at=now,
                )
            )
        else:
            contact.phone, contact.source, contact.recorded_on = phone, "visit", visited_on
            contact.updated_by, contact.updated_at = actor, now
        if old != {"phone": phone}:
            audit.record(session, actor, "resident_contacts", r.id, "upsert", old, {"phone": phone})
    return v


def reduce_from_outcome(
    session: Session,
    p: Principal,
    c: Campaign,
    visit_id: int,
    *,
    evidence_ref: str | None = None,
    target: str | None = None,
    actor: str,
) -> TargetReduction:
    """A task reduction (核减, one person) whose evidence is the visit outcome ``visit_id``
    (insured elsewhere or under employee insurance, with its voucher number): recorded through
    :func:`urrbmi.targets.store.add_reductions` (the notice's rules apply) on the unit of the task
    table (``target``, else the first of the campaign with a unit covering the resident) and linked
    to the outcome."""
    p.require("campaign.manage")
    v = session.get(VisitOutcome, visit_id)
    if v is None or v.campaign_id != c.id or not p.covers(v.region_code):
        raise out_of_scope()
    kind = REDUCIBLE.get(v.outcome)
    if kind is None:
        raise InvalidInput(
            "只有“已在外地参保缴费”“已参加职工医保”的走访结果可作核减凭证",
            "only outcomes proving insurance elsewhere support a task reduction",
            code="task_reduction",
        )
    if v.reduction_id is not None:
        raise Conflict("该走访结果已用于核减", "this outcome already supports a reduction")
    ref = (evidence_ref or v.evidence_ref or "").strip()
    if not ref:
        raise InvalidInput(
            "核减须填写参保凭证编号", "a reduction needs the voucher number", code="task_reduction"
        )
    q = select(TargetSet).where(
        TargetSet.campaign_id == c.id, TargetSet.unit.in_(("village", "town", "county"))
    )
    if target is not None:
        q = q.where(TargetSet.name == target)
    unit: TargetUnit | None = None
    ts: TargetSet | None = None
    for candidate in session.scalars(q.order_by(TargetSet.id)):
        units = session.scalars(
            select(TargetUnit).where(
                TargetUnit.target_set_id == candidate.id, TargetUnit.region_code.is_not(None)
            )
        ).all()
        for u in units:
            assert u.region_code is not None
            if v.region_code.startswith(region_prefix(get_region(session, u.region_code))):
                unit, ts = u, candidate
                break
        if unit is not None:
            break
    if unit is None or ts is None:
        raise InvalidInput(
            "没有载入含该村（社区）的任务表，无法核减",
            "no task table covers the resident's region",
            code="task_reduction",
        )
    r = session.get(Resident, v.resident_id)
    assert r is not None
    note = f"入户走访结果{v.id}：{OUTCOME_ZH[v.outcome]}（{v.visited_on}，{v.recorded_by}）{v.reason}"
    add_reductions(
        session,
        ts,
        [TaskReduction(unit.unit_name, 1, kind, ref, clock.today(), (r.id_number,), note[:400])],
        actor=actor,
    )
    row = session.scalars(
        select(TargetReduction).where(
            TargetReduction.target_unit_id == unit.id, TargetReduction.evidence_ref == ref
        )
    ).one()
    v.reduction_id, v.evidence_ref = row.id, ref
    audit.record(
        session, actor, "visit_outcomes", v.id, "reduction", None, {"reduction_id": row.id, "ref": ref}
    )
    return row
