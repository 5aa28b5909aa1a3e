"""Reading refunds: their statuses and kinds in Chinese, one row per refund with its resident and
original payment (:class:`RefundRow`), the listing in a scope and the rows masked for a reader.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.db.models import Campaign, Payment, Refund, RefundStatus, Resident
from urrbmi.money import from_fen

S = RefundStatus
PAYABLE_KINDS = ("refund", "cancellation")  # money out; a top_up is collected, not paid
STATUS_ZH = {
    S.PENDING: "待审批",
    S.APPROVED: "已审批待发送",
    S.REJECTED: "已驳回",
    S.SENT: "已发送渠道",
    S.PAID: "已支付",
    S.FAILED: "支付失败",
    S.VOID: "已作废",
}
KIND_ZH = {"refund": "退费", "top_up": "补缴", "cancellation": "撤销缴费退款"}


def zh_status(status: str) -> str:
    return STATUS_ZH.get(S(status), status) if status in S._value2member_map_ else status


@dataclass(frozen=True)
class RefundRow:
    id: int
    kind: str
    kind_zh: str
    status: str
    status_zh: str
    amount: Decimal
    reason: str
    id_number: str  # full: the interface masks it for whoever may not see it
    name: str
    region_code: str
    payment_channel: str | None
    payment_ref: str | None
    created_at: dt.datetime
    created_by: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    decided_reason: str | None
    channel: str | None
    batch_id: str | None
    sent_at: dt.datetime | None
    paid_on: dt.date | None
    channel_ref: str | None
    result_reason: str | None


def refund_query(c: Campaign, scope: str) -> Any:
    return (
        select(
            Refund,
            Resident.id_number,
            Resident.name,
            Resident.region_code,
            Payment.channel,
            Payment.external_ref,
        )
        .join(Resident, Resident.id == Refund.resident_id)
        .outerjoin(Payment, Payment.id == Refund.payment_id)
        .where(Refund.campaign_id == c.id, Resident.region_code.startswith(scope, autoescape=True))
        .order_by(Refund.id)
    )


def refund_row(
    r: Refund, id_number: str, name: str, region: str, pch: str | None, pref: str | None
) -> RefundRow:
    return RefundRow(
        r.id,
        r.kind,
        KIND_ZH.get(r.kind, r.kind),
        r.status,
        zh_status(r.status),
        from_fen(r.amount_fen),
        r.reason,
        id_number,
        name,
        region,
        pch,
        pref,
        r.created_at,
        r.created_by,
        r.decided_by,
        r.decided_at,
        r.decided_reason,
        r.channel,
        r.batch_id,
        r.sent_at,
        r.paid_on,
        r.channel_ref,
        r.result_reason,
    )


def list_refunds(
    session: Session,
    c: Campaign,
    *,
    scope: str = "",
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[RefundRow]:
    q = refund_query(c, scope)
    if status is not None:
        q = q.where(Refund.status == S(status))
    if limit is not None:
        q = q.limit(limit)
    if offset:
        q = q.offset(offset)
    return [refund_row(*t) for t in session.execute(q)]


def masked_rows(rows: Iterable[RefundRow], full: bool) -> list[RefundRow]:
    """The rows with ID numbers masked unless the reader may see them in full."""
    if full:
        return list(rows)
    return [replace(r, id_number=ids.mask(r.id_number)) for r in rows]
