"""Field work (issue 15 items 1–2): a village agent's worklist, household, payment for several
members, visit outcomes, reminders (activation lists and rates: :mod:`urrbmi.interfaces.api.activation`).

The work is :mod:`urrbmi.campaign.fieldwork` and :mod:`urrbmi.campaign.activation` (they check the
role and the region themselves too). ``campaign_id`` is optional: by default the newest campaign
covering the user's region (agents have no ``campaign.read`` to list campaigns).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.access.scope import Principal
from urrbmi.campaign import fieldwork
from urrbmi.db.models_fieldwork import OUTCOMES
from urrbmi.interfaces.api.common import (
    AUTH_ERRORS,
    CONFLICT,
    MAX_ID,
    XLSX,
    Day,
    FieldLimit,
    Id,
    Offset,
    Strict,
)
from urrbmi.interfaces.api.deps import file_download, need, tx
from urrbmi.interfaces.api.schemas import Yuan
from urrbmi.registry import audit

router = APIRouter(prefix="/api/v1/fieldwork", tags=["fieldwork"])

ReadP = Annotated[Principal, Depends(need("resident.read"))]
PayP = Annotated[Principal, Depends(need("payment.record"))]
VisitP = Annotated[Principal, Depends(need("visit.record"))]
ManageP = Annotated[Principal, Depends(need("campaign.manage"))]
CampaignQ = Annotated[int | None, Query(ge=1, le=MAX_ID, description="征缴批次（默认：管辖范围内最新的）")]
RegionQ = Annotated[str | None, Query(pattern=r"^[0-9]{6,12}$", description="只看此区划（须在管辖范围内）")]
Outcome = Literal["paid_elsewhere", "employee", "died", "army", "refused", "unreachable", "promised"]
assert set(Outcome.__args__) == set(OUTCOMES)  # type: ignore[attr-defined]


class MemberOut(BaseModel):
    resident_id: int
    name: str
    id_number: str = Field(description="脱敏 / masked")
    sex: str
    birth_date: dt.date
    village_code: str
    village: str
    household: str
    state: str = Field(description="todo|enrolled|employee|elsewhere|gone (resident_state)")
    state_zh: str
    identities: list[str]
    individual_due: Yuan | None
    last_status: str
    outcome: str | None
    outcome_zh: str | None
    visited_on: dt.date | None
    promised_on: dt.date | None
    reason: str | None
    phone: str | None
    activated_on: dt.date | None
    amount_due: Yuan | None = Field(description="缴费查询中的应缴金额（户视图）/ the statement's amount due")
    paid: bool
    receipt_no: int | None


class HouseholdOut(BaseModel):
    household: str
    village: str
    due_total: Yuan
    members: list[MemberOut]


class HouseholdViewOut(HouseholdOut):
    on: dt.date = Field(description="金额和状态的日期（今天）/ the day of the amounts and states")


class WorklistOut(BaseModel):
    campaign_id: int
    benefit_year: int
    on: dt.date
    total_households: int | None = Field(description="户数；全县名单不计（null），见征缴进度")
    total_residents: int | None = Field(description="人数；全县名单不计（null）")
    offset: int
    limit: int
    more: bool = Field(description="本页之后还有户")
    households: list[HouseholdOut]


class PayMemberIn(Strict):
    resident_id: int = Field(ge=1, le=MAX_ID)
    amount: Decimal = Field(ge=0, le=100_000, decimal_places=2, description="应缴金额（元）")


class HouseholdPaymentIn(Strict):
    request_ref: str = Field(
        pattern=r"^[0-9A-Za-z_-]{4,40}$", description="本次缴费的编号（重试时不变：幂等）"
    )
    channel: Literal["cash", "pos"] = "cash"
    paid_on: Day | None = Field(None, description="缴费日期（默认今天）")
    members: list[PayMemberIn] = Field(min_length=1, max_length=fieldwork.MAX_MEMBERS)


class PaidMemberOut(BaseModel):
    resident_id: int
    name: str
    amount: Yuan
    receipt_no: int | None
    external_ref: str
    replayed: bool


class HouseholdPaymentOut(BaseModel):
    campaign_id: int
    request_ref: str
    paid_on: dt.date
    total: Yuan
    members: list[PaidMemberOut]


class VisitIn(Strict):
    resident_id: int = Field(ge=1, le=MAX_ID)
    outcome: Outcome
    reason: str = Field(min_length=1, max_length=400, description="情况说明")
    visited_on: Day | None = Field(None, description="走访日期（默认今天）")
    promised_on: Day | None = Field(None, description="承诺缴费日期（承诺缴费时必填）")
    phone: str | None = Field(None, max_length=20, description="联系电话（更新该居民的电话）")
    evidence_ref: str | None = Field(None, max_length=200, description="参保凭证编号（外地参保、职工医保）")


class VisitOut(BaseModel):
    visit_id: int
    resident_id: int
    outcome: str
    outcome_zh: str
    reason: str
    visited_on: dt.date
    promised_on: dt.date | None
    evidence_ref: str | None
    reduction_id: int | None


class ReductionIn(Strict):
    evidence_ref: str | None = Field(None, max_length=200, description="参保凭证编号（默认走访时所填）")
    target: str | None = Field(None, max_length=60, description="任务表（默认：含该村的第一张）")


class ReductionOut(BaseModel):
    reduction_id: int
    visit_id: int
    persons: int
    evidence: str
    evidence_ref: str
    note: str


class MemberList(BaseModel):
    campaign_id: int
    on: dt.date
    total: int = Field(description="名单总人数 / residents in the whole list")
    offset: int = 0
    limit: int | None = Field(None, description="每页人数（不分页时为空）/ page size, none when not paged")
    items: list[MemberOut]


def member_out(m: fieldwork.Member) -> dict[str, Any]:
    d = dict(m.__dict__)
    d["identities"] = list(m.identities)
    return d


def member_list(
    c: Any, on: dt.date | None, rows: list[fieldwork.Member] | fieldwork.MemberPage
) -> dict[str, Any]:
    """A :class:`MemberList` answer: the campaign, the day counted at, and every member (a list)
    or one page of them with the total (a :class:`~urrbmi.campaign.fieldwork.MemberPage`)."""
    paged: dict[str, int | None]
    if isinstance(rows, fieldwork.MemberPage):
        paged = {"total": rows.total, "offset": rows.offset, "limit": rows.limit}
        items = list(rows.items)
    else:
        paged, items = {"total": len(rows), "offset": 0, "limit": None}, rows
    return {"campaign_id": c.id, "on": on or clock.today(), **paged, "items": [member_out(m) for m in items]}


def _group(g: fieldwork.HouseholdGroup) -> dict[str, Any]:
    return {
        "household": g.household,
        "village": g.village,
        "due_total": g.due_total,
        "members": [member_out(m) for m in g.members],
    }


@router.get(
    "/worklist",
    response_model=WorklistOut,
    summary="本村未缴费居民工作清单（按户）/ the worklist by household",
    responses=AUTH_ERRORS,
)
def get_worklist(
    request: Request,
    p: ReadP,
    campaign_id: CampaignQ = None,
    region: RegionQ = None,
    q: Annotated[str | None, Query(max_length=40, description="姓名或身份证号码的一部分")] = None,
    identity: Annotated[str | None, Query(max_length=60, description="人员身份")] = None,
    state: Literal["todo", "enrolled", "employee", "elsewhere", "gone", "all"] = "todo",
    outcome: Annotated[str | None, Query(max_length=20, description="走访结果（none：未走访）")] = None,
    on: Annotated[Day | None, Query()] = None,
    limit: FieldLimit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    with tx(request) as s:
        c = fieldwork.current_campaign(s, p, campaign_id)
        w = fieldwork.worklist(
            s,
            p,
            c,
            on=on,
            region=region,
            q=q,
            identity=identity,
            state=state,
            outcome=outcome,
            limit=limit,
            offset=offset,
        )
    return {
        "campaign_id": w.campaign_id,
        "benefit_year": w.benefit_year,
        "on": w.on,
        "total_households": w.total_households,
        "total_residents": w.total_residents,
        "offset": w.offset,
        "limit": w.limit,
        "more": w.more,
        "households": [_group(g) for g in w.households],
    }


@router.get(
    "/households/{resident_id}",
    response_model=HouseholdViewOut,
    summary="一户全部成员及应缴金额 / a household with every member's amount due",
    responses=AUTH_ERRORS,
)
def get_household(
    resident_id: Id,
    request: Request,
    p: ReadP,
    campaign_id: CampaignQ = None,
    on: Annotated[Day | None, Query()] = None,
) -> dict[str, Any]:
    with tx(request) as s:
        c = fieldwork.current_campaign(s, p, campaign_id)
        day = on or clock.today()
        return _group(fieldwork.household(s, p, c, resident_id, on=day)) | {"on": day}


@router.post(
    "/payments",
    response_model=HouseholdPaymentOut,
    summary="多人一次缴费（全部入账或全部不入账）/ pay for several members at once, all or nothing",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def pay(body: HouseholdPaymentIn, request: Request, p: PayP, campaign_id: CampaignQ = None) -> dict[str, Any]:
    with tx(request) as s:
        c = fieldwork.current_campaign(s, p, campaign_id)
        res = fieldwork.pay_members(
            s,
            p,
            c,
            members=[(m.resident_id, m.amount) for m in body.members],
            channel=body.channel,
            request_ref=body.request_ref,
            paid_on=body.paid_on,
            actor=p.actor,
        )
        return {
            "campaign_id": c.id,
            "request_ref": res.request_ref,
            "paid_on": res.paid_on,
            "total": res.total,
            "members": [m.__dict__ for m in res.members],
        }


def _visit(v: Any) -> dict[str, Any]:
    return {
        "visit_id": v.id,
        "resident_id": v.resident_id,
        "outcome": v.outcome,
        "outcome_zh": fieldwork.OUTCOME_ZH[v.outcome],
        "reason": v.reason,
        "visited_on": v.visited_on,
        "promised_on": v.promised_on,
        "evidence_ref": v.evidence_ref,
        "reduction_id": v.reduction_id,
    }


@router.post(
    "/visits",
    response_model=VisitOut,
    status_code=201,
    summary="记录入户走访结果 / record a visit's outcome",
    responses=AUTH_ERRORS,
)
def visit(body: VisitIn, request: Request, p: VisitP, campaign_id: CampaignQ = None) -> dict[str, Any]:
    with tx(request) as s:
        c = fieldwork.current_campaign(s, p, campaign_id)
        v = fieldwork.record_outcome(
            s,
            p,
            c,
            resident_id=body.resident_id,
            outcome=body.outcome,
            reason=body.reason,
            visited_on=body.visited_on or clock.today(),
            promised_on=body.promised_on,
            phone=body.phone,
            evidence_ref=body.evidence_ref,
            actor=p.actor,
        )
        return _visit(v)


@router.post(
    "/visits/{visit_id}/reduction",
    response_model=ReductionOut,
    status_code=201,
    summary="以走访结果为凭证核减任务数 / a task reduction with the visit outcome as evidence",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def reduce(
    visit_id: Id, body: ReductionIn, request: Request, p: ManageP, campaign_id: CampaignQ = None
) -> dict[str, Any]:
    with tx(request) as s:
        c = fieldwork.current_campaign(s, p, campaign_id)
        row = fieldwork.reduce_from_outcome(
            s, p, c, visit_id, evidence_ref=body.evidence_ref, target=body.target, actor=p.actor
        )
        return {
            "reduction_id": row.id,
            "visit_id": visit_id,
            "persons": row.persons,
            "evidence": row.evidence,
            "evidence_ref": row.evidence_ref,
            "note": row.note,
        }


@router.get(
    "/reminders",
    response_model=MemberList,
    summary="催缴提醒名单（承诺缴费、联系不上、未走访；分页）/ who to remind, paged",
    responses=AUTH_ERRORS,
)
def get_reminders(
    request: Request,
    p: ReadP,
    campaign_id: CampaignQ = None,
    region: RegionQ = None,
    on: Annotated[Day | None, Query()] = None,
    limit: FieldLimit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    with tx(request) as s:
        c = fieldwork.current_campaign(s, p, campaign_id)
        page = fieldwork.reminders_page(s, p, c, on=on, region=region, limit=limit, offset=offset)
    return member_list(c, on, page)


@router.get(
    "/reminders/export",
    summary="催缴提醒名单（Excel，含电话）/ the reminder list as Excel, with phone numbers",
    responses={
        **AUTH_ERRORS,
        200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}, "description": "Excel"},
    },
    response_class=Response,
)
def export_reminders(
    request: Request,
    p: ReadP,
    campaign_id: CampaignQ = None,
    region: RegionQ = None,
    on: Annotated[Day | None, Query()] = None,
) -> Response:

    def write(s: Session, path: Path) -> tuple[str, str, audit.Export]:
        # streamed to a file (a county's list is half a million rows), audited once written
        c = fieldwork.current_campaign(s, p, campaign_id)
        f = fieldwork.reminder_file(s, p, c, path, on=on, region=region, actor=p.actor)
        return f.name, f"reminders-{f.on.isoformat()}.xlsx", f.audit

    return file_download(request, p.user_id, write, suffix=".xlsx", media_type=XLSX)
