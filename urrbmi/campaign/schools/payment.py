"""A school pays for its pupils: one amount checked against its statement, then one payment line
per pupil through the ledger's pipeline (:func:`urrbmi.campaign.payments.apply_payments_raced`);
or a channel's file of the school's payments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi import ids, money
from urrbmi.campaign.payments import (
    PaymentLine,
    PaymentSummary,
    apply_payments,
    apply_payments_raced,
    check_counter_payment,
    parse_amount,
)
from urrbmi.campaign.schools.base import LOOKUP_BATCH, check_campaign
from urrbmi.campaign.schools.statement import statement
from urrbmi.db.models import CHANNELS, Campaign, Payment, Receipt, Resident
from urrbmi.db.models_schools import School, SchoolPupil
from urrbmi.errors import InvalidInput
from urrbmi.money import from_fen
from urrbmi.registry import audit
from urrbmi.registry.errors import AmountMismatch, Conflict

REF_MAX = 40  # the school's reference; each pupil's line is "<ref>#<roster row id>" (payments: 64)


@dataclass(frozen=True, slots=True)
class PupilReceipt:
    pupil_id: int
    id_number: str  # full: callers mask it
    name: str
    amount_fen: int
    status: str  # the payment's status (accepted: with a receipt and an enrollment)
    receipt_no: int | None


@dataclass
class SchoolPaid:
    school_id: int
    campaign_id: int
    channel: str
    external_ref: str
    amount_fen: int
    paid_on: dt.date
    replayed: bool
    receipts: list[PupilReceipt]

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.receipts if r.status == "accepted")

    @property
    def held(self) -> int:
        return sum(1 for r in self.receipts if r.status != "accepted")


def _receipts(session: Session, c: Campaign, channel: str, refs: Sequence[str]) -> list[PupilReceipt]:
    out = []
    for i in range(0, len(refs), LOOKUP_BATCH):
        rows = session.execute(
            select(
                Payment.external_ref,
                Payment.id_number,
                Resident.name,
                Payment.amount_fen,
                Payment.status,
                Receipt.receipt_no,
            )
            .outerjoin(Resident, Resident.id == Payment.resident_id)
            .outerjoin(Receipt, Receipt.payment_id == Payment.id)
            .where(
                Payment.campaign_id == c.id,
                Payment.channel == channel,
                Payment.external_ref.in_(refs[i : i + LOOKUP_BATCH]),
            )
        ).all()
        for ref, number, name, fen, status, rno in rows:
            out.append(PupilReceipt(int(ref.rsplit("#", 1)[1]), number, name or "", fen, status, rno))
    return sorted(out, key=lambda r: r.pupil_id)


def _check_ref(channel: str, external_ref: str) -> str:
    ref = external_ref.strip()
    if channel not in CHANNELS:
        raise InvalidInput(
            f"未知的缴费渠道{channel}；可用：{'、'.join(CHANNELS)}",
            f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}",
        )
    if not ref or len(ref) > REF_MAX or "#" in ref:
        raise InvalidInput(
            f"交易流水号应为1至{REF_MAX}个字符且不含“#”：{ref!r}",
            f"the reference must be 1 to {REF_MAX} characters without '#': {ref!r}",
        )
    return ref


def pay_school(
    session: Session,
    school: School,
    c: Campaign,
    *,
    amount: Decimal,
    channel: str,
    external_ref: str,
    paid_on: dt.date,
    actor: str,
    may_backdate: bool = False,
) -> SchoolPaid:
    """The school pays one amount for every pupil due on its statement at ``paid_on``.

    Refused before anything is written when the amount is not the statement's total (the error
    says the amount due and for how many pupils), when no pupil is due, or when ``paid_on`` is
    after today or backdated beyond the window without ``may_backdate`` (as a counter payment).
    Repeating a recorded (channel, reference) with the same amount gives the same receipts."""
    amount = money.yuan(amount)  # a float is refused: not exact
    ref = _check_ref(channel, external_ref)
    try:
        fen = parse_amount(str(amount))
    except ValueError as exc:
        raise InvalidInput(str(exc), f"invalid amount: {amount}") from None
    check_campaign(session, school, c)
    earlier = session.execute(
        select(Payment.external_ref, Payment.amount_fen, Payment.campaign_id).where(
            Payment.channel == channel, Payment.external_ref.startswith(ref + "#", autoescape=True)
        )
    ).all()
    if earlier:
        mine = set(
            session.scalars(
                select(SchoolPupil.id).where(
                    SchoolPupil.school_id == school.id, SchoolPupil.campaign_id == c.id
                )
            )
        )
        if any(int(r.rsplit("#", 1)[1]) not in mine for r, *_ in earlier):
            raise Conflict(
                f"交易流水号{ref}已用于另一所学校的缴费，未入账",
                f"reference {ref} was already used for another school's payment; nothing was recorded",
            )
        if sum(a for _, a, _ in earlier) != fen or any(cid != c.id for *_, cid in earlier):
            raise Conflict(
                f"交易流水号{ref}已按不同金额入账（{from_fen(sum(a for _, a, _ in earlier))}元），未入账",
                f"reference {ref} was already recorded with a different amount; nothing was recorded",
            )
        return SchoolPaid(
            school.id,
            c.id,
            channel,
            ref,
            fen,
            paid_on,
            True,
            _receipts(session, c, channel, [r for r, *_ in earlier]),
        )
    st = statement(session, school, c, paid_on)
    due = st.due
    if not due:
        raise Conflict(
            f"“{school.name}”名册中没有按{paid_on}应缴费的学生（已参保{st.enrolled}人），未入账",
            f"no pupil of the school's roster is due on {paid_on}; nothing was recorded",
        )
    lines = [
        PaymentLine(
            line_no=i,
            external_ref=f"{ref}#{x.pupil_id}",
            id_number=x.id_number,
            amount_fen=x.due_fen or 0,
            paid_on=paid_on,
        )
        for i, x in enumerate(due, start=1)
    ]
    # the date guards of a counter payment (not after today, the backdating window), read only;
    # the first pupil's line is also priced by the pipeline's own check (it must agree)
    check_counter_payment(session, c, lines[0], may_backdate)
    if fen != st.total_fen:
        total, given = from_fen(st.total_fen), from_fen(fen)
        raise AmountMismatch(
            f"金额与应缴不符：“{school.name}”{len(due)}名学生按缴费日期{paid_on}应缴合计{total}元，"
            f"缴入的是{given}元；未入账，请按应缴合计{total}元缴费",
            f"the amount {given} yuan is not the amount due: {total} yuan for {len(due)} pupils paying "
            f"on {paid_on}; nothing was recorded",
        )
    summary = apply_payments_raced(session, c, channel, lines, actor=actor)
    result = SchoolPaid(
        school.id,
        c.id,
        channel,
        ref,
        fen,
        paid_on,
        False,
        _receipts(session, c, channel, [x.external_ref for x in lines]),
    )
    audit.record(
        session,
        actor,
        "schools",
        school.id,
        "pay",
        None,
        {
            "campaign": c.id,
            "channel": channel,
            "external_ref": ref,
            "amount_fen": fen,
            "paid_on": paid_on.isoformat(),
            "pupils": len(lines),
            "accepted": result.accepted,
            "held": result.held,
            "batch": summary.batch_id,
        },
    )
    return result


def pay_school_file(
    session: Session, school: School, c: Campaign, lines: Sequence[PaymentLine], *, channel: str, actor: str
) -> PaymentSummary:
    """A channel's file of the school's payments (one line per pupil): every ID number must be
    on the school's roster (else the file is refused, naming the lines); then the ledger's
    pipeline as any channel file (a wrong amount is held for review)."""
    check_campaign(session, school, c)
    roster = set(
        session.scalars(
            select(Resident.id_number)
            .join(SchoolPupil, SchoolPupil.resident_id == Resident.id)
            .where(SchoolPupil.school_id == school.id, SchoolPupil.campaign_id == c.id)
        )
    )
    strangers = [ln for ln in lines if ln.id_number not in roster]
    if strangers:
        shown = "；".join(f"第{ln.line_no}行{ids.mask(ln.id_number)}" for ln in strangers[:20])
        raise InvalidInput(
            f"缴费文件有{len(strangers)}行不是“{school.name}”名册中的学生，整个文件未导入：{shown}",
            f"{len(strangers)} line(s) name no pupil of the school's roster; nothing was imported",
        )
    summary = apply_payments(session, c, channel, lines, actor=actor)
    audit.record(
        session,
        actor,
        "schools",
        school.id,
        "pay_file",
        None,
        {"campaign": c.id, "channel": channel, "lines": len(lines)} | summary.as_dict(),
    )
    return summary
