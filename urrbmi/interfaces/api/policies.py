"""Policies and quotes: stateless endpoints over the policy engine."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from urrbmi.interfaces.api.schemas import ErrorOut, PolicyBrief, PolicyDetail, QuoteOut
from urrbmi.policy import LoadedPolicy, load_policy, policy_ids, quote
from urrbmi.policy.resident import ResidentInput
from urrbmi.policy.summary import policy_summary

router = APIRouter(prefix="/api/v1", tags=["policies"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "请求体无法解析 / the body cannot be parsed"},
    404: {"model": ErrorOut, "description": "未知政策 / unknown policy"},
    409: {"model": ErrorOut, "description": "政策未规定 / the policy leaves this undefined"},
    422: {"model": ErrorOut, "description": "输入无效或不在缴费期内 / invalid input"},
}


def _brief(p: LoadedPolicy) -> dict[str, Any]:
    doc = p.model.documents["main"]
    return {
        "id": p.id,
        "jurisdiction": p.model.jurisdiction.name,
        "jurisdiction_code": p.model.jurisdiction.code,
        "benefit_year": p.benefit_year,
        "document": doc.number or doc.title,
        "version": p.version,
    }


@router.get("/policies", response_model=list[PolicyBrief], summary="政策列表 / list policies")
def list_policies() -> list[dict[str, Any]]:
    return [_brief(load_policy(pid)) for pid in policy_ids()]


@router.get(
    "/policies/{policy_id}",
    response_model=PolicyDetail,
    responses=ERRORS,
    summary="政策详情（含条款出处）/ a policy with citations",
)
def get_policy(policy_id: str) -> dict[str, Any]:
    p = load_policy(policy_id)
    body = {**_brief(p), "summary": policy_summary(p), "policy": p.model}
    return body


@router.post(
    "/policies/{policy_id}/quote",
    response_model=QuoteOut,
    responses=ERRORS,
    summary="测算一位居民的应缴金额与待遇期 / quote one resident",
)
def quote_resident(policy_id: str, resident: ResidentInput) -> dict[str, Any]:
    return quote(load_policy(policy_id), resident).as_dict()
