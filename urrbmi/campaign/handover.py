"""Cash handover (现金解缴/交接, issue 14 item 3; 濉溪 七（二） "将代收的参保费用按规定及时、足额汇缴入库",
泰兴 五.4 "不得……截留和挪用医保基金").

A village agent who takes cash at the counter (``payments.channel = 'cash'``, recorded by
:func:`urrbmi.campaign.payments.record_payment`; the agent is ``payments.recorded_by``) counts it
each day (日清日结, :func:`daily_cash`) and hands it over in a batch to the township office or
finance (:func:`submit_handover`): every cash receipt of the agent in the campaign up to a day
that is in no batch yet, with its expected total. The receiving officer counts the money and
confirms the batch with the amount received (:func:`confirm_handover`); a difference (短款 short /
长款 over, signed in yuan) needs a reason and is reported. Every step is audited
(``table_name = 'cash_handovers'``).

Choices (the notices are silent; assumed: what a county bureau would expect):

- "cash taken" is an ``accepted`` or ``held`` cash payment: both were paid to the agent. A
  payment cancelled (``refunded``) before it was handed over is not handed over (the agent gives
  the cash back at the counter).
- The officer who confirms a batch is not the agent who submitted it (two people count).
- A receipt in a submitted or confirmed batch is cancelled only by an officer (permission
  ``payment.cancel_handed_over``, :func:`guard_cancel`). The batch keeps its expected total: that
  cash was handed over, and the resident's money goes back through the refund lifecycle from the
  fund, not from the agent; the batch reports its receipts cancelled after handover.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urrbmi import clock, money
from urrbmi.db.models import Campaign, Payment, Receipt, Resident
from urrbmi.db.models_handover import CashHandover, CashHandoverItem
from urrbmi.errors import InvalidInput, UrrbmiError
from urrbmi.money import from_fen, to_fen
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict, NotFound

CASH = "cash"
TAKEN = ("accepted", "held")  # cash the agent was paid and keeps
STATUS_ZH = {"submitted": "已解缴待确认", "confirmed": "已确认"}

__all__ = [
    "CashLine",
    "DayCash",
    "HandedOver",
    "confirm_handover",
    "daily_cash",
    "difference_zh",
    "get_handover",
    "guard_cancel",
    "handover_report",
    "list_handovers",
    "stale_cash",
    "submit_handover",
]


class HandedOver(UrrbmiError):
    """A receipt in a handed-over batch, cancelled without an officer."""

    code = "handed_over"
    http_status = 403


@dataclass(frozen=True)
class CashLine:
    payment_id: int
    external_ref: str
    id_number: str  # full: callers mask it for display
    amount_fen: int
    paid_on: dt.date
    status: str
    receipt_no: int | None
    handover_id: int | None
    agent: str


@dataclass(frozen=True)
class DayCash:
    """日清日结: one agent's cash receipts of one day."""

    agent: str
    day: dt.date
    receipts: int
    amount_fen: int
    handed_over_fen: int  # of which already in a batch
    lines: list[CashLine]


def _in_scope(scope: str) -> Any:
    return func.coalesce(Resident.region_code, Campaign.region_code).startswith(scope, autoescape=True)


def _cash_lines(session: Session, c: Campaign, where: list[Any], scope: str = "") -> list[CashLine]:
    rows = session.execute(
        select(
            Payment.id,
            Payment.external_ref,
            Payment.id_number,
            Payment.amount_fen,
            Payment.paid_on,
            Payment.status,
            Receipt.receipt_no,
            CashHandoverItem.handover_id,
            Payment.recorded_by,
        )
        .join(Campaign, Campaign.id == Payment.campaign_id)
        .outerjoin(Resident, Resident.id == Payment.resident_id)
        .outerjoin(Receipt, Receipt.payment_id == Payment.id)
        .outerjoin(CashHandoverItem, CashHandoverItem.payment_id == Payment.id)
        .where(Payment.campaign_id == c.id, Payment.channel == CASH, _in_scope(scope), *where)
        .order_by(Payment.paid_on, Payment.id)
    ).all()
    return [CashLine(*r) for r in rows]


