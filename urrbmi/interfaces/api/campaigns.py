"""Campaigns and payments: list, create, assess, roster, reconcile, identity changes, duplicates,
newborns (payments: :mod:`urrbmi.interfaces.api.payments`).

Scope: a campaign is visible to users whose region overlaps its own (a township officer sees the
county's campaign); operations on the campaign as a whole (assess, import a channel file,
reconcile, identity changes, duplicates) need the campaign's region inside the user's scope. A
single payment or refund is checked against the resident's region before anything is written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.access.scope import Principal, check_region, scoped_campaign, scoped_resident, visible_campaigns
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign
from urrbmi.campaign.changes import identity_changes, register_newborn
from urrbmi.campaign.reports import duplicate_enrollments, reconcile, write_roster
from urrbmi.db.models import Campaign
from urrbmi.interfaces.api.common import (
    AUTH_ERRORS,
    CONFLICT,
    XLSX,
    Day,
    Id,
    IdNumber,
    Limit,
    Offset,
    Strict,
    csv_or_xlsx,
    instant,
    page,
)
from urrbmi.interfaces.api.deps import file_download, need, tx
from urrbmi.interfaces.api.schemas import Yuan
from urrbmi.money import from_fen
from urrbmi.registry import audit
from urrbmi.registry.residents import NewResident

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])

ReadP = Annotated[Principal, Depends(need("campaign.read"))]
ManageP = Annotated[Principal, Depends(need("campaign.manage"))]


class CampaignOut(BaseModel):
    id: int
    region_code: str
    benefit_year: int
    policy_id: str
    policy_version: str
    created_at: dt.datetime


class CampaignPage(BaseModel):
    items: list[CampaignOut]
    limit: int
    offset: int
    has_more: bool


class CampaignIn(Strict):
    policy_id: str = Field(min_length=1, max_length=60)
    region_code: str = Field(pattern=r"^[0-9]{6,12}$")


class AssessIn(Strict):
    as_of: Day | None = Field(None, description="按此缴费日期核定（默认今天）")
    tier: int | None = Field(None, ge=1, le=9, description="档次；不填时按居民自选档次或本批次默认档次")


class AssessOut(BaseModel):
    assessed: int
    due: int
    excluded: dict[str, int]
    errors: dict[str, int]
    distinct_quotes: int


class OnIn(Strict):
    on: Day | None = Field(None, description="身份认定日期（默认今天）")


class NewbornIn(Strict):
    id_number: IdNumber
    name: str = Field(min_length=1, max_length=100)
    region_code: str = Field(pattern=r"^[0-9]{6,12}$")
    guardian_id_number: IdNumber
    residence: Literal["hukou", "permit", "none"] = "hukou"
    household_id: str | None = Field(None, max_length=40)
    on: Day | None = Field(None, description="登记日期（默认今天）")


class NewbornOut(BaseModel):
    resident_id: int
    id_number: str
    enrolled_with_guardian: bool
    assessment: str
    reason: str | None
    amount_due: Yuan | None
    benefit_start: dt.date | None


class Tally(BaseModel):
    count: int
    amount: Yuan


class MatchedOut(Tally):
    by_channel: dict[str, Tally]


class HeldPaymentOut(BaseModel):
    payment: int
    channel: str
    external_ref: str
    id_number: str
    name: str | None = None  # the resident's (none for an ID the registry lacks)
    amount: Yuan
    due: Yuan | None
    paid_on: dt.date
    reason: str | None
    reason_zh: str


class StatementCheckOut(BaseModel):
    channel: str
    statement_lines: int
    in_statement_not_in_ledger: list[str]
    in_ledger_not_in_statement: list[str]
    amount_or_date_differs: list[str]


class ReconcileOut(BaseModel):
    matched: MatchedOut
    unpaid: Tally
    unmatched: list[HeldPaymentOut]
    duplicates: list[HeldPaymentOut]
    mismatches: list[HeldPaymentOut]
    other_held: list[HeldPaymentOut]
    statement: StatementCheckOut | None


class IdentityChangeOut(BaseModel):
    id_number: str
    name: str
    paid: Yuan
    old_categories: list[str]
    new_categories: list[str]
    due_with_new: Yuan | None
    action: Literal["refund", "top_up", "none"]
    amount: Yuan
    note: str


class IdentityChangePage(BaseModel):
    items: list[IdentityChangeOut]
    limit: int
    offset: int
    has_more: bool


class EnrollmentRef(BaseModel):
    region: str
    insurance_type: str
    source: str
    campaign: int | None


class DuplicateOut(BaseModel):
    id_number: str
    name: str
    employee_insured: bool
    enrollments: list[EnrollmentRef]


class DuplicatePage(BaseModel):
    items: list[DuplicateOut]
    limit: int
    offset: int
    has_more: bool


def _campaign(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "region_code": c.region_code,
        "benefit_year": c.benefit_year,
        "policy_id": c.policy_id,
        "policy_version": c.policy_version,
        "created_at": instant(c.created_at),
    }


@router.get("", response_model=CampaignPage, summary="征缴批次列表 / campaigns", responses=AUTH_ERRORS)
def list_campaigns(request: Request, p: ReadP, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    with tx(request) as s:
        rows = [_campaign(c) for c in visible_campaigns(s, p)[offset : offset + limit + 1]]
    return page(rows, limit, offset)


@router.post(
    "",
    response_model=CampaignOut,
    status_code=201,
    summary="按政策为区划开设年度征缴 / open a campaign",
    responses={**AUTH_ERRORS, **CONFLICT, 404: AUTH_ERRORS[403]},
)
def create(body: CampaignIn, request: Request, p: ManageP) -> dict[str, Any]:
    check_region(p, body.region_code)
    with tx(request) as s:
        return _campaign(create_campaign(s, body.policy_id, body.region_code, actor=p.actor))


@router.get(
    "/{campaign_id}", response_model=CampaignOut, summary="征缴批次 / one campaign", responses=AUTH_ERRORS
)
def get_one(campaign_id: Id, request: Request, p: ReadP) -> dict[str, Any]:
    with tx(request) as s:
        return _campaign(scoped_campaign(s, p, campaign_id))


@router.post(
    "/{campaign_id}/assess",
    response_model=AssessOut,
    summary="核定区划内每位居民的应缴金额 / assess every resident",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def assess_campaign(campaign_id: Id, body: AssessIn, request: Request, p: ManageP) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id, whole=True)
        return assess(s, c, body.as_of or clock.today(), tier=body.tier, actor=p.actor).as_dict()


@router.get(
    "/{campaign_id}/roster",
    summary="征缴名册（Excel或CSV，含完整身份证号码，仅限管辖范围）/ the collection roster",
    responses={
        **AUTH_ERRORS,
        **csv_or_xlsx("名册文件 / the roster file"),
    },
    response_class=Response,
)
def roster(
    campaign_id: Id,
    request: Request,
    p: Annotated[Principal, Depends(need("roster.read"))],
    format: Literal["xlsx", "csv"] = "xlsx",
    include_paid: bool = False,
) -> Response:
    # written row by row to a temporary file inside the transaction (a county's roster is a
    # million rows: never held in memory), then sent and deleted
    def write(s: Session, path: Path) -> tuple[str, str, audit.Export]:
        c = scoped_campaign(s, p, campaign_id)
        # only the residents of the user's region, numbered within it; whole ID numbers leave
        # the system, so the download is audited like the lists
        n = write_roster(s, c, path, format, include_paid=include_paid, scope=p.region_prefix)
        listed = "参保名册" if include_paid else "未参保名单"
        today = clock.today()
        trail = audit.Export(p.actor, c.id, listed, p.region_code, today, n, audit.shown(ids=True))
        return (
            f"{listed}-{today.isoformat()}.{format}",
            f"roster-{campaign_id}-{p.region_code}.{format}",
            trail,
        )

    media = "text/csv" if format == "csv" else XLSX
    return file_download(request, p.user_id, write, suffix=f".{format}", media_type=media)


@router.get(
    "/{campaign_id}/reconcile",
    response_model=ReconcileOut,
    summary="对账：已匹配、未缴、未匹配、重复、金额不符 / reconciliation",
    responses=AUTH_ERRORS,
)
def reconcile_campaign(campaign_id: Id, request: Request, p: ReadP) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id, whole=True)
        return reconcile(s, c).as_dict()


@router.post(
    "/{campaign_id}/identity-changes",
    response_model=IdentityChangePage,
    summary="缴费后身份变化的退补名单 / refunds after identity changes",
    responses=AUTH_ERRORS,
)
def identity_change_list(
    campaign_id: Id, body: OnIn, request: Request, p: ManageP, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id, whole=True)
        items = [i.as_dict() for i in identity_changes(s, c, body.on or clock.today(), actor=p.actor)]
    return page(items[offset : offset + limit + 1], limit, offset)


@router.get(
    "/{campaign_id}/duplicates",
    response_model=DuplicatePage,
    summary="重复参保名单 / duplicate enrollments",
    responses=AUTH_ERRORS,
)
def duplicates(
    campaign_id: Id, request: Request, p: ReadP, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id, whole=True)
        items = duplicate_enrollments(
            s, c.benefit_year, scope=p.region_prefix, limit=limit + 1, offset=offset
        )
    return page(items, limit, offset)


@router.post(
    "/{campaign_id}/newborns",
    response_model=NewbornOut,
    status_code=201,
    summary="新生儿登记（可随已参保监护人参保）/ register a newborn",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def newborn(
    campaign_id: Id,
    body: NewbornIn,
    request: Request,
    p: Annotated[Principal, Depends(need("resident.write"))],
) -> dict[str, Any]:
    check_region(p, body.region_code)
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        scoped_resident(s, p, id_number=body.guardian_id_number)
        new = NewResident(
            id_number=body.id_number,
            name=body.name,
            region_code=body.region_code,
            residence=body.residence,
            household_id=body.household_id,
            guardian_id_number=body.guardian_id_number,
        )
        out = register_newborn(s, c, new, body.on or clock.today(), actor=p.actor)
        a = out.assessment
        return {
            "resident_id": out.resident.id,
            "id_number": p.show_id(out.resident.id_number),
            "enrolled_with_guardian": out.enrolled_with_guardian,
            "assessment": a.status,
            "reason": a.reason,
            "amount_due": None if a.total_due_fen is None else from_fen(a.total_due_fen),
            "benefit_start": a.benefit_start.isoformat() if a.benefit_start else None,
        }


__all__ = ["router"]
