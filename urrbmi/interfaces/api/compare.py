"""Year-over-year comparison of subsidy categories and standards (public policy information)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from urrbmi.interfaces.api.policies import ERRORS
from urrbmi.interfaces.api.schemas import ComparisonOut
from urrbmi.policy import compare as cmp

router = APIRouter(prefix="/api/v1", tags=["policies"])


@router.get(
    "/policy-comparisons",
    response_model=ComparisonOut,
    responses=ERRORS,
    summary="两个年度的资助参保类别及标准对比 / year-over-year subsidy comparison",
)
def compare_years(
    jurisdiction: Annotated[str, Query(pattern=r"^\d{6}$", description="辖区代码，如 500114")],
    before: Annotated[int, Query(ge=2000, le=2100, description="较早年度，如 2021")],
    after: Annotated[int, Query(ge=2000, le=2100, description="较晚年度，如 2022")],
) -> dict[str, object]:
    return cmp.as_dict(cmp.compare_years(jurisdiction, before, after))
