"""The season replay's invariants (:mod:`urrbmi.synth.season`), checked after each simulated day
against the ledger (SQL) and what the API answered (reconciliation, progress, the not-enrolled
list):

1. **money** (:func:`check_money`): for every channel, what the channel took (the replay's
   statement) = the ledger = what reconciliation accounts for; refunds paid = the bank's 成功 lines;
   the residents enrolled by payment = those the replay paid for = reconciliation's accepted;
2. **one state per resident** (:func:`check_states`): the state definition has one row per
   resident, and the living residents split exactly into enrolled, employee-insured, insured
   elsewhere and the not-enrolled list.

A violation raises :class:`SeasonViolation` naming the day, the invariant and both figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from urrbmi.db.models import Campaign, Enrollment, Payment, Refund, Resident
from urrbmi.db.session import session_scope

if TYPE_CHECKING:
    from urrbmi.synth.season import Line


class SeasonViolation(AssertionError):
    """An invariant of the season does not hold on a day."""


def ledger_fen(engine: Engine, campaign_id: int) -> int:
    """The sum of the campaign's payments, whatever their status."""
    with session_scope(engine) as s:
        total = s.scalar(
            select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(Payment.campaign_id == campaign_id)
        )
    return int(total or 0)


def check_money(
    engine: Engine,
    campaign_id: int,
    day: dt.date,
    *,
    statement: Mapping[str, Mapping[str, Line]],
    paid: int,
    refund_success_fen: int,
    reconciliation: Mapping[str, Any],
) -> None:
    """Invariant 1: the channels' statements (``statement``: channel -> reference -> line), the
    residents the replay paid for (``paid``) and the bank's 成功 refunds against the ledger and
    the API's reconciliation answer."""
    rec = reconciliation
    with session_scope(engine) as s:
        ledger = {
            ch: (int(n), int(total))
            for ch, n, total in s.execute(
                select(Payment.channel, func.count(), func.sum(Payment.amount_fen))
                .where(Payment.campaign_id == campaign_id)
                .group_by(Payment.channel)
            )
        }
        given_back = {
            ch: int(total)
            for ch, total in s.execute(
                select(Payment.channel, func.sum(Payment.amount_fen))
                .where(Payment.campaign_id == campaign_id, Payment.status == "refunded")
                .group_by(Payment.channel)
            )
        }
        enrolled_by_payment = int(
            s.scalar(
                select(func.count(func.distinct(Enrollment.resident_id))).where(
                    Enrollment.campaign_id == campaign_id,
                    Enrollment.status == "enrolled",
                    Enrollment.payment_id.is_not(None),
                )
            )
            or 0
        )
        refunds_paid_fen = int(
            s.scalar(
                select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
                    Refund.campaign_id == campaign_id, Refund.status == "paid"
                )
            )
            or 0
        )
    for channel, lines in statement.items():
        took = sum(ln.amount_fen for ln in lines.values())
        n, fen = ledger.get(channel, (0, 0))
        if (n, fen) != (len(lines), took):
            raise SeasonViolation(
                f"{day} money, {channel}: the channel's statement has {len(lines)} lines of {took} fen, "
                f"the ledger {n} of {fen}"
            )
        accepted = Decimal(str(rec["matched"]["by_channel"].get(channel, {"amount": 0})["amount"]))
        held = sum(
            (
                Decimal(str(h["amount"]))
                for kind in ("unmatched", "duplicates", "mismatches", "other_held")
                for h in rec[kind]
                if h["channel"] == channel
            ),
            Decimal(0),
        )
        shown = int((accepted + held) * 100) + given_back.get(channel, 0)
        if shown != took:
            raise SeasonViolation(
                f"{day} money, {channel}: reconciliation shows {shown} fen, the channel took {took}"
            )
    if refunds_paid_fen != refund_success_fen:
        raise SeasonViolation(
            f"{day} refunds: the ledger paid {refunds_paid_fen} fen, the bank {refund_success_fen}"
        )
    if not (enrolled_by_payment == paid == rec["matched"]["count"]):
        raise SeasonViolation(
            f"{day} enrollments: the ledger has {enrolled_by_payment} enrolled by payment, "
            f"the replay paid for "
            f"{paid}, reconciliation counts {rec['matched']['count']} accepted"
        )


def check_states(engine: Engine, campaign_id: int, region: str, day: dt.date) -> None:
    """Invariant 2, in the database: the single definition
    (``targets.counting.resident_state``) has one row per resident of the registry."""
    from urrbmi.targets.counting import resident_state

    with session_scope(engine) as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise SeasonViolation(f"campaign {campaign_id} is gone")
        state = resident_state(s, c, region, day, columns=["rid", "alive"])
        rows, distinct = s.execute(select(func.count(), func.count(func.distinct(state.c.rid)))).one()
        registry = s.scalar(
            select(func.count()).select_from(Resident).where(Resident.region_code.like(f"{region}%"))
        )
    if not (rows == distinct == registry):
        raise SeasonViolation(
            f"{day} states: {registry} residents, the state definition gives {rows} rows for {distinct}"
        )


def check_split(day: dt.date, total: Mapping[str, int], listed: int) -> None:
    """Invariant 2, in the API's answers: at county level the living residents (``total``, the
    progress report's total row) split exactly into enrolled, employee-insured, insured elsewhere
    and the not-enrolled list for action (``listed``, its total)."""
    parts = total["enrolled"] + total["employee"] + total["elsewhere"] + listed
    if parts != total["registry"]:
        raise SeasonViolation(
            f"{day} states: {total['enrolled']} enrolled + {total['employee']} employee + "
            f"{total['elsewhere']} elsewhere + {listed} not enrolled = {parts}, "
            f"but {total['registry']} living residents"
        )
