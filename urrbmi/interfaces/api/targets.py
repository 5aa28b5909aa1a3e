"""Targets and reports over the API: progress, bulletin, lists for action, funding, incentive.

Scope: every call passes the user's region prefix to the targets service functions (they filter in
SQL); the campaign must overlap the scope. Lists name residents: they need ``resident.read`` and
show full ID numbers only with ``resident.full_id``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.access.scope import Principal, check_region, scoped_campaign
from urrbmi.interfaces.api.common import AUTH_ERRORS, XLSX, Day, Id, Limit, Offset, attachment
from urrbmi.interfaces.api.deps import file_download, need, tx
from urrbmi.interfaces.api.schemas import JSONOut, Out, Ratio, Yuan
from urrbmi.registry import audit
from urrbmi.registry.regions import get_region, prefix
from urrbmi.targets.columns import report_table
from urrbmi.targets.counting import progress
from urrbmi.targets.incentive import IncentiveLine
from urrbmi.targets.lists import (
    Page,
    export_not_enrolled_xlsx,
    hardship_not_enrolled,
    identity_changed,
    not_enrolled,
)
from urrbmi.targets.reports import FundingReport, bulletin_from_db, funding_report, incentive_from_db
from urrbmi.targets.store import region_prefix

router = APIRouter(prefix="/api/v1/campaigns", tags=["targets"])

ReadP = Annotated[Principal, Depends(need("campaign.read"))]
PeopleP = Annotated[Principal, Depends(need("resident.read"))]
FundP = Annotated[Principal, Depends(need("funding.read"))]
Level = Literal["county", "town", "village", "school"]
Rate = Annotated[
    Decimal | None,
    Query(gt=0, le=1, description="目标参保率（小数，如0.99；默认取任务表或政策）/ target rate override"),
]


class TableColumnOut(Out):
    """A column of the progress table (targets/columns.py): its key, labels and kind."""

    key: str
    zh: str
    en: str
    kind: str


class TableOut(Out):
    """The progress table as every report prints it (targets/columns.py): the columns, and one
    object per line keyed by column (figures as printed; null where unknown; ``total`` marks the
    total line)."""

    columns: list[TableColumnOut]
    rows: list[dict[str, int | Ratio | str | bool | None]]


class UnitProgressOut(Out):
    """One unit's progress (targets/progress.py ``UnitProgress``)."""

    unit: str
    base: int
    enrolled: int
    task: int | None
    target_rate: Ratio
    required: int
    rate: Ratio
    completion: Ratio | None
    remaining: int
    meets_target: bool
    rank: int | None
    last_year_rate: Ratio | None
    rate_change: Ratio | None
    enrolled_change: int | None


class ProgressRowOut(Out):
    unit: str
    name: str
    registry: int
    enrolled: int
    paid: int
    subsidised: int
    employee: int
    elsewhere: int
    covered: int
    last_year_enrolled: int | None
    progress: UnitProgressOut


class ProgressOut(Out):
    """Progress at a date (targets/counting.py ``ProgressReport``; see docs/targets.md)."""

    campaign_id: int
    on: dt.date
    level: Level
    scope: str
    target_rate: Ratio
    target_name: str | None
    counts_employee: bool
    rank_by: Literal["rate", "completion"]
    rows: list[ProgressRowOut]
    total: ProgressRowOut | None
    table: TableOut | None = None


class BulletinOut(Out):
    title: str
    as_of: dt.date
    unit_label: str
    base_label: str
    target_rate: Ratio
    bottom_n: int
    rows: list[UnitProgressOut]
    total: UnitProgressOut
    remarks: dict[str, str]
    notes: list[str]
    table: TableOut | None = None


class FundingLineOut(Out):
    section: str
    item: str
    funder: str
    persons: int
    per_person: Yuan | None
    amount: Yuan


class FundingOut(Out):
    campaign_id: int
    on: dt.date
    enrolled: int
    lines: list[FundingLineOut]
    financing_per_person: Yuan | None
    financing_note: str
    total: Yuan


class IncentiveLineOut(Out):
    region: str
    task: int
    enrolled: int
    excess: int
    amount: Yuan


class IncentiveOut(BaseModel):
    lines: list[IncentiveLineOut]


class ListPageOut(Out):
    """A page of a list for action; ``rows`` are keyed by ``keys`` (amounts as "Y.FF" text)."""

    title: str
    headers: list[str]
    keys: list[str]
    total: int
    offset: int
    limit: int
    rows: list[dict[str, Yuan | str | int | None]]
    notes: list[str]


