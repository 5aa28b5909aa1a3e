"""Payment notifications from the tax bureau and payment channels.

``POST /api/v1/channels/{channel}/payments`` with a JSON body ``{"payments": [...]}`` (1 to
10,000 lines) signed per :mod:`urrbmi.access.channels` (headers ``X-Timestamp``, ``X-Nonce``,
``X-Signature``); the signature is checked over the raw bytes before the body is parsed, and the
nonce is used up only when the notification is accepted. Lines are recorded with the ledger's
idempotent bulk pipeline (``apply_payments_raced``): a reference already recorded with the same
data is a replay (counted, not recorded again, also when the same reference races in from
concurrent notifications); with different data the whole notification is refused (409) and
nothing is recorded. Channels are not region-scoped: they pay into their campaign."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field, ValidationError

from urrbmi.access.channels import authenticate, consume_nonce
from urrbmi.campaign.campaigns import get_campaign
from urrbmi.campaign.payments import apply_payments_raced, line_results, read_lines
from urrbmi.interfaces.api.common import Strict, _err
from urrbmi.interfaces.api.deps import tx
from urrbmi.interfaces.api.errors import translate

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


class ChannelLine(Strict):
    external_ref: str = Field(min_length=1, max_length=64, description="渠道交易流水号（幂等键）")
    id_number: str = Field(min_length=15, max_length=20)
    amount: Decimal = Field(ge=0, le=100000, decimal_places=2, description="金额（元）")
    paid_on: dt.date


class ChannelNotification(Strict):
    payments: list[ChannelLine] = Field(min_length=1, max_length=10_000)


class ChannelResult(BaseModel):
    external_ref: str
    status: str
    hold_reason: str | None
    receipt_no: int | None


class ChannelOut(BaseModel):
    batch_id: str
    lines: int
    replayed: int
    status: dict[str, int]
    held: dict[str, int]
    results: list[ChannelResult]


async def raw_body(request: Request) -> bytes:
    return await request.body()


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` written in place (an OpenAPI document resolves
    ``#/...`` references from its own root)."""
    schema = model.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    out: dict[str, Any] = inline(schema)
    return out


@router.post(
    "/{channel}/payments",
    response_model=ChannelOut,
    summary="缴费渠道到账通知（HMAC签名、防重放、按流水号幂等）/ payment notification",
    responses={
        401: _err("签名无效、时间戳超差或重放 / bad signature, stale timestamp or replay"),
        409: _err("流水号已按不同内容入账 / a reference was recorded with different data"),
        422: _err("输入无效 / invalid input"),
        400: _err("请求体无法解析 / the body cannot be parsed"),
    },
    # the body is parsed in the handler, once its signature holds; documented here
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline_schema(ChannelNotification)}},
        }
    },
)
def notify(
    channel: str,
    request: Request,
    raw: Annotated[bytes, Depends(raw_body)],
    x_timestamp: Annotated[str | None, Header(description="Unix秒")] = None,
    x_nonce: Annotated[str | None, Header(description="一次性随机串（8–64字符）")] = None,
    x_signature: Annotated[
        str | None, Header(description="hex HMAC-SHA256(secret, ts\\nnonce\\nbody)")
    ] = None,
) -> dict[str, Any]:
    with tx(request) as s:
        ch = authenticate(s, channel, x_timestamp, x_nonce, x_signature, raw)
        try:  # the body is read only once its signature holds
            body = ChannelNotification.model_validate_json(raw)
        except ValidationError as exc:
            raise translate(list(exc.errors())) from None
        c = get_campaign(s, ch.campaign_id)
        lines = read_lines(
            [
                {
                    "external_ref": x.external_ref,
                    "id_number": x.id_number,
                    "amount": str(x.amount),
                    "paid_on": x.paid_on.isoformat(),
                }
                for x in body.payments
            ],
            first_line=1,
        )
        summary = apply_payments_raced(s, c, ch.payment_channel, lines, actor=f"channel:{channel}")
        consume_nonce(s, ch, x_nonce or "")
        results = line_results(s, ch.payment_channel, [x.external_ref for x in body.payments])
        return summary.as_dict() | {"results": [asdict(r) for r in results]}
