"""Refunds and 补发 after payment: list, approve, reject, the refund file for the paying channel,
the channel's result, reconciliation (urrbmi.campaign.refunds; docs/registry.md "Refunds and 补发").

Scope: a list, a decision or a reconciliation covers the refunds of residents inside the user's
region; the refund file and the result file act on the campaign as a whole (its region must lie
inside the user's). Permissions: ``campaign.read`` to read, ``refund.approve`` to decide (never
one's own refund), ``refund.pay`` for the file and the result.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from urrbmi.access.scope import Principal, scoped_campaign
from urrbmi.campaign.refunds import (
    RefundRow,
    approve,
    export_refund_file,
    import_result,
    list_refunds,
    read_result_file,
    reconcile_refunds,
    reject,
)
from urrbmi.db.models import RefundStatus
from urrbmi.interfaces.api.common import (
    AUTH_ERRORS,
    CONFLICT,
    XLSX,
    Id,
    Limit,
    Offset,
    Strict,
    csv_or_xlsx,
    instant,
    page,
)
from urrbmi.interfaces.api.deps import need, tx
from urrbmi.interfaces.api.schemas import Yuan
from urrbmi.interfaces.api.uploads import read_upload

router = APIRouter(prefix="/api/v1/campaigns", tags=["refunds"])

ReadP = Annotated[Principal, Depends(need("campaign.read"))]
DecideP = Annotated[Principal, Depends(need("refund.approve"))]
PayP = Annotated[Principal, Depends(need("refund.pay"))]
RefundIds = Annotated[list[Annotated[int, Field(ge=1, le=2**63 - 1)]], Field(min_length=1, max_length=1000)]


class RefundOut(BaseModel):
    id: int
    kind: Literal["refund", "top_up", "cancellation"]
    kind_zh: str
    status: RefundStatus
    status_zh: str
    amount: Yuan
    reason: str
    id_number: str = Field(description="身份证号码（无 resident.full_id 权限时脱敏）")
    name: str
    region_code: str
    created_at: str
    created_by: str | None
    decided_by: str | None
    decided_at: str | None
    decided_reason: str | None
    channel: str | None
    batch_id: str | None
    sent_at: str | None
    paid_on: str | None
    channel_ref: str | None
    result_reason: str | None


class RefundPage(BaseModel):
    items: list[RefundOut]
    limit: int
    offset: int
    has_more: bool


class DecisionOut(BaseModel):
    items: list[RefundOut]


class ApproveIn(Strict):
    refund_ids: RefundIds


class RejectIn(Strict):
    refund_ids: RefundIds
    reason: str = Field(min_length=1, max_length=400, description="驳回理由（必填，记入审计日志）")


class ProblemOut(BaseModel):
    line: int
    ref: str
    code: Literal[
        "unknown_ref", "duplicate", "amount_differs", "not_sent", "other_batch", "conflict", "invalid"
    ]
    message: str


class ResultOut(BaseModel):
    lines: int
    paid: int
    failed: int
    unchanged: int = Field(description="已导入过、未作改变的行")
    paid_amount: Yuan
    problems: list[ProblemOut]


class TotalOut(BaseModel):
    status: RefundStatus
    status_zh: str
    kind: str
    kind_zh: str
    count: int
    amount: Yuan


class ReconcileOut(BaseModel):
    totals: list[TotalOut]
    outstanding: Yuan = Field(description="已审批未支付（已审批、已发送、支付失败）的退款合计")
    stale_days: int
    stale: list[RefundOut] = Field(description="发送超过 stale_days 天仍无结果的")


def _out(p: Principal, r: RefundRow) -> dict[str, Any]:
    d = {k: getattr(r, k) for k in RefundOut.model_fields}
    d["id_number"] = p.show_id(r.id_number)
    for k in ("created_at", "decided_at", "sent_at"):
        d[k] = None if d[k] is None else instant(d[k])
    d["paid_on"] = None if r.paid_on is None else r.paid_on.isoformat()
    return d


@router.get(
    "/{campaign_id}/refunds",
    response_model=RefundPage,
    summary="退费和补发列表（仅限管辖范围）/ refunds and 补发 in your region",
    responses={**AUTH_ERRORS},
)
def refunds(
    campaign_id: Id,
    request: Request,
    p: ReadP,
    status: RefundStatus | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        rows = list_refunds(s, c, scope=p.region_prefix, status=status, limit=limit + 1, offset=offset)
        return page([_out(p, r) for r in rows], limit, offset)


@router.post(
    "/{campaign_id}/refunds/approve",
    response_model=DecisionOut,
    summary="审批退费（全部或全不；不能审批本人发起的）/ approve refunds (all or none; not your own)",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def approve_refunds(campaign_id: Id, body: ApproveIn, request: Request, p: DecideP) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        rows = approve(s, c, body.refund_ids, actor=p.actor, scope=p.region_prefix)
        return {"items": [_out(p, r) for r in rows]}


@router.post(
    "/{campaign_id}/refunds/reject",
    response_model=DecisionOut,
    summary="驳回退费（须说明理由）/ reject refunds with a reason",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def reject_refunds(campaign_id: Id, body: RejectIn, request: Request, p: DecideP) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        rows = reject(s, c, body.refund_ids, actor=p.actor, reason=body.reason, scope=p.region_prefix)
        return {"items": [_out(p, r) for r in rows]}


@router.post(
    "/{campaign_id}/refunds/file",
    summary="生成退费文件并标记为已发送（含完整身份证号码；批次号见响应头 X-Refund-Batch）/ the refund file",
    responses={
        **AUTH_ERRORS,
        **csv_or_xlsx("退费文件 / the refund file"),
    },
    response_class=Response,
)
def refund_file(
    campaign_id: Id,
    request: Request,
    p: PayP,
    channel: Annotated[
        Literal["cash", "pos", "wechat", "alipay", "unionpay", "bank", "tax"], Query(description="支付渠道")
    ],
    format: Literal["xlsx", "csv"] = "xlsx",
    again: Annotated[
        str | None, Query(max_length=64, description="重新生成此前一批（仍待渠道回复）的文件，不改变状态")
    ] = None,
) -> Response:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id, whole=True)
        f = export_refund_file(s, c, channel, format, actor=p.actor, scope=p.region_prefix, again=again)
    name = f"refunds-{campaign_id}-{f.batch_id or 'empty'}.{format}"
    return Response(
        f.content,
        media_type="text/csv" if format == "csv" else XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Refund-Batch": f.batch_id or "",
            "X-Refund-Count": str(f.count),
        },
    )


@router.post(
    "/{campaign_id}/refunds/result",
    response_model=ResultOut,
    summary="导入渠道支付结果（CSV：退费编号、结果、金额、支付日期、渠道流水号、失败原因）/ the result",
    responses={**AUTH_ERRORS, **CONFLICT, 413: AUTH_ERRORS[400]},
)
def refund_result(
    campaign_id: Id,
    request: Request,
    p: PayP,
    file: Annotated[UploadFile, File(description="渠道的支付结果文件（CSV）")],
) -> dict[str, Any]:
    content = read_upload(file)
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id, whole=True)
        rows = read_result_file(content, file.filename or "result.csv")
        rep = import_result(s, c, rows, actor=p.actor, scope=p.region_prefix)
        return {
            "lines": rep.lines,
            "paid": rep.paid,
            "failed": rep.failed,
            "unchanged": rep.unchanged,
            "paid_amount": rep.paid_amount,
            "problems": [vars(x) for x in rep.problems],
        }


@router.get(
    "/{campaign_id}/refunds/reconcile",
    response_model=ReconcileOut,
    summary="退费对账：各状态笔数和金额，发送后久无结果的（仅限管辖范围）/ refund reconciliation",
    responses={**AUTH_ERRORS},
)
def refunds_reconcile(
    campaign_id: Id,
    request: Request,
    p: ReadP,
    days: Annotated[int, Query(ge=0, le=3660, description="发送后超过此天数仍无结果的列出")] = 7,
) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        rec = reconcile_refunds(s, c, scope=p.region_prefix, stale_days=days)
        return {
            "totals": [vars(t) for t in rec.totals],
            "outstanding": rec.outstanding,
            "stale_days": rec.stale_days,
            "stale": [_out(p, r) for r in rec.stale],
        }


__all__ = ["router"]
