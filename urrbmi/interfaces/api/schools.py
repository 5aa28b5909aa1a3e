"""Schools as payers (学校代缴, :mod:`urrbmi.campaign.schools`): schools, their rosters, the
statement, one payment for the pupils, progress by school.

Officers act for the schools of their region (permission ``school.manage``); paying also needs
``payment.record`` (one amount) or ``payment.import`` (a channel's file), as any payment. A school
outside the scope (or none) is the uniform 403. ID numbers are masked unless the role has
``resident.full_id``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.access.errors import out_of_scope
from urrbmi.access.scope import Principal, check_region, scoped_campaign
from urrbmi.campaign.payments import read_payment_bytes
from urrbmi.campaign.schools import (
    RosterResult,
    Statement,
    confirm_roster,
    get_school,
    list_schools,
    pay_school,
    pay_school_file,
    register_school,
    school_progress,
    statement,
    statement_file,
    upload_roster,
)
from urrbmi.db.models import Campaign
from urrbmi.db.models_schools import School
from urrbmi.interfaces.api.common import AUTH_ERRORS, CONFLICT, XLSX, Day, Id, Strict, attachment, csv_or_xlsx
from urrbmi.interfaces.api.deps import need, tx
from urrbmi.interfaces.api.schemas import Out, Ratio, Yuan
from urrbmi.interfaces.api.uploads import read_upload
from urrbmi.money import from_fen
from urrbmi.registry.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["schools"])

SchoolP = Annotated[Principal, Depends(need("school.manage"))]
ReadP = Annotated[Principal, Depends(need("campaign.read"))]
Channel = Literal["bank", "tax", "wechat", "alipay", "unionpay", "pos", "cash"]


class SchoolOut(Out):
    id: int
    name: str
    region_code: str
    code: str | None = Field(description="学校标识码")


class SchoolPage(BaseModel):
    items: list[SchoolOut]


class SchoolIn(Strict):
    name: str = Field(min_length=1, max_length=200, description="学校名称")
    region_code: str = Field(pattern=r"^\d{6,12}$", description="学校所在区划代码（乡镇或村）")
    code: str | None = Field(None, min_length=1, max_length=20, description="学校标识码（可选）")


class RosterProblemOut(Out):
    row: int = Field(description="名册文件中的行号")
    column: str
    value: str = Field(description="原值（身份证号码已遮蔽）")
    zh: str
    en: str


class RosterOut(Out):
    school_id: int
    campaign_id: int
    rows: int = Field(description="名册数据行数")
    pupils: int = Field(description="登记到名册的学生")
    removed: int = Field(description="上一版名册中有、此版没有的学生")
    students_marked: int = Field(description="标记为在校学生并重新核定的居民")
    problems: list[RosterProblemOut]


class StatementLineOut(Out):
    class_name: str | None
    name: str
    id_number: str = Field(description="身份证号码（按权限遮蔽）")
    status: Literal["due", "enrolled", "excluded", "not_assessed", "error"]
    status_zh: str
    reason_zh: str | None
    amount_due: Yuan | None = Field(description="应缴（元）")
    benefit_start: dt.date | None
    benefit_end: dt.date | None


class StatementOut(Out):
    school_id: int
    school_name: str
    campaign_id: int
    on: dt.date = Field(description="按此缴费日期核定")
    pupils: int
    due: int = Field(description="应缴人数")
    enrolled: int = Field(description="已参保人数")
    total: Yuan = Field(description="应缴合计（元）：学校缴费须等于此数")
    lines: list[StatementLineOut]


class SchoolPayIn(Strict):
    amount: Annotated[Decimal, Field(ge=0, le=100_000_000, decimal_places=2, description="缴入总金额（元）")]
    channel: Channel = "bank"
    external_ref: str = Field(min_length=1, max_length=40, pattern=r"^[^#]+$", description="交易流水号")
    paid_on: Day | None = Field(None, description="缴费日期（默认今天）")


class PupilReceiptOut(Out):
    name: str
    id_number: str = Field(description="身份证号码（按权限遮蔽）")
    amount: Yuan
    status: str
    receipt_no: int | None


class SchoolPaidOut(Out):
    school_id: int
    campaign_id: int
    channel: str
    external_ref: str
    amount: Yuan
    paid_on: dt.date
    replayed: bool = Field(description="此流水号已入账（未重复入账）")
    accepted: int
    held: int
    receipts: list[PupilReceiptOut]


class SchoolImportOut(BaseModel):
    batch_id: str
    lines: int
    replayed: int
    status: dict[str, int]
    held: dict[str, int]


class SchoolProgressOut(Out):
    school_id: int
    name: str
    region_code: str
    region_name: str
    roster: int = Field(description="名册人数")
    enrolled: int = Field(description="已参保人数")
    rate: Ratio | None = Field(description="参保率（0-1）")
    target_rate: Ratio | None = Field(description="政策目标参保率（0-1）")
    remaining: int | None = Field(description="距目标还差人数")


class SchoolProgressPage(BaseModel):
    on: dt.date
    items: list[SchoolProgressOut]


def _school(s: Session, p: Principal, school_id: int) -> School:
    try:
        return get_school(s, school_id, scope=p.region_prefix)
    except NotFound:
        raise out_of_scope() from None


def _both(s: Session, p: Principal, campaign_id: int, school_id: int) -> tuple[Campaign, School]:
    return scoped_campaign(s, p, campaign_id), _school(s, p, school_id)


def _statement_out(st: Statement, p: Principal) -> dict[str, Any]:
    return {
        "school_id": st.school_id,
        "school_name": st.school_name,
        "campaign_id": st.campaign_id,
        "on": st.on,
        "pupils": len(st.lines),
        "due": len(st.due),
        "enrolled": st.enrolled,
        "total": from_fen(st.total_fen),
        "lines": [
            {
                "class_name": x.class_name,
                "name": x.name,
                "id_number": p.show_id(x.id_number),
                "status": x.status,
                "status_zh": x.status_zh,
                "reason_zh": x.reason_zh,
                "amount_due": None if x.due_fen is None else from_fen(x.due_fen),
                "benefit_start": x.benefit_start,
                "benefit_end": x.benefit_end,
            }
            for x in st.lines
        ],
    }


@router.get("/schools", response_model=SchoolPage, summary="学校 / schools", responses={**AUTH_ERRORS})
def schools(request: Request, p: SchoolP) -> dict[str, Any]:
    with tx(request) as s:
        return {"items": list_schools(s, scope=p.region_prefix)}


@router.post(
    "/schools",
    response_model=SchoolOut,
    summary="登记学校 / register a school",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def add_school(body: SchoolIn, request: Request, p: SchoolP) -> School:
    check_region(p, body.region_code)
    with tx(request) as s:
        return register_school(
            s,
            name=body.name,
            region_code=body.region_code,
            code=body.code,
            actor=p.actor,
            scope=p.region_prefix,
        )


@router.post(
    "/campaigns/{campaign_id}/schools/{school_id}/roster",
    response_model=RosterOut,
    summary="上传学生名册（替换该校本批次名册），报告有问题的行 / upload a school's roster",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def roster(
    campaign_id: Id,
    school_id: Id,
    request: Request,
    p: SchoolP,
    file: Annotated[UploadFile, File(description="学生名册（CSV/XLSX：身份证号码、姓名、班级）")],
) -> dict[str, Any]:
    content = read_upload(file)
    with tx(request) as s:
        c, school = _both(s, p, campaign_id, school_id)
        res = upload_roster(
            s, school, c, content, file_name=file.filename or "roster", actor=p.actor, scope=p.region_prefix
        )
        return _roster_out(res)


def _roster_out(res: RosterResult) -> dict[str, Any]:
    return {
        "school_id": res.school_id,
        "campaign_id": res.campaign_id,
        "rows": res.rows,
        "pupils": res.pupils,
        "removed": res.removed,
        "students_marked": res.students_marked,
        "problems": res.problems,
    }


@router.post(
    "/campaigns/{campaign_id}/schools/{school_id}/roster/confirm",
    response_model=RosterOut,
    summary="确认居民登记册中登记为该校学生的居民为名册 / confirm the registry's pupils as the roster",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def roster_confirm(campaign_id: Id, school_id: Id, request: Request, p: SchoolP) -> dict[str, Any]:
    with tx(request) as s:
        c, school = _both(s, p, campaign_id, school_id)
        return _roster_out(confirm_roster(s, school, c, actor=p.actor, scope=p.region_prefix))


@router.get(
    "/campaigns/{campaign_id}/schools/{school_id}/statement",
    response_model=StatementOut,
    summary="学校缴费清单：每名学生应缴和合计 / a school's statement",
    responses={**AUTH_ERRORS},
)
def school_statement(
    campaign_id: Id,
    school_id: Id,
    request: Request,
    p: SchoolP,
    on: Annotated[Day | None, Query(description="缴费日期（默认今天）")] = None,
) -> dict[str, Any]:
    with tx(request) as s:
        c, school = _both(s, p, campaign_id, school_id)
        return _statement_out(statement(s, school, c, on or clock.today()), p)


@router.get(
    "/campaigns/{campaign_id}/schools/{school_id}/statement/file",
    summary="学校缴费清单文件（Excel或CSV）/ the statement as a file",
    responses={
        **AUTH_ERRORS,
        **csv_or_xlsx("缴费清单 / the statement"),
    },
    response_class=Response,
)
def school_statement_file(
    campaign_id: Id,
    school_id: Id,
    request: Request,
    p: SchoolP,
    on: Annotated[Day | None, Query(description="缴费日期（默认今天）")] = None,
    format: Literal["xlsx", "csv"] = "xlsx",
) -> Response:
    with tx(request) as s:
        c, school = _both(s, p, campaign_id, school_id)
        st = statement(s, school, c, on or clock.today())
        content = statement_file(st, full_ids=p.can("resident.full_id"), fmt=format)
    return Response(
        content,
        media_type="text/csv" if format == "csv" else XLSX,
        headers=attachment(f"缴费清单-{st.on.isoformat()}.{format}", f"statement-{school_id}.{format}"),
    )


@router.post(
    "/campaigns/{campaign_id}/schools/{school_id}/payments",
    response_model=SchoolPaidOut,
    summary="学校统一缴费：总金额须等于缴费清单合计，每名学生入账、收据、参保 / the school pays",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def pay(campaign_id: Id, school_id: Id, body: SchoolPayIn, request: Request, p: SchoolP) -> dict[str, Any]:
    p.require("payment.record")
    with tx(request) as s:
        c, school = _both(s, p, campaign_id, school_id)
        paid = pay_school(
            s,
            school,
            c,
            amount=body.amount,
            channel=body.channel,
            external_ref=body.external_ref,
            paid_on=body.paid_on or clock.today(),
            actor=p.actor,
            may_backdate=p.can("payment.backdate"),
        )
        return {
            "school_id": paid.school_id,
            "campaign_id": paid.campaign_id,
            "channel": paid.channel,
            "external_ref": paid.external_ref,
            "amount": from_fen(paid.amount_fen),
            "paid_on": paid.paid_on,
            "replayed": paid.replayed,
            "accepted": paid.accepted,
            "held": paid.held,
            "receipts": [
                {
                    "name": r.name,
                    "id_number": p.show_id(r.id_number),
                    "amount": from_fen(r.amount_fen),
                    "status": r.status,
                    "receipt_no": r.receipt_no,
                }
                for r in paid.receipts
            ],
        }


@router.post(
    "/campaigns/{campaign_id}/schools/{school_id}/payments/import",
    response_model=SchoolImportOut,
    summary="学校的渠道缴费文件（逐个学生；金额不符的挂起待审核）/ a channel's file for a school",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def pay_file(
    campaign_id: Id,
    school_id: Id,
    request: Request,
    p: SchoolP,
    file: Annotated[
        UploadFile, File(description="渠道缴费文件（CSV：交易流水号、身份证号码、金额、缴费日期）")
    ],
    channel: Annotated[Literal["wechat", "alipay", "unionpay", "bank", "tax"], Form()],
) -> dict[str, Any]:
    p.require("payment.import")
    content = read_upload(file)
    with tx(request) as s:
        c, school = _both(s, p, campaign_id, school_id)
        lines = read_payment_bytes(content, file.filename or "payments.csv")
        return pay_school_file(s, school, c, lines, channel=channel, actor=p.actor).as_dict()


@router.get(
    "/campaigns/{campaign_id}/schools/progress",
    response_model=SchoolProgressPage,
    summary="按学校的参保进度：名册人数、已参保、参保率 / progress by school",
    responses={**AUTH_ERRORS},
)
def progress(
    campaign_id: Id,
    request: Request,
    p: ReadP,
    on: Annotated[Day | None, Query(description="统计日期（默认今天）")] = None,
) -> dict[str, Any]:
    day = on or clock.today()
    with tx(request) as s:
        c = scoped_campaign(s, p, campaign_id)
        rows = school_progress(s, c, day, scope=p.region_prefix)
        return {
            "on": day,
            "items": [
                {
                    "school_id": r.school_id,
                    "name": r.name,
                    "region_code": r.region_code,
                    "region_name": r.region_name,
                    "roster": r.roster,
                    "enrolled": r.enrolled,
                    "rate": r.rate,
                    "target_rate": r.target_rate,
                    "remaining": r.remaining,
                }
                for r in rows
            ],
        }
