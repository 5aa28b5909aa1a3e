"""Issue 18 items 2-6 over the API: group targets, a county's own task tables (check, load, versions,
original files), department list deadlines, the bulletin archive (issue, list, download, recheck)
and funding by level (report, record a payment).

Scope: reads pass the user's region prefix (group targets, bulletins) or need the whole campaign
(list deadlines, funding by level and its payments, task tables: they are the county's); writes
need ``campaign.manage`` and the whole campaign, except issuing a bulletin for one's own region."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, Field

from urrbmi import clock
from urrbmi.access.scope import Principal, scoped_campaign
from urrbmi.interfaces.api.common import AUTH_ERRORS, NOT_FOUND, XLSX, Day, Id, attachment, instant
from urrbmi.interfaces.api.deps import need, tx
from urrbmi.interfaces.api.schemas import Out, Ratio, Yuan
from urrbmi.interfaces.api.uploads import read_upload
from urrbmi.targets import deadlines, groups, levels, uploads

router = APIRouter(prefix="/api/v1/campaigns", tags=["targets"])

ReadP = Annotated[Principal, Depends(need("campaign.read"))]
ManageP = Annotated[Principal, Depends(need("campaign.manage"))]
FundP = Annotated[Principal, Depends(need("funding.read"))]
UnitLevel = Literal["town", "village"]
Level = Literal["county", "town", "village", "school"]
# an instant as RFC 3339 text with its offset (SQLite hands back naive datetimes)
Instant = Annotated[str, BeforeValidator(lambda v: instant(v) if isinstance(v, dt.datetime) else v)]
TableName = Annotated[str, Path(min_length=1, max_length=60, description="任务表名称 / table name")]


# --- item 2: group targets -------------------------------------------------------------------


class GroupUnitOut(BaseModel):
    unit: str
    name: str
    registry: int
    base: int
    enrolled: int
    required: int
    remaining: int
    rate: Ratio
    meets_target: bool
    rank: int | None


class GroupTargetOut(BaseModel):
    """One group target (targets/groups.py): the group, its unit, rate, deadline and days left."""

    label: str
    group: str
    group_name: str
    unit_kind: Level
    unit_label: str
    target_rate: Ratio
    deadline: dt.date | None
    deadline_source: str
    days_left: int | None
    days_left_text: str
    counted_on: dt.date
    cite: str
    met: bool
    rows: list[GroupUnitOut]
    total: GroupUnitOut | None


class GroupTargetsOut(BaseModel):
    campaign_id: int
    on: dt.date
    targets: list[GroupTargetOut]


@router.get(
    "/{campaign_id}/group-targets",
    response_model=GroupTargetsOut,
    summary="分群体目标（低收入、困难群众、学生、一般居民）及截止日 / group targets and deadlines",
    responses=AUTH_ERRORS,
)
def get_group_targets(campaign_id: Id, request: Request, p: ReadP, on: Day | None = None) -> dict[str, Any]:
    day = on or clock.today()
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id)
        got = groups.group_progress(s, campaign_id, on=day, scope=p.region_prefix)
    return {"campaign_id": campaign_id, "on": day, "targets": [groups.as_json(g) for g in got]}


# --- item 3: a county's own task tables ------------------------------------------------------


class UploadProblemOut(Out):
    row: int
    column: str
    value: str
    zh: str
    code: str
    en: str


class TaskCheckOut(BaseModel):
    """A task table file checked (nothing stored): its problems, units and task total."""

    file_name: str
    sha256: str
    level: UnitLevel
    data_rows: int
    units: int
    task_total: int
    problems: list[UploadProblemOut]


class TaskVersionOut(Out):
    id: int
    name: str
    version: int
    level: str
    file_name: str
    sha256: str
    units: int
    task_total: int
    status: Literal["current", "replaced"]
    loaded_by: str
    loaded_at: Instant


class TaskVersionsOut(BaseModel):
    versions: list[TaskVersionOut]


@router.post(
    "/{campaign_id}/task-tables/check",
    response_model=TaskCheckOut,
    summary="检查县自定任务表（不入库；format=xlsx 得错误报告）/ check a task table file",
    responses={
        **AUTH_ERRORS,
        200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}, "description": "结果"},
    },
)
def check_task_table(
    campaign_id: Id,
    request: Request,
    p: ManageP,
    file: Annotated[UploadFile, File(description="任务表（XLSX、XLS、CSV）")],
    level: Annotated[UnitLevel, Form()] = "village",
    format: Annotated[Literal["json", "xlsx"], Form()] = "json",
) -> Any:
    content = read_upload(file)
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id, whole=True)
        up = uploads.check_task_file(s, campaign_id, content, file.filename or "upload", level=level)
    if format == "xlsx":
        return Response(
            uploads.upload_report_bytes(up),
            media_type=XLSX,
            headers=attachment("任务表错误报告.xlsx", "task-table-report.xlsx"),
        )
    return {
        "file_name": up.file_name,
        "sha256": up.sha256,
        "level": up.level,
        "data_rows": up.data_rows,
        "units": len(up.units),
        "task_total": up.total,
        "problems": up.problems,
    }


@router.post(
    "/{campaign_id}/task-tables",
    response_model=TaskVersionOut,
    summary="载入或替换县自定任务表（按乡镇或村，保留各版本）/ load or replace a county's task table",
    responses=AUTH_ERRORS,
)
def load_task_table(
    campaign_id: Id,
    request: Request,
    p: ManageP,
    file: Annotated[UploadFile, File(description="任务表（XLSX、XLS、CSV）")],
    name: Annotated[str, Form(min_length=1, max_length=60, description="任务表名称")],
    title: Annotated[str | None, Form(max_length=200)] = None,
    level: Annotated[UnitLevel, Form()] = "village",
    rate: Annotated[str | None, Form(max_length=20, description="目标参保率，如100%")] = None,
    replace: Annotated[bool, Form()] = False,
) -> Any:
    content = read_upload(file)
    fname = file.filename or "upload"
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id, whole=True)
        _, ver = uploads.load_task_upload(
            s, campaign_id, content, fname, name=name, title=title or fname, level=level, actor=p.actor,
            rate=rate, replace=replace,
        )  # fmt: skip
        return TaskVersionOut.model_validate(ver)


@router.get(
    "/{campaign_id}/task-tables/versions",
    response_model=TaskVersionsOut,
    summary="任务表各版本 / the uploaded versions of the task tables",
    responses=AUTH_ERRORS,
)
def task_table_versions(
    campaign_id: Id, request: Request, p: ReadP, name: Annotated[str | None, Query(max_length=60)] = None
) -> dict[str, Any]:
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id, whole=True)
        return {
            "versions": [
                TaskVersionOut.model_validate(v) for v in uploads.task_versions(s, campaign_id, name)
            ]
        }


@router.get(
    "/{campaign_id}/task-tables/{name}/versions/{version}/file",
    summary="取回某版本任务表的原文件 / an uploaded version's original file",
    responses={
        **AUTH_ERRORS,
        **NOT_FOUND,
        200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
    },
    response_class=Response,
)
def task_table_file(campaign_id: Id, name: TableName, version: Id, request: Request, p: ReadP) -> Response:
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id, whole=True)
        v = uploads.version_file(s, campaign_id, name, version)
        data, fname = v.content, v.file_name
    return Response(
        data, media_type="application/octet-stream", headers=attachment(fname, f"task-table-v{version}")
    )


# --- item 4: department list deadlines --------------------------------------------------------


class DueLineOut(Out):
    department: str
    source: str
    list_name: str
    region: str
    due: dt.date
    status: Literal["received", "late", "missing", "pending"]
    status_zh: str
    received_on: dt.date | None
    batch_id: int | None
    days: int
    cite: str


class ListDeadlinesOut(BaseModel):
    campaign_id: int
    on: dt.date
    summary: dict[str, int]
    lines: list[DueLineOut]


@router.get(
    "/{campaign_id}/list-deadlines",
    response_model=ListDeadlinesOut,
    summary="部门名单报送时限：按时、逾期、未报送 / department list deadlines",
    responses=AUTH_ERRORS,
)
def get_list_deadlines(campaign_id: Id, request: Request, p: ReadP, on: Day | None = None) -> dict[str, Any]:
    day = on or clock.today()
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id, whole=True)
        lines = deadlines.list_deadlines(s, campaign_id, on=day)
    return {
        "campaign_id": campaign_id,
        "on": day,
        "summary": deadlines.summary(lines),
        "lines": [DueLineOut.model_validate(x) for x in lines],
    }


# --- item 6: funding by level -----------------------------------------------------------------


class LevelShareOut(Out):
    level: str
    label: str
    per_person: Yuan
    persons: int
    owed: Yuan
    paid: Yuan
    paid_by_deadline: Yuan
    last_paid_on: dt.date | None
    deadline: dt.date | None
    deadline_source: str
    status: Literal["paid", "paid_late", "not_due", "overdue", "no_deadline"]
    status_zh: str
    days_left: int | None


class FunderTotalOut(Out):
    funder: str
    persons: int
    amount: Yuan


class FundingLevelsOut(Out):
    campaign_id: int
    on: dt.date
    enrolled: int
    shares: list[LevelShareOut]
    funders: list[FunderTotalOut]
    critical_illness_per_person: Yuan | None
    critical_illness_amount: Yuan | None
    critical_illness_note: str
    note: str


class FundingPaymentIn(BaseModel):
    level: Literal["central", "provincial", "regional", "prefecture", "county", "district"]
    amount: Decimal = Field(gt=0, le=Decimal("100000000000"), description="元 / yuan")
    paid_on: Day
    reference: str = Field(min_length=1, max_length=100)
    note: str = Field(default="", max_length=400)


class FundingPaymentOut(Out):
    id: int
    level: str
    amount_fen: int
    paid_on: dt.date
    reference: str
    recorded_by: str


@router.get(
    "/{campaign_id}/funding/levels",
    response_model=FundingLevelsOut,
    summary="财政补助分级到位情况、资助资金、大病保险筹资 / funding by level and its deadlines",
    responses=AUTH_ERRORS,
)
def get_funding_levels(campaign_id: Id, request: Request, p: FundP, on: Day | None = None) -> Any:
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id, whole=True)
        return FundingLevelsOut.model_validate(
            levels.funding_by_level(s, campaign_id, on=on or clock.today())
        )


@router.post(
    "/{campaign_id}/funding/payments",
    response_model=FundingPaymentOut,
    summary="登记一级财政补助资金到位（金额、日期、凭证）/ record a level's share paid in",
    responses=AUTH_ERRORS,
)
def record_funding_payment(campaign_id: Id, body: FundingPaymentIn, request: Request, p: ManageP) -> Any:
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id, whole=True)
        row = levels.record_funding_payment(
            s, campaign_id, level=body.level, amount=body.amount, paid_on=body.paid_on,
            reference=body.reference, actor=p.actor, note=body.note,
        )  # fmt: skip
        return FundingPaymentOut.model_validate(row)
