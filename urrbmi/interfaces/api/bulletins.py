"""Issue 18 item 5 over the API: the bulletin archive (issue a bulletin, list those issued and due,
download one as issued, recheck it against the ledger as it stands). Reads pass the user's region
prefix; issuing needs ``campaign.manage``, for one's own region."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from urrbmi import clock
from urrbmi.access.scope import Principal, scoped_campaign
from urrbmi.interfaces.api.common import AUTH_ERRORS, CONFLICT, NOT_FOUND, XLSX, Day, Id, attachment
from urrbmi.interfaces.api.deps import need, tx
from urrbmi.interfaces.api.progress import Instant
from urrbmi.interfaces.api.schemas import JSONOut, Out
from urrbmi.interfaces.api.targets import TableColumnOut
from urrbmi.targets import archive

router = APIRouter(prefix="/api/v1/campaigns", tags=["targets"])

ReadP = Annotated[Principal, Depends(need("campaign.read"))]
ManageP = Annotated[Principal, Depends(need("campaign.manage"))]
Level = Literal["county", "town", "village", "school"]


# --- item 5: the bulletin archive -------------------------------------------------------------


class BulletinIssueOut(Out):
    id: int
    campaign_id: int
    as_of: dt.date
    level: str
    scope: str
    title: str
    issued_by: str
    issued_at: Instant


class BulletinDueOut(Out):
    on: dt.date
    issue_id: int | None


class BulletinArchiveOut(BaseModel):
    issues: list[BulletinIssueOut]
    schedule_label: str | None
    schedule_cite: str | None
    due: list[BulletinDueOut]


class IssueIn(BaseModel):
    on: Day
    level: Level = "town"
    rate: Decimal | None = Field(
        default=None, gt=0, le=1, description="目标参保率（小数；默认取任务表或政策）"
    )


class ArchivedBulletinOut(BaseModel):
    """An issued bulletin's figures as archived: its table (columns, rows as printed; ratios as
    exact decimal text, e.g. "0.8830")."""

    title: str
    as_of: dt.date
    target_rate: str
    columns: list[TableColumnOut]
    rows: list[dict[str, int | str | bool | None]]


class RecheckOut(Out):
    issue_id: int
    as_of: dt.date
    same: bool
    differences: list[str]


@router.post(
    "/{campaign_id}/bulletins",
    response_model=BulletinIssueOut,
    summary="发布通报并存档（本人管辖范围）/ issue a bulletin and archive it",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def issue_bulletin(campaign_id: Id, body: IssueIn, request: Request, p: ManageP) -> Any:
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id)
        row = archive.issue(
            s, campaign_id, on=body.on, actor=p.actor, level=body.level, scope=p.region_prefix,
            target_rate=body.rate,
        )  # fmt: skip
        return BulletinIssueOut.model_validate(row)


@router.get(
    "/{campaign_id}/bulletins",
    response_model=BulletinArchiveOut,
    summary="通报档案与通报日程 / the bulletins issued and the notice's schedule",
    responses=AUTH_ERRORS,
)
def bulletin_archive(campaign_id: Id, request: Request, p: ReadP, on: Day | None = None) -> dict[str, Any]:
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id)
        rows = [
            BulletinIssueOut.model_validate(r) for r in archive.issued(s, campaign_id, scope=p.region_prefix)
        ]
        sch, due = archive.schedule(s, campaign_id, until=on or clock.today(), scope=p.region_prefix)
    return {
        "issues": rows,
        "schedule_label": sch.label if sch else None,
        "schedule_cite": sch.cite if sch else None,
        "due": [BulletinDueOut.model_validate(x) for x in due],
    }


@router.get(
    "/{campaign_id}/bulletins/{issue_id}",
    summary="存档通报（JSON数字、Excel或HTML，与发布时相同）/ an archived bulletin as issued",
    responses={
        **AUTH_ERRORS,
        **NOT_FOUND,
        200: {
            "model": ArchivedBulletinOut,
            "content": {
                "text/html": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "存档通报 / archived bulletin",
        },
    },
    response_class=Response,
)
def get_archived_bulletin(
    campaign_id: Id,
    issue_id: Id,
    request: Request,
    p: ReadP,
    format: Literal["json", "xlsx", "html"] = "json",
) -> Response:
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id)
        row = archive.get_issue(s, campaign_id, issue_id, scope=p.region_prefix)
        as_of, figures, xlsx, html = row.as_of, row.figures, row.xlsx, row.html
    if format == "html":
        return Response(html, media_type="text/html; charset=utf-8")
    if format == "xlsx":
        return Response(
            xlsx,
            media_type=XLSX,
            headers=attachment(f"通报-{as_of.isoformat()}.xlsx", f"bulletin-{issue_id}.xlsx"),
        )
    return JSONOut(ArchivedBulletinOut.model_validate(figures).model_dump(mode="json"))


@router.get(
    "/{campaign_id}/bulletins/{issue_id}/recheck",
    response_model=RecheckOut,
    summary="按发布日期从台账重算存档通报并逐项比对 / re-render an issued bulletin and compare",
    responses={**AUTH_ERRORS, **NOT_FOUND},
)
def recheck_bulletin(campaign_id: Id, issue_id: Id, request: Request, p: ReadP) -> Any:
    with tx(request) as s:
        scoped_campaign(s, p, campaign_id)
        return RecheckOut.model_validate(archive.recheck(s, campaign_id, issue_id, scope=p.region_prefix))
