"""The residents' own lookup: ID number + name → what is owed and the benefit period.

Nothing else is disclosed: not the region, identities, payments or receipt numbers. "No such
person" and "the name does not match" give the same answer (``{"match": false, ...}``, 200), so
the endpoint cannot be used to test whether an ID is registered. Rate limited per client IP and
per ID number (429 with Retry-After), see :mod:`urrbmi.access.ratelimit`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from urrbmi import ids
from urrbmi.campaign.lookup import public_years
from urrbmi.interfaces.api.common import Strict, _err
from urrbmi.interfaces.api.deps import tx
from urrbmi.interfaces.api.schemas import Yuan

router = APIRouter(prefix="/api/v1/public", tags=["public"])


class PublicLookupIn(Strict):
    id_number: str = Field(min_length=15, max_length=20, description="身份证号码")
    name: str = Field(min_length=1, max_length=100, description="姓名")


class PublicYear(BaseModel):
    benefit_year: int
    status: str = Field(description="due 待缴 / paid 已参保 / not_due 无需缴费（如已参加职工医保）")
    amount_due: Yuan | None
    benefit_start: dt.date | None
    benefit_end: dt.date | None


class PublicLookupOut(BaseModel):
    match: bool = Field(description="身份证号码与姓名是否与登记一致（不一致与未登记答复相同）")
    years: list[PublicYear]


def client_ip(request: Request) -> str:
    """The peer address (behind a reverse proxy run uvicorn with --proxy-headers so this is the
    client's, not the proxy's)."""
    return request.client.host if request.client else "unknown"


@router.post(
    "/lookup",
    response_model=PublicLookupOut,
    summary="居民自助查询：应缴金额与待遇期 / what do I owe (public)",
    responses={
        422: _err("输入无效 / invalid input"),
        429: _err("查询过于频繁 / too many requests (Retry-After)"),
        400: _err("请求体无法解析 / the body cannot be parsed"),
    },
)
def public_lookup(body: PublicLookupIn, request: Request) -> dict[str, Any]:
    request.app.state.public_ip_limiter.hit(client_ip(request))
    number = ids.validate(body.id_number)
    request.app.state.public_id_limiter.hit(number)
    with tx(request, write=False) as s:
        years = public_years(s, number, body.name)
    return {"match": years is not None, "years": years or []}