@router.get(
    "/{campaign_id}/progress",
    response_model=ProgressOut,
    summary="参保进度（县、乡镇、村、学校）/ progress at a date",
    responses=AUTH_ERRORS,
)
def get_progress(
    campaign_id: Id,
    request: Request,
    p: ReadP,
    on: Day | None = None,
    level: Level = "town",
    target: str | None = None,
    rate: Rate = None,
    region: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{6,12}$",
            description="只统计此区划之下（如一个乡镇的各村，在本镇内排名）/ count only under this region "
            "(e.g. one town's villages, ranked within the town)",
        ),
    ] = None,
) -> ProgressOut:
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id)
        scope = p.region_prefix
        if region is not None:  # a drill-down counts only its region (issue 18 item 7)
            check_region(p, region)
            scope = region_prefix(s, region)
        rep = progress(
            s,
            campaign_id,
            on=on or clock.today(),
            level=level,
            scope=scope,
            target=target,
            target_rate=rate,
        )
        out = ProgressOut.model_validate(rep)
        out.table = TableOut.model_validate(report_table(rep))
        return out


@router.get(
    "/{campaign_id}/bulletin",
    summary="进度通报（JSON、Excel或HTML）/ the bulletin",
    responses={
        **AUTH_ERRORS,
        200: {
            "model": BulletinOut,
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
            "description": "通报 / bulletin",
        },
    },
    response_class=Response,
)
def get_bulletin(
    campaign_id: Id,
    request: Request,
    p: ReadP,
    on: Day | None = None,
    level: Level = "town",
    target: str | None = None,
    rate: Rate = None,
    format: Literal["json", "xlsx", "html"] = "json",
) -> Response:
    from urrbmi.targets.bulletin import render_html, xlsx_bytes
    from urrbmi.targets.bulletin import table as bulletin_table

    with tx(request) as s:
        scoped_campaign(s, p, campaign_id)
        b, _ = bulletin_from_db(
            s,
            campaign_id,
            on=on or clock.today(),
            level=level,
            scope=p.region_prefix,
            target=target,
            target_rate=rate,
        )
    if format == "html":
        return Response(render_html(b), media_type="text/html; charset=utf-8")
    if format == "xlsx":
        return Response(
            xlsx_bytes(b),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers=attachment(f"通报-{b.as_of.isoformat()}.xlsx", f"bulletin-{campaign_id}.xlsx"),
        )
    out = BulletinOut.model_validate(b)
    out.table = TableOut.model_validate(bulletin_table(b))
    return JSONOut(out.model_dump(mode="json"))


RegionFilter = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{9}([0-9]{3})?$", description="只列此乡镇（9位）或村（12位）/ a town or village"),
]


def _narrowed(s: Any, p: Principal, region: str | None) -> str:
    """The scope a list is counted in: the user's region, or a town or village inside it."""
    if region is None:
        return p.region_prefix
    check_region(p, region)
    return prefix(get_region(s, region))


def _list_page(
    request: Request,
    p: Principal,
    campaign_id: int,
    build: Callable[..., Any],
    on: dt.date | None,
    limit: int,
    offset: int,
    *,
    whole: bool = False,
    region: str | None = None,
    **extra: Any,
) -> Page:
    """One page of a list for action, for a campaign inside the principal's scope (narrowed to
    ``region`` when given)."""
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id, whole=whole)
        page = build(
            s, campaign_id, on=on or clock.today(), scope=_narrowed(s, p, region), limit=limit,
            offset=offset, **extra,
        )  # fmt: skip
        return page  # type: ignore[no-any-return]


@router.get(
    "/{campaign_id}/lists/not-enrolled",
    response_model=ListPageOut,
    summary="未参保人员清单（按村，含上年参保情况）/ not yet enrolled, by village",
    responses=AUTH_ERRORS,
)
def list_not_enrolled(
    campaign_id: Id,
    request: Request,
    p: PeopleP,
    on: Day | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    region: RegionFilter = None,
) -> Page:
    full = p.can("resident.full_id")
    return _list_page(
        request, p, campaign_id, not_enrolled, on, limit, offset, full_ids=full,
        full_phones=p.can("contact.read"), region=region,
    )  # fmt: skip


