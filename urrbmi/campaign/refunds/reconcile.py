"""Refund reconciliation: count and amount per status and kind, and the rows sent long ago with no
result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.campaign.refunds.rows import (
    KIND_ZH,
    PAYABLE_KINDS,
    RefundRow,
    S,
    refund_query,
    refund_row,
    zh_status,
)
from urrbmi.db.models import Campaign, Refund, Resident
from urrbmi.errors import InvalidInput
from urrbmi.money import from_fen


@dataclass(frozen=True)
class StatusTotal:
    status: str
    status_zh: str
    kind: str
    kind_zh: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class RefundReconciliation:
    totals: list[StatusTotal]
    stale_days: int
    stale: list[RefundRow]  # sent more than ``stale_days`` days ago, no result yet

    @property
    def outstanding(self) -> Decimal:
        """Money out approved but not yet paid (approved, sent, failed)."""
        owed = {S.APPROVED.value, S.SENT.value, S.FAILED.value}
        return sum(
            (t.amount for t in self.totals if t.status in owed and t.kind in PAYABLE_KINDS), Decimal("0.00")
        )


def reconcile_refunds(
    session: Session, c: Campaign, *, scope: str = "", stale_days: int = 7, today: dt.date | None = None
) -> RefundReconciliation:
    if not 0 <= stale_days <= 3660:
        raise InvalidInput("天数应在0到3660之间", "days must be between 0 and 3660")
    q = (
        select(Refund.status, Refund.kind, func.count(), func.sum(Refund.amount_fen))
        .join(Resident, Resident.id == Refund.resident_id)
        .where(Refund.campaign_id == c.id, Resident.region_code.startswith(scope, autoescape=True))
        .group_by(Refund.status, Refund.kind)
    )
    order = {s.value: i for i, s in enumerate(S)}
    totals = sorted(
        (
            StatusTotal(st, zh_status(st), kind, KIND_ZH.get(kind, kind), int(n), from_fen(int(fen or 0)))
            for st, kind, n, fen in session.execute(q)
        ),
        key=lambda t: (order.get(t.status, 99), t.kind),
    )
    day = today or clock.today()
    cutoff = dt.datetime.combine(day - dt.timedelta(days=stale_days), dt.time(), tzinfo=clock.CHINA)
    stale = [
        refund_row(*t)
        for t in session.execute(
            refund_query(c, scope).where(Refund.status == S.SENT, Refund.sent_at < cutoff)
        )
    ]
    return RefundReconciliation(totals, stale_days, stale)
