"""Changes during a campaign: newborns, enrollments known elsewhere, identities that change after
payment, and the resident's own statement (缴费查询)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.campaign import ledger
from urrbmi.campaign.campaigns import (
    EXCLUSION_ZH,
    Pricer,
    campaign_policy,
    profile,
    profile_columns,
)
from urrbmi.campaign.payments import HOLD_ZH, payments_of
from urrbmi.db.models import (
    INSURANCE_TYPES,
    Assessment,
    BenefitPeriod,
    Campaign,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    Explanation,
    Membership,
    Payment,
    PaymentStatus,
    Refund,
    Resident,
)
from urrbmi.errors import InvalidInput, PolicyGap
from urrbmi.money import from_fen
from urrbmi.policy.identities import all_identities
from urrbmi.registry import audit
from urrbmi.registry.residents import (
    NewResident,
    add_resident,
    categories_on,
    get_resident,
    memberships,
    valid_on,
)

# --- newborns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewbornOutcome:
    resident: Resident
    assessment: Assessment
    enrolled_with_guardian: bool


def _store_assessment(
    session: Session, c: Campaign, resident_id: int, as_of: dt.date, codes: tuple[str, ...], pr: Any
) -> Assessment:
    if pr.error_code is not None:
        a = Assessment(
            campaign_id=c.id,
            resident_id=resident_id,
            policy_version=c.policy_version,
            as_of=as_of,
            status="error",
            reason=pr.error_code,
            message=pr.message,
            categories=",".join(codes),
            tier=c.default_tier,
        )
    else:
        if session.get(Explanation, pr.explanation_hash) is None:
            session.add(Explanation(hash=pr.explanation_hash, steps=list(pr.explanation)))
            session.flush()  # before the assessment that refers to it
        a = Assessment(
            campaign_id=c.id,
            resident_id=resident_id,
            policy_version=c.policy_version,
            as_of=as_of,
            status="due",
            categories=",".join(codes),
            tier=c.default_tier,
            person_class=pr.person_class,
            standard_fen=pr.standard_fen,
            subsidy_fen=pr.subsidy_fen,
            subsidy_category=pr.subsidy_category,
            individual_fen=pr.individual_fen,
            fiscal_fen=pr.fiscal_fen,
            total_due_fen=pr.total_due_fen,
            benefit_start=pr.benefit_start,
            benefit_end=pr.benefit_end,
            window=pr.window,
            explanation_hash=pr.explanation_hash,
        )
    session.add(a)
    session.flush()
    return a


def register_newborn(
    session: Session, c: Campaign, new: NewResident, registered_on: dt.date, *, actor: str
) -> NewbornOutcome:
    """Register a newborn and assess them at ``registered_on``. Where the policy lets a newborn
    follow an enrolled guardian without paying (a pathway with ``contribution_waived``), the
    newborn is enrolled at once with a benefit period from birth; otherwise the assessment says
    what is due, to be paid like anyone else's."""
    if new.guardian_id_number is None:
        raise InvalidInput("新生儿登记须提供监护人身份证号码", "a newborn needs a guardian's ID number")
    policy = campaign_policy(c)
    resident = add_resident(session, new, actor=actor)
    row = session.execute(
        select(*profile_columns(c.benefit_year, c.id)).where(Resident.id == resident.id)
    ).one()
    pr = Pricer(policy).price(profile(row, (), c.default_tier, registered_on))
    a = _store_assessment(session, c, resident.id, registered_on, (), pr)
    pathway = next((p for p in policy.model.pathways if p.code == pr.window), None)
    follows = bool(pathway is not None and pathway.contribution_waived and row.guardian_enrolled)
    if follows:
        assert pr.benefit_start is not None and pr.benefit_end is not None
        ledger.enroll(
            session,
            [
                ledger.NewEnrollment(
                    c.id,
                    resident.id,
                    c.benefit_year,
                    resident.region_code,
                    registered_on,
                    pr.benefit_start,
                    pr.benefit_end,
                )
            ],
            source=EnrollmentSource.GUARDIAN,
            actor=actor,
            audit_key=ledger.EACH,
            audit_new={"resident_id": resident.id},
        )
    return NewbornOutcome(resident, a, follows)


def record_external_enrollment(
    session: Session,
    id_number: str,
    benefit_year: int,
    region_code: str,
    *,
    insurance_type: str = "390",
    enrolled_on: dt.date,
    actor: str,
) -> Enrollment:
    """Note that a resident is enrolled elsewhere (another region's resident insurance, or
    employee insurance 310), as the provincial platform reports it."""
    if insurance_type not in INSURANCE_TYPES:
        raise InvalidInput(f"未知险种{insurance_type}", f"unknown insurance type {insurance_type}")
    r = get_resident(session, id_number)
    (eid,) = ledger.enroll(
        session,
        [
            ledger.NewEnrollment(
                None, r.id, benefit_year, region_code, enrolled_on, insurance_type=insurance_type
            )
        ],
        source=EnrollmentSource.EXTERNAL,
        actor=actor,
        audit_key=ledger.EACH,
        audit_new={
            "id_number": r.id_number,
            "year": benefit_year,
            "region": region_code,
            "type": insurance_type,
        },
    )
    e = session.get(Enrollment, eid)
    assert e is not None
    return e


