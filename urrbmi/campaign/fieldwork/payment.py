"""Payment for several members of a household at once, each through the counter payment
(:func:`urrbmi.campaign.payments.record_payment`), all or none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.access.scope import Principal, scoped_resident
from urrbmi.campaign.payments import HOLD_ZH, record_payment
from urrbmi.db.models import Campaign
from urrbmi.errors import InvalidInput, UrrbmiError
from urrbmi.money import from_fen
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict

MAX_MEMBERS = 20


@dataclass(frozen=True)
class PaidMember:
    resident_id: int
    name: str
    amount: Decimal
    receipt_no: int | None
    external_ref: str
    replayed: bool


@dataclass
class HouseholdPayment:
    request_ref: str
    paid_on: dt.date
    total: Decimal
    members: list[PaidMember] = field(default_factory=list)


def pay_members(
    session: Session,
    p: Principal,
    c: Campaign,
    *,
    members: Sequence[tuple[int, Decimal]],
    channel: str,
    request_ref: str,
    paid_on: dt.date | None = None,
    actor: str,
) -> HouseholdPayment:
    """Payment for several members at once: each through the counter payment
    (:func:`~urrbmi.campaign.payments.record_payment`, reference ``<request_ref>-<resident>``, so a
    repeated request replays), all in one savepoint: one refused or held member and nothing is
    recorded (the error names the member)."""
    p.require("payment.record")
    if not members or len(members) > MAX_MEMBERS:
        raise InvalidInput(f"一次须为1到{MAX_MEMBERS}人缴费", f"pay for 1 to {MAX_MEMBERS} members at once")
    if len({rid for rid, _ in members}) != len(members):
        raise InvalidInput("同一人在一次缴费中出现两次", "a member is listed twice")
    if not re.fullmatch(r"[0-9A-Za-z_-]{4,40}", request_ref):
        raise InvalidInput("缴费请求编号无效", "request_ref must be 4-40 letters, digits, - or _")
    day = paid_on or clock.today()
    out = HouseholdPayment(request_ref, day, Decimal(0))
    with session.begin_nested():
        for rid, amount in members:
            r = scoped_resident(session, p, resident_id=rid)
            ref = f"{request_ref}-{rid}"
            try:
                res = record_payment(
                    session,
                    c,
                    id_number=r.id_number,
                    amount=amount,
                    channel=channel,
                    external_ref=ref,
                    paid_on=day,
                    actor=actor,
                    may_backdate=p.can("payment.backdate"),
                )
            except UrrbmiError as exc:
                # the same error (code, HTTP status), naming the member; nothing of the request stays
                exc.zh = f"{r.name}：{exc.zh}（本次{len(members)}人均未入账）"
                exc.en = f"{r.name}: {exc.en} (none of the {len(members)} payments was recorded)"
                exc.args = (f"{exc.zh} / {exc.en}",)
                raise
            pay = res.payment
            if pay.status != "accepted":
                why = HOLD_ZH.get(pay.hold_reason or "", "未能入账")
                raise Conflict(
                    f"{r.name}的缴费未能入账（{why}），本次{len(members)}人均未入账",
                    f"{r.name}'s payment was not accepted ({pay.hold_reason}); none was recorded",
                    code="household_payment_refused",
                )
            out.members.append(
                PaidMember(r.id, r.name, from_fen(pay.amount_fen), res.receipt_no, ref, res.replayed)
            )
            out.total += from_fen(pay.amount_fen)
        audit.record(
            session,
            actor,
            "payments",
            f"household:{request_ref}",
            "household_payment",
            None,
            {"members": len(members), "total": str(out.total), "channel": channel, "paid_on": str(day)},
        )
    return out