@router.get(
    "/{campaign_id}/lists/not-enrolled/xlsx",
    summary="未参保人员清单Excel（全部，含村、户主、电话、上年情况、应缴金额）/ the whole list as Excel",
    responses={
        **AUTH_ERRORS,
        200: {
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            "description": "清单文件 / the list file",
        },
    },
    response_class=Response,
)
def export_not_enrolled(
    campaign_id: Id,
    request: Request,
    p: PeopleP,
    on: Day | None = None,
    region: RegionFilter = None,
) -> Response:
    day = on or clock.today()

    def write(s: Session, path: Path) -> tuple[str, str, audit.Export]:
        scoped_campaign(s, p, campaign_id)
        # streamed to a file (a county's list is large), audited once written
        where, trail = export_not_enrolled_xlsx(
            s, campaign_id, path, on=day, scope=_narrowed(s, p, region), actor=p.actor,
            full_ids=p.can("resident.full_id"), full_phones=p.can("contact.read"),
        )  # fmt: skip
        return f"{where}未参保人员清单-{day.isoformat()}.xlsx", f"not-enrolled-{day.isoformat()}.xlsx", trail

    return file_download(request, p.user_id, write, suffix=".xlsx", media_type=XLSX)


@router.get(
    "/{campaign_id}/lists/hardship",
    response_model=ListPageOut,
    summary="困难群众未参保清单（含分阶段截止日）/ hardship residents not yet enrolled",
    responses=AUTH_ERRORS,
)
def list_hardship(
    campaign_id: Id,
    request: Request,
    p: PeopleP,
    on: Day | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    region: RegionFilter = None,
) -> Page:
    full = p.can("resident.full_id")
    return _list_page(
        request, p, campaign_id, hardship_not_enrolled, on, limit, offset, full_ids=full,
        full_phones=p.can("contact.read"), region=region,
    )  # fmt: skip


@router.post(
    "/{campaign_id}/lists/identity-changed",
    response_model=ListPageOut,
    summary="缴费后身份变化人员清单（记录应退金额）/ identity changed after payment",
    responses=AUTH_ERRORS,
)
def list_identity_changed(
    campaign_id: Id,
    request: Request,
    p: Annotated[Principal, Depends(need("campaign.manage"))],
    on: Day | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page:
    return _list_page(request, p, campaign_id, identity_changed, on, limit, offset, whole=True, actor=p.actor)


@router.get(
    "/{campaign_id}/funding",
    response_model=FundingOut,
    summary="资金测算：资助、财政补助分级、个人缴费、人均筹资 / funding",
    responses=AUTH_ERRORS,
)
def get_funding(campaign_id: Id, request: Request, p: FundP, on: Day | None = None) -> FundingReport:
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id)
        return funding_report(s, campaign_id, on=on or clock.today(), scope=p.region_prefix)


@router.get(
    "/{campaign_id}/incentive",
    response_model=IncentiveOut,
    summary="超任务奖励（黔江式）/ incentive above the task",
    responses=AUTH_ERRORS,
)
def get_incentive(
    campaign_id: Id, request: Request, p: FundP, on: Day | None = None, target: str | None = None
) -> dict[str, tuple[IncentiveLine, ...]]:
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id, whole=True)
        lines = incentive_from_db(s, campaign_id, on=on or clock.today(), target=target)
        return {"lines": lines}


class BurnupPoint(BaseModel):
    day: dt.date
    enrolled: int


class ChartsOut(BaseModel):
    burnup: list[BurnupPoint]
    composition: dict[str, int]
    start: dt.date | None = None  # the policy's centralized milestone's start
    deadline: dt.date | None = None  # its end, else the last staged deadline (reports.campaign_window)


@router.get(
    "/{campaign_id}/charts",
    response_model=ChartsOut,
    summary="图表数据：累计参保（燃尽图）与按资助类别构成 / burn-up and composition",
    responses=AUTH_ERRORS,
)
def get_charts(campaign_id: Id, request: Request, p: ReadP, on: Day | None = None) -> dict[str, Any]:
    from urrbmi.targets.counting import burnup, composition
    from urrbmi.targets.reports import campaign_window

    day = on or clock.today()
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id)
        points = burnup(s, campaign_id, on=day, scope=p.region_prefix)
        parts = composition(s, campaign_id, on=day, scope=p.region_prefix)
        start, deadline = campaign_window(s, campaign_id)
    return {
        "burnup": [{"day": d.isoformat(), "enrolled": n} for d, n in points],
        "composition": parts,
        "start": start.isoformat() if start else None,
        "deadline": deadline.isoformat() if deadline else None,
    }