def daily_cash(session: Session, c: Campaign, agent: str, day: dt.date, *, scope: str = "") -> DayCash:
    """The agent's cash receipts of ``day`` (accepted or held: the cash taken), with the total."""
    lines = _cash_lines(
        session, c, [Payment.recorded_by == agent, Payment.paid_on == day, Payment.status.in_(TAKEN)], scope
    )
    return DayCash(
        agent=agent,
        day=day,
        receipts=len(lines),
        amount_fen=sum(x.amount_fen for x in lines),
        handed_over_fen=sum(x.amount_fen for x in lines if x.handover_id is not None),
        lines=lines,
    )


def submit_handover(
    session: Session,
    c: Campaign,
    *,
    agent: str,
    region_code: str,
    through: dt.date,
    actor: str,
) -> CashHandover:
    """Put the agent's cash receipts up to ``through`` that are in no batch into a new batch
    (status ``submitted``) with their expected total. Nothing to hand over is refused."""
    today = clock.today()
    if through > today:
        raise InvalidInput(
            f"解缴截止日期{through}晚于今天（{today}）",
            f"the handover day {through} is after today ({today})",
        )
    lines = [
        x
        for x in _cash_lines(
            session, c, [Payment.recorded_by == agent, Payment.paid_on <= through, Payment.status.in_(TAKEN)]
        )
        if x.handover_id is None
    ]
    if not lines:
        raise Conflict(
            f"代办员{agent}在{through}及以前没有未解缴的现金收款",
            f"agent {agent} has no cash receipts up to {through} that are not handed over",
        )
    h = CashHandover(
        campaign_id=c.id,
        agent=agent,
        region_code=region_code,
        first_day=lines[0].paid_on,
        last_day=max(x.paid_on for x in lines),
        receipts=len(lines),
        expected_fen=sum(x.amount_fen for x in lines),
        status="submitted",
        submitted_by=actor,
        submitted_at=audit.now(),
    )
    try:
        with session.begin_nested():  # a concurrent submit of the same receipts loses here
            session.add(h)
            session.flush()
            session.add_all(CashHandoverItem(payment_id=x.payment_id, handover_id=h.id) for x in lines)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "这些现金收款刚被另一次解缴提交，请刷新后重试",
            "these cash receipts were just handed over by another submission; refresh and retry",
        ) from None
    audit.record(
        session,
        actor,
        "cash_handovers",
        h.id,
        "submit",
        None,
        {
            "agent": agent,
            "first_day": h.first_day,
            "last_day": h.last_day,
            "receipts": h.receipts,
            "expected_fen": h.expected_fen,
        },
    )
    return h


def get_handover(session: Session, c: Campaign, handover_id: int, *, scope: str = "") -> CashHandover:
    h = session.get(CashHandover, handover_id)
    if h is None or h.campaign_id != c.id or not h.region_code.startswith(scope):
        raise NotFound(
            f"征缴批次{c.id}中找不到解缴批次{handover_id}",
            f"no cash handover {handover_id} in campaign {c.id}",
        )
    return h


