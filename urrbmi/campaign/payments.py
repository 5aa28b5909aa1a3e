"""Payments: one at a village agent's counter, or a channel's file of thousands.

The public names of the payment services live here; the work is in three modules:

- :mod:`urrbmi.campaign.payment_lines`: a payment line, a channel's CSV file read and validated
  (a file with any bad line is refused whole), the hold reasons' names;
- :mod:`urrbmi.campaign.payment_files`: a channel's file through staging, priced by the engine,
  moved into ``payments`` by one set-based ``INSERT … SELECT`` that decides each status
  (``accepted``, ``held``, ``unmatched``), receipts and the ledger's enrollments set-based;
- :mod:`urrbmi.campaign.payment_counter`: the counter payment, refused before anything is
  written when its amount or date is wrong, and written in one short transaction (one read, then
  the payment with its receipt, the enrollment and its period, one audit row).

And here: a held payment accepted on review (:func:`accept_payment`), a payment given back
(:func:`cancel_payment`), a resident's payments (:func:`payments_of`) and what became of each
line of a channel's notification (:func:`line_results`).

Idempotent: a (channel, external reference) already recorded with the same data is skipped; with
different data the whole file is refused. Two agents paying for the same resident at once give one
accepted payment: a partial unique index allows one accepted payment per resident and campaign,
and the loser is re-run and held as ``already_paid``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.campaign import ledger
from urrbmi.campaign.campaigns import Pricer, campaign_policy, profile, profile_columns
from urrbmi.campaign.handover import guard_cancel
from urrbmi.campaign.payment_counter import (
    CounterCheck,
    PaymentResult,
    check_counter_payment,
    record_payment,
)
from urrbmi.campaign.payment_files import (
    ANALYZE_FROM,
    LOOKUP_BATCH,
    STAGING_BATCH,
    PaymentSummary,
    apply_payments,
    apply_payments_raced,
)
from urrbmi.campaign.payment_lines import (
    HEADERS,
    HOLD_ZH,
    PaymentLine,
    check_channel,
    parse_amount,
    parse_day,
    read_lines,
    read_payment_bytes,
    read_payment_file,
)
from urrbmi.db.models import (
    Assessment,
    Campaign,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    Payment,
    PaymentStatus,
    Receipt,
    Resident,
)
from urrbmi.errors import InvalidInput
from urrbmi.money import from_fen
from urrbmi.registry import audit
from urrbmi.registry.errors import AlreadyEnrolled, Conflict, NotFound

__all__ = [
    "ANALYZE_FROM",
    "HEADERS",
    "HOLD_ZH",
    "LOOKUP_BATCH",
    "STAGING_BATCH",
    "CounterCheck",
    "LineResult",
    "PaymentLine",
    "PaymentResult",
    "PaymentSummary",
    "accept_payment",
    "apply_payments",
    "apply_payments_raced",
    "cancel_payment",
    "check_channel",
    "check_counter_payment",
    "line_results",
    "parse_amount",
    "parse_day",
    "payments_of",
    "read_lines",
    "read_payment_bytes",
    "read_payment_file",
    "record_payment",
]


def payments_of(session: Session, resident_id: int) -> list[tuple[Payment, int | None]]:
    rows = session.execute(
        text(
            "SELECT p.id, r.receipt_no FROM payments p LEFT JOIN receipts r ON r.payment_id = p.id "
            "WHERE p.resident_id = :r ORDER BY p.id"
        ),
        {"r": resident_id},
    ).all()
    out = []
    for pid, rno in rows:
        p = session.get(Payment, pid)
        assert p is not None
        out.append((p, rno))
    return out


@dataclass(frozen=True, slots=True)
class LineResult:
    """What became of one line of a channel's notification: its payment's status, hold reason
    and receipt number."""

    external_ref: str
    status: str
    hold_reason: str | None
    receipt_no: int | None


def line_results(session: Session, channel: str, refs: Sequence[str]) -> list[LineResult]:
    """The recorded payment of each of a channel's references, in the order first named, each
    once (a reference with no payment is left out): the per-line answer to a notification."""
    found: dict[str, LineResult] = {}
    for i in range(0, len(refs), 900):
        part = refs[i : i + 900]
        for ref, status, reason, rno in session.execute(
            select(Payment.external_ref, Payment.status, Payment.hold_reason, Receipt.receipt_no)
            .outerjoin(Receipt, Receipt.payment_id == Payment.id)
            .where(Payment.channel == channel, Payment.external_ref.in_(part))
        ):
            found[ref] = LineResult(ref, status, reason, rno)
    return [found[r] for r in dict.fromkeys(refs) if r in found]


def cancel_payment(
    session: Session,
    c: Campaign,
    *,
    channel: str,
    external_ref: str,
    reason: str,
    actor: str,
    may_cancel_handed_over: bool = False,
) -> Payment:
    """Give a payment back: a held or unmatched one (a second payment, a wrong amount) becomes
    ``refunded`` with a pending ``refund``; an accepted one is cancelled with its enrollment (e.g.
    the resident turned out to be in employee insurance) and a pending ``cancellation``. The
    receipt number stays issued (receipts are never reused). A cash receipt in a handed-over batch
    needs ``may_cancel_handed_over`` (an officer: ``payment.cancel_handed_over``;
    :func:`urrbmi.campaign.handover.guard_cancel`)."""
    p = session.scalars(
        select(Payment).where(
            Payment.campaign_id == c.id, Payment.channel == channel, Payment.external_ref == external_ref
        )
    ).first()
    if p is None:
        raise NotFound(
            f"找不到{channel}渠道流水号{external_ref}的缴费", f"no {channel} payment {external_ref}"
        )
    if p.status == PaymentStatus.REFUNDED:
        raise Conflict(f"流水号{external_ref}已退费", f"payment {external_ref} is already refunded")
    handed_over = guard_cancel(session, p, may_cancel_handed_over)
    old = {"status": p.status, "hold_reason": p.hold_reason}
    kind = "cancellation" if p.status == PaymentStatus.ACCEPTED else "refund"
    if p.status == PaymentStatus.ACCEPTED:
        ledger.cancel(session, Enrollment.payment_id == p.id, actor=actor, audit_key=None)  # audited below
    p.status = PaymentStatus.REFUNDED.value
    resident_id = p.resident_id
    if resident_id is not None:
        ledger.owe(
            session,
            campaign_id=c.id,
            resident_id=resident_id,
            payment_id=p.id,
            kind=kind,
            amount_fen=p.amount_fen,
            reason=reason,
            actor=actor,
        )
    session.flush()
    new: dict[str, Any] = {"status": p.status, "kind": kind, "reason": reason}
    if handed_over is not None:
        new["cash_handover"] = handed_over
    audit.record(session, actor, "payments", p.id, "cancel", old, new)
    return p


def accept_payment(
    session: Session, c: Campaign, *, payment_id: int, reason: str, actor: str, scope: str = ""
) -> PaymentResult:
    """Accept a held payment after review (the reviewer's ``reason`` is required and audited).

    The payment is priced again at its payment date with the resident's current assessment
    (identities and tier): after a re-assessment the amount may now match. If it still differs
    the reviewer overrides: the payment is accepted and the difference is recorded as a pending
    ``refund`` (paid too much) or ``top_up`` (too little). The payment gets a receipt number, the
    resident an enrollment (``source='payment'``) and the benefit period of the quote.
    ``scope``: region-code prefix of the residents the actor may act on ("" = all)."""
    if not reason.strip():
        raise InvalidInput("接受挂起缴费须说明理由", "accepting a held payment needs a reason")
    p = session.get(Payment, payment_id)
    r = None if p is None or p.resident_id is None else session.get(Resident, p.resident_id)
    if p is None or p.campaign_id != c.id or (r is not None and not r.region_code.startswith(scope)):
        raise NotFound(
            f"征缴批次{c.id}中找不到缴费{payment_id}", f"no payment {payment_id} in campaign {c.id}"
        )
    if p.status != PaymentStatus.HELD:
        raise Conflict(
            f"缴费{payment_id}的状态是{p.status}，只有挂起（待审核）的缴费可以接受",
            f"payment {payment_id} is {p.status}: only held payments can be accepted",
        )
    if r is None:
        raise InvalidInput(f"缴费{payment_id}未匹配到居民", f"payment {payment_id} names no known resident")
    live = session.execute(
        select(Enrollment.campaign_id, Enrollment.region_code).where(
            Enrollment.resident_id == r.id,
            Enrollment.benefit_year == c.benefit_year,
            Enrollment.status == EnrollmentStatus.ENROLLED.value,
            Enrollment.campaign_id.is_not(None),
        )
    ).first()
    if live is not None:
        raise AlreadyEnrolled(
            f"居民{ids.mask(r.id_number)}{c.benefit_year}年度已由征缴批次{live.campaign_id}参保"
            f"（{live.region_code}），不能再接受一笔缴费；请退费",
            f"resident {ids.mask(r.id_number)} is already enrolled for {c.benefit_year} by campaign "
            f"{live.campaign_id} ({live.region_code}); refund this payment",
        )
    a = session.scalars(
        select(Assessment).where(Assessment.campaign_id == c.id, Assessment.resident_id == r.id)
    ).first()
    if a is None or a.status != "due":
        raise Conflict(
            f"居民{ids.mask(r.id_number)}没有应缴核定（{a.reason if a else '未核定'}），不能接受缴费",
            f"resident {ids.mask(r.id_number)} has no amount due ({a.reason if a else 'not assessed'})",
        )
    row = session.execute(select(*profile_columns(c.benefit_year, c.id)).where(Resident.id == r.id)).one()
    codes = tuple(x for x in a.categories.split(",") if x)
    pr = Pricer(campaign_policy(c)).price(profile(row, codes, a.tier, p.paid_on))
    if pr.error_code is not None or pr.total_due_fen is None or pr.benefit_start is None:
        raise Conflict(
            f"无法按缴费日期{p.paid_on}核定应缴：{pr.message}",
            f"cannot price the payment at {p.paid_on}: {pr.message}",
        )
    assert pr.benefit_end is not None
    old = {"status": p.status, "hold_reason": p.hold_reason, "due_fen": p.due_fen}
    due = pr.total_due_fen
    p.status, p.hold_reason, p.due_fen = PaymentStatus.ACCEPTED.value, None, due
    session.flush()  # the partial unique index refuses a second accepted payment here
    receipt = session.execute(
        insert(Receipt).values(payment_id=p.id).returning(Receipt.receipt_no)
    ).scalar_one()
    ledger.enroll(
        session,
        [
            ledger.NewEnrollment(
                c.id, r.id, c.benefit_year, r.region_code, p.paid_on, pr.benefit_start, pr.benefit_end, p.id
            )
        ],
        source=EnrollmentSource.PAYMENT,
        actor=actor,
        audit_key=None,  # the payment's "accept" row below
    )
    diff = p.amount_fen - due
    if diff:
        ledger.owe(
            session,
            campaign_id=c.id,
            resident_id=r.id,
            payment_id=p.id,
            kind="refund" if diff > 0 else "top_up",
            amount_fen=abs(diff),
            reason=f"审核接受金额不符的缴费（应缴{from_fen(due)}元，实缴{from_fen(p.amount_fen)}元）：{reason}",
            actor=actor,
        )
    session.flush()
    audit.record(
        session,
        actor,
        "payments",
        p.id,
        "accept",
        old,
        {
            "status": PaymentStatus.ACCEPTED.value,
            "due_fen": due,
            "amount_fen": p.amount_fen,
            "override": diff != 0,
            "reason": reason,
        },
    )
    return PaymentResult(p, receipt, replayed=False)
