"""Cash handover (现金解缴, :mod:`urrbmi.campaign.handover`): an agent's daily cash, handed over in
a batch, counted and confirmed by a township officer or finance with its difference.

The agent is the principal (``api:<username>``, as ``payments.recorded_by``); a batch's region is
the submitting user's region, and officers see the batches and receipts inside their scope. A
batch outside the scope (or none) is the uniform 403."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from urrbmi import clock
from urrbmi.access.errors import not_permitted, out_of_scope
from urrbmi.access.scope import Principal, scoped_campaign
from urrbmi.campaign.handover import (
    confirm_handover,
    daily_cash,
    get_handover,
    handover_report,
    list_handovers,
    stale_cash,
    submit_handover,
)
from urrbmi.interfaces.api.common import AUTH_ERRORS, CONFLICT, Day, Id, Strict, instant
from urrbmi.interfaces.api.deps import need, tx
from urrbmi.interfaces.api.schemas import Out, Yuan
from urrbmi.money import from_fen
from urrbmi.registry.errors import NotFound

router = APIRouter(prefix="/api/v1/campaigns", tags=["handovers"])

SubmitP = Annotated[Principal, Depends(need("handover.submit"))]
ConfirmP = Annotated[Principal, Depends(need("handover.confirm"))]
Amount = Annotated[
    Decimal, Field(ge=0, le=100_000_000, decimal_places=2, description="金额（元），至多两位小数")
]


class CashLineOut(Out):
    payment_id: int
    external_ref: str
    id_number: str = Field(description="身份证号码（按权限遮蔽）")
    amount: Yuan
    paid_on: dt.date
    status: str
    receipt_no: int | None
    handover_id: int | None = Field(description="所在解缴批次（未解缴为空）")


class DailyCashOut(Out):
    day: dt.date
    receipts: int
    amount: Yuan = Field(description="当日现金收款合计（元）")
    handed_over: Yuan = Field(description="其中已解缴（元）")
    lines: list[CashLineOut]


class HandoverOut(Out):
    id: int
    campaign_id: int
    agent: str
    region_code: str
    first_day: dt.date
    last_day: dt.date
    receipts: int
    expected: Yuan = Field(description="应解缴（元）")
    received: Yuan | None = Field(description="清点实收（元），确认前为空")
    difference: Yuan | None = Field(description="差额（元）：实收−应解缴，负数为短款，正数为长款")
    difference_zh: str | None = Field(description="差额说明，如“短款10.00元（-10.00）”")
    difference_reason: str | None
    status: Literal["submitted", "confirmed"]
    status_zh: str
    submitted_by: str
    submitted_at: str
    confirmed_by: str | None
    confirmed_at: str | None
    cancelled_after: int = Field(description="解缴后由经办人员撤销的收据笔数（批次应解缴不变）")
    cancelled_after_amount: Yuan


class HandoverPage(BaseModel):
    items: list[HandoverOut]


class ReportRowOut(Out):
    agent: str
    day: dt.date
    receipts: int
    received: Yuan
    handed_over: Yuan
    confirmed: Yuan
    not_handed_over: Yuan
    difference: Yuan | None = Field(description="当日结束的已确认批次的差额（元）")
    difference_zh: str | None


class StaleOut(Out):
    agent: str
    receipts: int
    amount: Yuan
    oldest_day: dt.date


class ReportOut(BaseModel):
    days: list[ReportRowOut]
    not_handed_over: list[StaleOut] = Field(description="超过 older_than_days 天未解缴的现金，按代办员")


class SubmitIn(Strict):
    through: Day | None = Field(None, description="解缴截至日期（含，默认今天）")


class ConfirmIn(Strict):
    received: Amount = Field(description="清点实收金额（元）")
    reason: str | None = Field(None, max_length=400, description="差额原因（有短款或长款时必填）")


def _out(row: dict[str, Any]) -> dict[str, Any]:
    return row | {
        "submitted_at": instant(row["submitted_at"]),
        "confirmed_at": None if row["confirmed_at"] is None else instant(row["confirmed_at"]),
    }


@router.get(
    "/{campaign_id}/handovers/daily",
    response_model=DailyCashOut,
    summary="代办员当日现金收款（日清日结）/ an agent's cash receipts of a day",
    responses={**AUTH_ERRORS},
)
def daily(
    campaign_id: Id,
    request: Request,
    p: SubmitP,
    day: Annotated[Day | None, Query(description="日期（默认今天）")] = None,
    agent: Annotated[
        str | None, Query(max_length=100, description="代办员（默认本人；他人须有确认权限）")
    ] = None,
) -> dict[str, Any]:
    if agent is not None and agent != p.actor and not p.can("handover.confirm"):
        raise not_permitted("handover.confirm")
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        d = daily_cash(s, c, agent or p.actor, day or clock.today(), scope=p.region_prefix)
        return {
            "day": d.day,
            "receipts": d.receipts,
            "amount": from_fen(d.amount_fen),
            "handed_over": from_fen(d.handed_over_fen),
            "lines": [
                {
                    "payment_id": x.payment_id,
                    "external_ref": x.external_ref,
                    "id_number": p.show_id(x.id_number),
                    "amount": from_fen(x.amount_fen),
                    "paid_on": x.paid_on,
                    "status": x.status,
                    "receipt_no": x.receipt_no,
                    "handover_id": x.handover_id,
                }
                for x in d.lines
            ],
        }


@router.get(
    "/{campaign_id}/handovers/report",
    response_model=ReportOut,
    summary="解缴报表：按代办员和日期的收款、解缴、确认与差额；超期未解缴 / handover report",
    responses={**AUTH_ERRORS},
)
def report(
    campaign_id: Id,
    request: Request,
    p: ConfirmP,
    older_than_days: Annotated[int, Query(ge=0, le=366, description="未解缴超过N天")] = 1,
) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        return {
            "days": handover_report(s, c, scope=p.region_prefix),
            "not_handed_over": stale_cash(s, c, older_than_days=older_than_days, scope=p.region_prefix),
        }


@router.post(
    "/{campaign_id}/handovers",
    response_model=HandoverOut,
    summary="提交现金解缴：本人截至某日未解缴的现金收款成一批 / hand over one's cash",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def submit(campaign_id: Id, body: SubmitIn, request: Request, p: SubmitP) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        h = submit_handover(
            s,
            c,
            agent=p.actor,
            region_code=p.region_code,
            through=body.through or clock.today(),
            actor=p.actor,
        )
        (row,) = [r for r in list_handovers(s, c, agent=p.actor) if r["id"] == h.id]
        return _out(row)


@router.get(
    "/{campaign_id}/handovers",
    response_model=HandoverPage,
    summary="解缴批次 / cash handover batches",
    responses={**AUTH_ERRORS},
)
def handovers(
    campaign_id: Id,
    request: Request,
    p: ConfirmP,
    status: Literal["submitted", "confirmed"] | None = None,
    agent: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        rows = list_handovers(s, c, scope=p.region_prefix, agent=agent, status=status)
        return {"items": [_out(r) for r in rows]}


def _one(s: Any, c: Any, p: Principal, handover_id: int) -> dict[str, Any]:
    try:
        get_handover(s, c, handover_id, scope=p.region_prefix)
    except NotFound:
        raise out_of_scope() from None
    (row,) = [r for r in list_handovers(s, c, scope=p.region_prefix) if r["id"] == handover_id]
    return _out(row)


@router.get(
    "/{campaign_id}/handovers/{handover_id}",
    response_model=HandoverOut,
    summary="一个解缴批次 / one cash handover",
    responses={**AUTH_ERRORS},
)
def handover(campaign_id: Id, handover_id: Id, request: Request, p: ConfirmP) -> dict[str, Any]:
    with tx(request) as s:
        return _one(s, scoped_campaign(s, p, campaign_id), p, handover_id)


@router.post(
    "/{campaign_id}/handovers/{handover_id}/confirm",
    response_model=HandoverOut,
    summary="清点确认现金解缴，报告短款/长款 / count and confirm a handover",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def confirm(
    campaign_id: Id, handover_id: Id, body: ConfirmIn, request: Request, p: ConfirmP
) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        _one(s, c, p, handover_id)
        confirm_handover(
            s,
            c,
            handover_id,
            received=body.received,
            reason=body.reason,
            actor=p.actor,
            scope=p.region_prefix,
        )
        return _one(s, c, p, handover_id)