def confirm_handover(
    session: Session,
    c: Campaign,
    handover_id: int,
    *,
    received: Decimal,
    reason: str | None,
    actor: str,
    scope: str = "",
) -> CashHandover:
    """The receiving officer records the amount counted. A difference from the expected total
    (short or over) needs a reason; the agent who submitted cannot confirm."""
    received = money.yuan(received)  # a float is refused: not exact
    if not received.is_finite() or received < 0 or received != received.quantize(Decimal("0.01")):
        raise InvalidInput(
            f"实收金额应为非负数、至多两位小数：{received}",
            f"the amount received must be non-negative with at most two decimals: {received}",
        )
    h = get_handover(session, c, handover_id, scope=scope)
    if h.status != "submitted":
        raise Conflict(
            f"解缴批次{h.id}已于{h.confirmed_at:%Y-%m-%d}由{h.confirmed_by}确认",
            f"cash handover {h.id} was already confirmed by {h.confirmed_by}",
        )
    if actor == h.agent or actor == h.submitted_by:
        raise Conflict(
            f"解缴批次{h.id}须由代办员以外的经办人员清点确认",
            f"cash handover {h.id} must be confirmed by an officer other than the agent",
        )
    fen = to_fen(received)
    why = (reason or "").strip()
    if fen != h.expected_fen and not why:
        raise InvalidInput(
            f"实收{from_fen(fen)}元与应解缴{from_fen(h.expected_fen)}元不符"
            f"（{difference_zh(fen - h.expected_fen)}），须说明差额原因",
            f"received {from_fen(fen)} yuan differs from the expected {from_fen(h.expected_fen)} yuan "
            f"({from_fen(fen - h.expected_fen):+} yuan); a reason is required",
        )
    old = {"status": h.status}
    h.status, h.received_fen, h.confirmed_by, h.confirmed_at = "confirmed", fen, actor, audit.now()
    h.difference_reason = why or None
    session.flush()
    audit.record(
        session,
        actor,
        "cash_handovers",
        h.id,
        "confirm",
        old,
        {
            "status": h.status,
            "expected_fen": h.expected_fen,
            "received_fen": fen,
            "difference_fen": fen - h.expected_fen,
            "reason": h.difference_reason,
        },
    )
    return h


def difference_zh(diff_fen: int) -> str:
    """短款/长款 with the signed amount in yuan: -1000 → '短款10.00元（-10.00）'."""
    if diff_fen == 0:
        return "无差额"
    word = "短款" if diff_fen < 0 else "长款"
    return f"{word}{from_fen(abs(diff_fen))}元（{from_fen(diff_fen):+}）"


def guard_cancel(session: Session, p: Payment, may_cancel_handed_over: bool) -> int | None:
    """Refuse to cancel a payment in a handed-over batch without an officer's permission; returns
    the batch (for the audit row), or None when the payment is in none."""
    hid = session.scalar(select(CashHandoverItem.handover_id).where(CashHandoverItem.payment_id == p.id))
    if hid is not None and not may_cancel_handed_over:
        raise HandedOver(
            f"流水号{p.external_ref}的现金已在解缴批次{hid}中交出，须由经办人员（医保局）撤销",
            f"the cash of payment {p.external_ref} was handed over in batch {hid}; "
            "only an officer may cancel it",
        )
    return hid


def _cancelled_after(session: Session, ids_: list[int]) -> dict[int, tuple[int, int]]:
    """Per batch: (receipts, fen) cancelled after handover."""
    if not ids_:
        return {}
    rows = session.execute(
        select(CashHandoverItem.handover_id, func.count(), func.coalesce(func.sum(Payment.amount_fen), 0))
        .join(Payment, Payment.id == CashHandoverItem.payment_id)
        .where(CashHandoverItem.handover_id.in_(ids_), Payment.status == "refunded")
        .group_by(CashHandoverItem.handover_id)
    ).all()
    return {h: (int(n), int(f)) for h, n, f in rows}


