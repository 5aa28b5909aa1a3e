"""Regions (行政区划) within the user's scope."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from urrbmi.access.scope import Principal, check_region
from urrbmi.db.models import Region
from urrbmi.interfaces.api.common import AUTH_ERRORS, CONFLICT, Limit, Offset, Strict, page
from urrbmi.interfaces.api.deps import need, tx
from urrbmi.registry import regions as registry_regions
from urrbmi.registry.regions import add_region

router = APIRouter(prefix="/api/v1/regions", tags=["regions"])


class RegionOut(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None


class RegionPage(BaseModel):
    items: list[RegionOut]
    limit: int
    offset: int
    has_more: bool


class RegionIn(Strict):
    code: str = Field(pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$", description="6、9或12位区划代码")
    name: str = Field(min_length=1, max_length=100)
    level: Literal["province", "prefecture", "county", "town", "village"]
    parent_code: str | None = Field(None, pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$")


def _out(r: Region) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code}


@router.get(
    "",
    response_model=RegionPage,
    summary="管辖范围内的行政区划 / regions in your scope",
    responses=AUTH_ERRORS,
)
def list_regions(
    request: Request,
    p: Annotated[Principal, Depends(need("region.read"))],
    limit: Limit = 100,
    offset: Offset = 0,
    under: Annotated[str | None, Query(pattern=r"^[0-9]{6,12}$", description="只列此区划之下")] = None,
) -> dict[str, Any]:
    if under is not None:
        check_region(p, under)
    with tx(request) as s:
        found = registry_regions.list_regions(s, under, scope=p.region_prefix, limit=limit + 1, offset=offset)
        rows = [_out(r) for r in found]
    return page(rows, limit, offset)


@router.post(
    "",
    response_model=RegionOut,
    status_code=201,
    summary="登记行政区划 / add a region",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def create_region(
    body: RegionIn, request: Request, p: Annotated[Principal, Depends(need("region.write"))]
) -> dict[str, Any]:
    check_region(p, body.code)
    with tx(request) as s:
        r = add_region(s, body.code, body.name, body.level, body.parent_code, actor=p.actor)
        return _out(r)