# --- identity changes after payment ---------------------------------------------------------


@dataclass(frozen=True)
class IdentityChange:
    id_number: str  # masked
    name: str
    paid: Decimal
    old_categories: tuple[str, ...]
    new_categories: tuple[str, ...]
    due_with_new: Decimal | None
    action: str  # refund | top_up | none
    amount: Decimal
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id_number": self.id_number,
            "name": self.name,
            "paid": self.paid,
            "old_categories": list(self.old_categories),
            "new_categories": list(self.new_categories),
            "due_with_new": self.due_with_new,
            "action": self.action,
            "amount": self.amount,
            "note": self.note,
        }


def identity_changes(
    session: Session, c: Campaign, on: dt.date, *, actor: str, chunk: int = 5_000, only: Any = None
) -> list[IdentityChange]:
    """Residents who paid and whose identities on ``on`` differ from those they were assessed
    with, and what follows under the policy's ``identity_change`` rule:

    - ``no_difference`` (the Chongqing notices): nothing is refunded or collected; listed only;
    - ``retro_subsidy`` (Changji: 补发资助参保金): the engine quotes the payment again with the new
      identities; if that is less than what was paid the difference is owed back (a pending
      ``refund``). A lost identity is not collected again (the notice provides no top-up);
    - no rule (a gap): :class:`PolicyGap`, since the notice leaves the outcome undefined.

    Refund rows are created once per payment (re-running does not duplicate them). ``only``:
    just these residents (ids, or a SELECT of ids: those a department list just gave an
    identity, :func:`urrbmi.imports.effects.retro_subsidies`)."""
    policy = campaign_policy(c)
    rule = policy.identity_change
    pricer = Pricer(policy)
    cols = profile_columns(c.benefit_year, c.id)
    out: list[IdentityChange] = []
    last = 0
    while True:
        rows = session.execute(
            select(
                *cols,
                Resident.id_number,
                Resident.name,
                Payment.id.label("payment_id"),
                Payment.amount_fen,
                Payment.paid_on,
                Assessment.categories.label("a_categories"),
                Assessment.tier.label("a_tier"),
            )
            .join(Payment, (Payment.resident_id == Resident.id) & (Payment.campaign_id == c.id))
            .join(Assessment, (Assessment.resident_id == Resident.id) & (Assessment.campaign_id == c.id))
            .where(
                Payment.status == PaymentStatus.ACCEPTED,
                Payment.id > last,
                *([] if only is None else [Resident.id.in_(only)]),
            )
            .order_by(Payment.id)
            .limit(chunk)
        ).all()
        if not rows:
            break
        last = rows[-1].payment_id
        now_cats: dict[int, set[str]] = defaultdict(set)
        for rid, code in session.execute(
            select(Membership.resident_id, Membership.category_code).where(
                Membership.resident_id.in_({r.id for r in rows}), valid_on(on)
            )
        ):
            now_cats[rid].add(code)
        for r in rows:
            old = tuple(x for x in r.a_categories.split(",") if x)
            new = tuple(sorted(now_cats.get(r.id, set())))
            if old == new:
                continue
            if rule is None:
                raise PolicyGap(
                    f"政策{policy.id}未规定缴费后身份变化的处理（退费或补助），"
                    f"无法为{ids.mask(r.id_number)}等人员生成退补名单；请在政策文件中补充 identity_change",
                    f"policy {policy.id} does not say what follows an identity change after payment; "
                    "fill identity_change in the policy file",
                )
            out.append(_change(session, c, pricer, rule, r, old, new, actor))
    return out


