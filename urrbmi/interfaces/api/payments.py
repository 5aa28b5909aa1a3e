"""Payments of a campaign: a single payment at the counter, a channel's file, a payment refunded
or cancelled, a held payment accepted after review (under ``/api/v1/campaigns/{id}/payments``).

Scope: a single payment is checked against the resident's region before anything is written
(:func:`urrbmi.access.scope.scoped_payment`); importing a channel's file needs the campaign's
region inside the user's scope.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, Field

from urrbmi import clock, ids
from urrbmi.access.errors import out_of_scope
from urrbmi.access.scope import Principal, scoped_campaign, scoped_payment
from urrbmi.campaign.payments import (
    accept_payment,
    apply_payments,
    cancel_payment,
    read_payment_bytes,
    record_payment,
)
from urrbmi.db.models import Payment
from urrbmi.interfaces.api.common import AUTH_ERRORS, CONFLICT, Id, IdNumber, Strict
from urrbmi.interfaces.api.deps import need, tx
from urrbmi.interfaces.api.schemas import Yuan
from urrbmi.interfaces.api.uploads import read_upload
from urrbmi.money import from_fen
from urrbmi.registry.errors import NotFound

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])

Amount = Annotated[Decimal, Field(ge=0, le=100000, decimal_places=2, description="金额（元），至多两位小数")]


class PaymentIn(Strict):
    id_number: IdNumber
    amount: Amount
    channel: Literal["cash", "pos"] = "cash"
    external_ref: str = Field(min_length=1, max_length=64, description="收据或POS流水号（幂等键）")
    paid_on: dt.date | None = Field(None, description="缴费日期（默认今天）")


class PaymentOut(BaseModel):
    payment_id: int
    id_number: str
    channel: str
    external_ref: str
    status: str
    hold_reason: str | None
    amount: Yuan
    due: Yuan | None
    receipt_no: int | None
    replayed: bool


class ImportOut(BaseModel):
    batch_id: str
    lines: int
    replayed: int
    status: dict[str, int]
    held: dict[str, int]


class CancelIn(Strict):
    channel: Literal["cash", "pos", "wechat", "alipay", "unionpay", "bank", "tax"]
    external_ref: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=400, description="退费原因")


class CancelOut(BaseModel):
    channel: str
    external_ref: str
    id_number: str
    status: str


def payment_out(p: Principal, pay: Payment, receipt_no: int | None, replayed: bool) -> dict[str, Any]:
    return {
        "payment_id": pay.id,
        "id_number": p.show_id(pay.id_number),
        "channel": pay.channel,
        "external_ref": pay.external_ref,
        "status": pay.status,
        "hold_reason": pay.hold_reason,
        "amount": from_fen(pay.amount_fen),
        "due": None if pay.due_fen is None else from_fen(pay.due_fen),
        "receipt_no": receipt_no,
        "replayed": replayed,
    }


@router.post(
    "/{campaign_id}/payments",
    response_model=PaymentOut,
    summary="单笔缴费入账（现金或POS，按流水号幂等）/ record one payment",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def record(
    campaign_id: Id,
    body: PaymentIn,
    request: Request,
    p: Annotated[Principal, Depends(need("payment.record"))],
) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        number = ids.validate(body.id_number)  # a bad number: the same 400 as everywhere
        res = record_payment(  # the resident is read through the scope by the payment's one read
            s,
            c,
            id_number=number,
            amount=body.amount,
            channel=body.channel,
            external_ref=body.external_ref,
            paid_on=body.paid_on or clock.today(),
            actor=p.actor,
            may_backdate=p.can("payment.backdate"),
            scope=p.region_prefix,
        )
        return payment_out(p, res.payment, res.receipt_no, res.replayed)


@router.post(
    "/{campaign_id}/payments/import",
    response_model=ImportOut,
    summary="导入渠道缴费文件（CSV，一个事务）/ import a channel's payment file",
    responses={**AUTH_ERRORS, **CONFLICT, 413: AUTH_ERRORS[400]},
)
def import_file(
    campaign_id: Id,
    request: Request,
    p: Annotated[Principal, Depends(need("payment.import"))],
    file: Annotated[
        UploadFile, File(description="渠道缴费文件（CSV：交易流水号、身份证号码、金额、缴费日期）")
    ],
    channel: Annotated[Literal["wechat", "alipay", "unionpay", "bank", "tax"], Form()],
) -> dict[str, Any]:
    content = read_upload(file)
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id, whole=True)
        lines = read_payment_bytes(content, file.filename or "payments.csv")
        return apply_payments(s, c, channel, lines, actor=p.actor).as_dict()


@router.post(
    "/{campaign_id}/payments/cancel",
    response_model=CancelOut,
    summary="退费或撤销缴费（生成待退费记录）/ refund or cancel a payment",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def cancel(
    campaign_id: Id,
    body: CancelIn,
    request: Request,
    p: Annotated[Principal, Depends(need("payment.cancel"))],
) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        pay = scoped_payment(s, p, c, channel=body.channel, external_ref=body.external_ref)
        if pay is None:
            raise NotFound(f"找不到{body.channel}渠道流水号{body.external_ref}的缴费", "no such payment")
        done = cancel_payment(
            s,
            c,
            channel=body.channel,
            external_ref=body.external_ref,
            reason=body.reason,
            actor=p.actor,
            may_cancel_handed_over=p.can("payment.cancel_handed_over"),
        )
        return {
            "channel": done.channel,
            "external_ref": done.external_ref,
            "id_number": ids.mask(done.id_number),
            "status": done.status,
        }


class AcceptIn(Strict):
    reason: str = Field(min_length=1, max_length=400, description="复核意见（必填，记入审计日志）")


@router.post(
    "/{campaign_id}/payments/{payment_id}/accept",
    response_model=PaymentOut,
    summary="复核后确认挂起的缴费（生成收据、参保与待遇期）/ accept a held payment",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def accept(
    campaign_id: Id,
    payment_id: Id,
    body: AcceptIn,
    request: Request,
    p: Annotated[Principal, Depends(need("payment.accept"))],
) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        if scoped_payment(s, p, c, payment_id=payment_id) is None:
            raise out_of_scope()
        res = accept_payment(
            s, c, payment_id=payment_id, reason=body.reason, actor=p.actor, scope=p.region_prefix
        )
        return payment_out(p, res.payment, res.receipt_no, res.replayed)


__all__ = ["payment_out", "router"]