def handover_row(h: CashHandover, cancelled: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """One batch for display (amounts in yuan, the difference signed and named)."""
    diff = None if h.received_fen is None else h.received_fen - h.expected_fen
    return {
        "id": h.id,
        "campaign_id": h.campaign_id,
        "agent": h.agent,
        "region_code": h.region_code,
        "first_day": h.first_day,
        "last_day": h.last_day,
        "receipts": h.receipts,
        "expected": from_fen(h.expected_fen),
        "received": None if h.received_fen is None else from_fen(h.received_fen),
        "difference": None if diff is None else from_fen(diff),
        "difference_zh": None if diff is None else difference_zh(diff),
        "difference_reason": h.difference_reason,
        "status": h.status,
        "status_zh": STATUS_ZH[h.status],
        "submitted_by": h.submitted_by,
        "submitted_at": h.submitted_at,
        "confirmed_by": h.confirmed_by,
        "confirmed_at": h.confirmed_at,
        "cancelled_after": cancelled[0],
        "cancelled_after_amount": from_fen(cancelled[1]),
    }


def list_handovers(
    session: Session, c: Campaign, *, scope: str = "", agent: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    q = select(CashHandover).where(
        CashHandover.campaign_id == c.id, CashHandover.region_code.startswith(scope, autoescape=True)
    )
    if agent is not None:
        q = q.where(CashHandover.agent == agent)
    if status is not None:
        q = q.where(CashHandover.status == status)
    hs = list(session.scalars(q.order_by(CashHandover.id)))
    cancelled = _cancelled_after(session, [h.id for h in hs])
    return [handover_row(h, cancelled.get(h.id, (0, 0))) for h in hs]


def handover_report(
    session: Session, c: Campaign, *, scope: str = "", agent: str | None = None
) -> list[dict[str, Any]]:
    """Per agent and day: cash received, handed over (in a batch), confirmed, not handed over;
    and the differences of the confirmed batches that day closes (by their last day)."""
    lines = _cash_lines(session, c, [] if agent is None else [Payment.recorded_by == agent], scope)
    hids = {x.handover_id for x in lines if x.handover_id is not None}
    hs = (
        {h.id: h for h in session.scalars(select(CashHandover).where(CashHandover.id.in_(hids)))}
        if hids
        else {}
    )
    out: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for x in lines:
        key = (x.agent, x.paid_on)
        row = out.setdefault(
            key,
            {"agent": key[0], "day": key[1], "receipts": 0, "received_fen": 0, "handed_over_fen": 0,
             "confirmed_fen": 0, "open_fen": 0, "cancelled_fen": 0},
        )  # fmt: skip
        h = hs.get(x.handover_id) if x.handover_id is not None else None
        if x.status not in TAKEN and h is None:
            row["cancelled_fen"] += x.amount_fen  # given back before handover: not cash to hand over
            continue
        row["receipts"] += 1
        row["received_fen"] += x.amount_fen
        if h is None:
            row["open_fen"] += x.amount_fen
        else:
            row["handed_over_fen"] += x.amount_fen
            if h.status == "confirmed":
                row["confirmed_fen"] += x.amount_fen
    diffs: dict[tuple[str, dt.date], int] = {}
    for h in hs.values():
        if h.received_fen is not None:
            k = (h.agent, h.last_day)
            diffs[k] = diffs.get(k, 0) + h.received_fen - h.expected_fen
    result = []
    for key in sorted(out):
        r = out[key]
        d = diffs.get(key)
        result.append(
            {
                "agent": r["agent"],
                "day": r["day"],
                "receipts": r["receipts"],
                "received": from_fen(r["received_fen"]),
                "handed_over": from_fen(r["handed_over_fen"]),
                "confirmed": from_fen(r["confirmed_fen"]),
                "not_handed_over": from_fen(r["open_fen"]),
                "difference": None if d is None else from_fen(d),
                "difference_zh": None if d is None else difference_zh(d),
            }
        )
    return result


def stale_cash(
    session: Session, c: Campaign, *, older_than_days: int, scope: str = "", today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Per agent: cash not handed over that was taken more than ``older_than_days`` days ago."""
    if older_than_days < 0:
        raise InvalidInput("天数不能为负数", "the number of days cannot be negative")
    before = (today or clock.today()) - dt.timedelta(days=older_than_days)
    rows = session.execute(
        select(Payment.recorded_by, func.count(), func.sum(Payment.amount_fen), func.min(Payment.paid_on))
        .join(Campaign, Campaign.id == Payment.campaign_id)
        .outerjoin(Resident, Resident.id == Payment.resident_id)
        .outerjoin(CashHandoverItem, CashHandoverItem.payment_id == Payment.id)
        .where(
            Payment.campaign_id == c.id,
            Payment.channel == CASH,
            Payment.status.in_(TAKEN),
            Payment.paid_on < before,
            CashHandoverItem.payment_id.is_(None),
            _in_scope(scope),
        )
        .group_by(Payment.recorded_by)
        .order_by(Payment.recorded_by)
    ).all()
    return [
        {"agent": a, "receipts": int(n), "amount": from_fen(int(f)), "oldest_day": d} for a, n, f, d in rows
    ]
