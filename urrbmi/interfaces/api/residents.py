"""Residents: 缴费查询 (statement), register, change with optimistic concurrency, identities,
history, enrollments elsewhere. Every read and write goes through the scope helpers
(:mod:`urrbmi.access.scope`): a resident outside the user's region and one that does not exist give
the same 403. ID numbers travel in request bodies, never in URLs (URLs end up in access logs);
residents are addressed in paths by their internal number ``resident_id``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from urrbmi import clock, ids
from urrbmi.access.errors import out_of_scope
from urrbmi.access.scope import Principal, check_region, scoped_resident
from urrbmi.campaign.changes import record_external_enrollment, statement
from urrbmi.campaign.lookup import statement_in_scope
from urrbmi.db.models import Resident
from urrbmi.imports.effects import retro_subsidies
from urrbmi.interfaces.api.common import (
    AUTH_ERRORS,
    CONFLICT,
    MAX_ID,
    Day,
    Id,
    IdNumber,
    Limit,
    Offset,
    Strict,
    instant,
    page,
)
from urrbmi.interfaces.api.deps import need, read_once, tx
from urrbmi.interfaces.api.schemas import Instant, StepOut, Yuan
from urrbmi.registry import residents as registry_residents
from urrbmi.registry.errors import Conflict
from urrbmi.registry.residents import (
    NewResident,
    add_membership,
    add_resident,
    end_membership,
    update_resident,
)

router = APIRouter(prefix="/api/v1/residents", tags=["residents"])

RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6,12}$")]
ReadP = Annotated[Principal, Depends(need("resident.read"))]
WriteP = Annotated[Principal, Depends(need("resident.write"))]
IdentityP = Annotated[Principal, Depends(need("identity.write"))]


class IdentityOut(BaseModel):
    category: str
    department: str | None
    valid_from: dt.date
    valid_to: dt.date | None


class PeriodOut(BaseModel):
    start: dt.date
    end: dt.date


class StatementPaymentOut(BaseModel):
    receipt_no: int | None
    channel: str
    external_ref: str
    amount: Yuan
    paid_on: dt.date
    status: str
    hold_reason: str | None = Field(description="挂起原因（中文）/ why it is held, in Chinese")


class CampaignLineOut(BaseModel):
    """The resident in one campaign: the assessment, enrollment, benefit period and payments."""

    campaign: int
    benefit_year: int
    policy: str = Field(description="政策编号@版本 / policy id@version")
    assessment: str
    reason: str | None
    amount_due: Yuan | None
    tier: int | None
    subsidy_category: str | None
    explanation: list[StepOut] | None
    enrolled: bool
    enrolled_by: str | None
    benefit_period: PeriodOut | None
    payments: list[StatementPaymentOut]


class StatementOut(BaseModel):
    resident_id: int
    row_version: int
    id_number: str = Field(description="脱敏，除非角色可看完整号码 / masked unless the role may see it")
    name: str
    sex: str
    birth_date: dt.date
    region_code: str
    status: str
    identities_now: list[str]
    identities: list[IdentityOut]
    campaigns: list[CampaignLineOut]


class ResidentBrief(BaseModel):
    resident_id: int
    id_number: str
    name: str
    sex: str
    birth_date: dt.date
    region_code: str
    status: str
    household_id: str | None
    row_version: int


class ResidentPage(BaseModel):
    items: list[ResidentBrief]
    limit: int
    offset: int
    has_more: bool


class LookupIn(Strict):
    id_number: IdNumber
    on: Day | None = Field(None, description="身份认定日期（默认今天）")


class ResidentIn(Strict):
    id_number: IdNumber
    name: str = Field(min_length=1, max_length=100)
    region_code: RegionCode
    residence: Literal["hukou", "permit", "none"] = "hukou"
    student: Literal["school", "college"] | None = None
    school_name: str | None = Field(None, max_length=200)
    employee_insured: bool = False
    household_id: str | None = Field(None, max_length=40)
    guardian_id_number: IdNumber | None = None
    identities: list[str] = Field(default_factory=list, max_length=20, description="人员身份，自今日起有效")


class ResidentPatch(Strict):
    row_version: int = Field(ge=1, le=MAX_ID, description="读取时的版本号；已被他人修改则409")
    reason: str | None = Field(None, max_length=200)
    name: str | None = Field(None, min_length=1, max_length=100)
    region_code: RegionCode | None = None
    residence: Literal["hukou", "permit", "none"] | None = None
    student: Literal["school", "college"] | None = None
    school_name: str | None = Field(None, max_length=200)
    employee_insured: bool | None = None
    employee_insurance_ended_on: Day | None = None
    employee_insurance_years: int | None = Field(None, ge=0, le=80)
    graduation_year: int | None = Field(None, ge=1950, le=2100, description="毕业年份（高校学生）")
    returning_migrant_year: int | None = Field(None, ge=1950, le=2100, description="春节返乡农民工的待遇年度")
    status: Literal["active", "deceased", "moved_out"] | None = None
    died_on: Day | None = None
    household_id: str | None = Field(None, max_length=40)


class IdentityIn(Strict):
    category: str = Field(min_length=1, max_length=60, description="人员身份名称、别名或代码")
    valid_from: Day
    valid_to: Day | None = None
    department: str | None = Field(None, max_length=40)


class IdentityEndIn(Strict):
    category: str = Field(min_length=1, max_length=60)
    valid_to: Day


class CountOut(BaseModel):
    count: int


class ExternalIn(Strict):
    benefit_year: int = Field(ge=2000, le=2100)
    region_code: RegionCode
    insurance_type: Literal["310", "390", "392"] = "390"
    enrolled_on: Day | None = None


class HistoryOut(BaseModel):
    row_version: int
    valid_from: Instant
    valid_to: Instant
    changed_by: str
    reason: str | None
    data: dict[str, Any]


class HistoryPage(BaseModel):
    items: list[HistoryOut]
    limit: int
    offset: int
    has_more: bool


def statement_for(s: Any, p: Principal, r: Resident, on: dt.date | None) -> dict[str, Any]:
    out = statement(s, r.id_number, on or clock.today())
    out["id_number"] = p.show_id(r.id_number)
    out["resident_id"] = r.id
    out["row_version"] = r.row_version
    return out


def _read_statement(
    conn: Any,
    p: Principal,
    on: dt.date | None,
    *,
    id_number: str | None = None,
    resident_id: int | None = None,
) -> dict[str, Any]:
    """The hot path of 缴费查询: the resident through the scope condition and its statement in one
    query (:func:`urrbmi.campaign.lookup.statement_in_scope`); out of scope or unknown: one 403."""
    out = statement_in_scope(
        conn,
        prefix=p.region_prefix,
        on=on or clock.today(),
        show_id=p.show_id,
        id_number=id_number,
        resident_id=resident_id,
    )
    if out is None:
        raise out_of_scope()
    return out


@router.post(
    "/lookup",
    response_model=StatementOut,
    summary="缴费查询（按身份证号码）/ a resident's statement by ID number",
    responses=AUTH_ERRORS,
)
def lookup(body: LookupIn, request: Request, p: ReadP) -> dict[str, Any]:
    number = ids.validate(body.id_number)
    with read_once(request) as conn:  # one statement: on PostgreSQL no BEGIN/COMMIT
        return _read_statement(conn, p, body.on, id_number=number)


@router.get(
    "",
    response_model=ResidentPage,
    summary="管辖范围内的居民（身份证号码脱敏）/ residents in scope",
    responses=AUTH_ERRORS,
)
def list_residents(
    request: Request,
    p: ReadP,
    limit: Limit = 50,
    offset: Offset = 0,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{6,12}$", description="只列此区划之下")] = None,
    status: Literal["active", "deceased", "moved_out"] | None = None,
) -> dict[str, Any]:
    if region is not None:
        check_region(p, region)
    with tx(request) as s:
        found = registry_residents.list_residents(
            s, scope=p.region_prefix, under=region, status=status, limit=limit + 1, offset=offset
        )
        rows = [_brief(p, r) for r in found]
    return page(rows, limit, offset)


def _brief(p: Principal, r: Resident) -> dict[str, Any]:
    return {
        "resident_id": r.id,
        "id_number": ids.mask(r.id_number),  # lists are always masked
        "name": r.name,
        "sex": r.sex,
        "birth_date": r.birth_date,
        "region_code": r.region_code,
        "status": r.status,
        "household_id": r.household_id,
        "row_version": r.row_version,
    }


@router.post(
    "",
    response_model=StatementOut,
    status_code=201,
    summary="登记居民 / register a resident",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def register(body: ResidentIn, request: Request, p: WriteP) -> dict[str, Any]:
    check_region(p, body.region_code)
    with tx(request) as s:
        if body.guardian_id_number is not None:
            scoped_resident(s, p, id_number=body.guardian_id_number)
        new = NewResident(
            id_number=body.id_number,
            name=body.name,
            region_code=body.region_code,
            residence=body.residence,
            student=body.student,
            school_name=body.school_name,
            employee_insured=body.employee_insured,
            household_id=body.household_id,
            guardian_id_number=body.guardian_id_number,
        )
        r = add_resident(s, new, actor=p.actor)
        for cat in body.identities:
            add_membership(s, r.id_number, cat, clock.today(), actor=p.actor)
        return statement_for(s, p, r, None)


@router.get(
    "/{resident_id}",
    response_model=StatementOut,
    summary="缴费查询（按居民编号）/ statement",
    responses=AUTH_ERRORS,
)
def get_one(
    resident_id: Id, request: Request, p: ReadP, on: Annotated[Day | None, Query()] = None
) -> dict[str, Any]:
    with read_once(request) as conn:
        return _read_statement(conn, p, on, resident_id=resident_id)


@router.patch(
    "/{resident_id}",
    response_model=StatementOut,
    summary="修改居民信息（乐观并发：row_version）/ change a resident",
    responses={**AUTH_ERRORS, 409: CONFLICT[409]},
)
def patch(resident_id: Id, body: ResidentPatch, request: Request, p: WriteP) -> dict[str, Any]:
    changes = {k: getattr(body, k) for k in body.model_fields_set - {"row_version", "reason"}}
    if "region_code" in changes:
        if changes["region_code"] is None:
            del changes["region_code"]
        else:
            check_region(p, changes["region_code"])
    with tx(request) as s:
        r = scoped_resident(s, p, resident_id=resident_id, for_update=True)
        if r.row_version != body.row_version:
            raise Conflict(
                f"该居民信息已被他人修改（当前版本{r.row_version}，您读取的是{body.row_version}），请重新读取后再改",
                f"the resident changed since you read it (now version {r.row_version}, yours "
                f"{body.row_version}); reload and retry",
                code="stale_version",
            )
        update_resident(s, r.id_number, changes, actor=p.actor, reason=body.reason)
        return statement_for(s, p, r, None)


@router.post(
    "/{resident_id}/identities",
    response_model=StatementOut,
    status_code=201,
    summary="登记人员身份 / record an identity",
    responses=AUTH_ERRORS,
)
def add_identity(resident_id: Id, body: IdentityIn, request: Request, p: IdentityP) -> dict[str, Any]:
    with tx(request) as s:
        r = scoped_resident(s, p, resident_id=resident_id)
        add_membership(
            s,
            r.id_number,
            body.category,
            body.valid_from,
            body.valid_to,
            department=body.department,
            actor=p.actor,
        )
        # 补发 at once when the identity comes after payment (昌吉 三)
        retro_subsidies(s, [r.id], body.valid_from, actor=p.actor)
        return statement_for(s, p, r, None)


@router.post(
    "/{resident_id}/identities/end",
    response_model=CountOut,
    summary="结束人员身份 / end an identity",
    responses=AUTH_ERRORS,
)
def end_identity(resident_id: Id, body: IdentityEndIn, request: Request, p: IdentityP) -> CountOut:
    with tx(request) as s:
        r = scoped_resident(s, p, resident_id=resident_id)
        return CountOut(count=end_membership(s, r.id_number, body.category, body.valid_to, actor=p.actor))


@router.get(
    "/{resident_id}/history",
    response_model=HistoryPage,
    summary="居民信息的历史版本 / earlier versions",
    responses=AUTH_ERRORS,
)
def history(
    resident_id: Id, request: Request, p: ReadP, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    with tx(request) as s:
        r = scoped_resident(s, p, resident_id=resident_id)
        rows = []
        for h in registry_residents.history_of(s, r.id, limit=limit + 1, offset=offset):
            data = dict(h.data)
            if "id_number" in data:
                data["id_number"] = p.show_id(str(data["id_number"]))
            rows.append(
                {
                    "row_version": h.row_version,
                    "valid_from": instant(h.valid_from),
                    "valid_to": instant(h.valid_to),
                    "changed_by": h.changed_by,
                    "reason": h.reason,
                    "data": data,
                }
            )
    return page(rows, limit, offset)


@router.post(
    "/{resident_id}/external-enrollments",
    response_model=CountOut,
    status_code=201,
    summary="记录在外地或其他险种的参保 / an enrollment elsewhere",
    responses=AUTH_ERRORS,
)
def external(resident_id: Id, body: ExternalIn, request: Request, p: WriteP) -> CountOut:
    with tx(request) as s:
        r = scoped_resident(s, p, resident_id=resident_id)
        record_external_enrollment(
            s,
            r.id_number,
            body.benefit_year,
            body.region_code,
            insurance_type=body.insurance_type,
            enrolled_on=body.enrolled_on or clock.today(),
            actor=p.actor,
        )
    return CountOut(count=1)