def _change(
    session: Session,
    c: Campaign,
    pricer: Pricer,
    rule: str,
    r: Any,
    old: tuple[str, ...],
    new: tuple[str, ...],
    actor: str,
) -> IdentityChange:
    paid = from_fen(r.amount_fen)
    pr = pricer.price(profile(r, new, r.a_tier, r.paid_on))
    due = None if pr.total_due_fen is None else from_fen(pr.total_due_fen)
    masked = ids.mask(r.id_number)
    if rule == "no_difference":
        return IdentityChange(
            masked, r.name, paid, old, new, due, "none", Decimal(0), "政策规定缴费后身份变化不退不补"
        )
    if due is None:
        return IdentityChange(
            masked, r.name, paid, old, new, None, "none", Decimal(0), f"无法按新身份核定：{pr.message}"
        )
    if due >= paid:
        return IdentityChange(
            masked, r.name, paid, old, new, due, "none", Decimal(0), "新身份应缴不低于已缴，通知未规定补收"
        )
    amount = paid - due
    exists = session.scalars(
        select(Refund.id).where(
            Refund.payment_id == r.payment_id, Refund.kind == "refund", Refund.status != "void"
        )
    ).first()
    if exists is None:
        voc = all_identities()
        names = "、".join(voc.by_code[x].name for x in new if x in voc.by_code)
        ledger.owe(
            session,
            campaign_id=c.id,
            resident_id=r.id,
            payment_id=r.payment_id,
            kind="refund",
            amount_fen=r.amount_fen - int(pr.total_due_fen or 0),
            reason=f"缴费后新认定身份（{names}），按政策补发资助参保金",
            actor=actor,
        )
        audit.record(
            session,
            actor,
            "refunds",
            f"payment:{r.payment_id}",
            "insert",
            None,
            {"kind": "refund", "amount": amount, "id_number": r.id_number},
        )
    return IdentityChange(masked, r.name, paid, old, new, due, "refund", amount, "补发资助参保金")


# --- the resident's statement (缴费查询) -----------------------------------------------------


def _explanation(session: Session, digest: str | None) -> list[Any] | None:
    """The engine's steps (rule, citation, value) behind an assessment: computed by the scalar
    engine for the assessment's profile when it was assessed, stored once per distinct text."""
    if digest is None:
        return None
    e = session.get(Explanation, digest)
    return None if e is None else list(e.steps)


def statement(session: Session, id_number: str, on: dt.date) -> dict[str, Any]:
    """Everything a resident asks at the counter: identities, amount due per campaign, payments
    with receipt numbers, enrollment and benefit period. The ID number is shown masked."""
    r = get_resident(session, id_number)
    voc = all_identities()
    out: dict[str, Any] = {
        "id_number": ids.mask(r.id_number),
        "name": r.name,
        "sex": r.sex,
        "birth_date": r.birth_date.isoformat(),
        "region_code": r.region_code,
        "status": r.status,
        "identities_now": [voc.by_code[x].name for x in categories_on(session, r.id, on) if x in voc.by_code],
        "identities": [
            {
                "category": voc.by_code[m.category_code].name
                if m.category_code in voc.by_code
                else m.category_code,
                "department": m.source_department,
                "valid_from": m.valid_from.isoformat(),
                "valid_to": m.valid_to.isoformat() if m.valid_to else None,
            }
            for m in memberships(session, r.id)
        ],
        "campaigns": [],
    }
    pays = payments_of(session, r.id)
    for a, camp in session.execute(
        select(Assessment, Campaign)
        .join(Campaign, Campaign.id == Assessment.campaign_id)
        .where(Assessment.resident_id == r.id)
        .order_by(Campaign.benefit_year)
    ).all():
        enr = session.scalars(
            select(Enrollment).where(
                Enrollment.campaign_id == camp.id,
                Enrollment.resident_id == r.id,
                Enrollment.status == EnrollmentStatus.ENROLLED,
            )
        ).first()
        period = None
        if enr is not None:
            bp = session.scalars(select(BenefitPeriod).where(BenefitPeriod.enrollment_id == enr.id)).first()
            if bp is not None:
                period = {"start": bp.start_on.isoformat(), "end": bp.end_on.isoformat()}
        out["campaigns"].append(
            {
                "campaign": camp.id,
                "benefit_year": camp.benefit_year,
                "policy": f"{camp.policy_id}@{camp.policy_version}",
                "assessment": a.status,
                "reason": EXCLUSION_ZH.get(a.reason or "", a.reason),
                # why the policy could not assess the resident (bilingual), not only the code
                "message": a.message if a.status == "error" else None,
                "amount_due": None if a.total_due_fen is None else from_fen(a.total_due_fen),
                "tier": a.tier,
                "subsidy_category": a.subsidy_category,
                "explanation": _explanation(session, a.explanation_hash),
                "enrolled": enr is not None,
                "enrolled_by": enr.source if enr else None,
                "benefit_period": period,
                "payments": [
                    {
                        "receipt_no": rno,
                        "channel": p.channel,
                        "external_ref": p.external_ref,
                        "amount": from_fen(p.amount_fen),
                        "paid_on": p.paid_on.isoformat(),
                        "status": p.status,
                        "hold_reason": HOLD_ZH.get(p.hold_reason or "", p.hold_reason),
                    }
                    for p, rno in pays
                    if p.campaign_id == camp.id
                ],
            }
        )
    return out
