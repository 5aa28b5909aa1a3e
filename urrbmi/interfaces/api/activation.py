"""医保电子凭证 activation over the API (issue 15 item 2), under ``/api/v1/fieldwork``: the residents
who have not activated, activation rates by village or town beside enrollment, and the platform's
activation lists imported (the file's bytes to :func:`urrbmi.campaign.activation.import_activations`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from pydantic import BaseModel, Field

from urrbmi import clock
from urrbmi.access.scope import Principal
from urrbmi.campaign import activation, fieldwork
from urrbmi.interfaces.api.common import AUTH_ERRORS, Day, FieldLimit, Offset
from urrbmi.interfaces.api.deps import need, tx
from urrbmi.interfaces.api.fieldwork import CampaignQ, MemberList, ReadP, RegionQ, member_list
from urrbmi.interfaces.api.schemas import Ratio
from urrbmi.interfaces.api.uploads import read_upload

router = APIRouter(prefix="/api/v1/fieldwork", tags=["fieldwork"])

RatesP = Annotated[Principal, Depends(need("campaign.read"))]
ImportP = Annotated[Principal, Depends(need("activation.import"))]


class BadRowOut(BaseModel):
    row: int = Field(description="文件中的行号 / the row in the file")
    reason: str


class ActivationImportOut(BaseModel):
    batch_id: str
    rows: int
    recorded: int
    earlier: int
    unchanged: int
    bad_total: int
    bad: list[BadRowOut]


class ActivationRowOut(BaseModel):
    unit: str
    name: str
    registry: int
    enrolled: int
    enrollment_rate: Ratio | None
    activated: int
    activation_rate: Ratio | None


class ActivationRatesOut(BaseModel):
    campaign_id: int
    on: dt.date
    level: str
    rows: list[ActivationRowOut]
    total: ActivationRowOut | None


def _row(r: activation.ActivationRow) -> dict[str, Any]:
    return {
        "unit": r.unit,
        "name": r.name,
        "registry": r.registry,
        "enrolled": r.enrolled,
        "enrollment_rate": r.enrollment_rate,
        "activated": r.activated,
        "activation_rate": r.activation_rate,
    }


@router.get(
    "/not-activated",
    response_model=MemberList,
    summary="未激活医保电子凭证的居民（分页）/ residents who have not activated the 医保电子凭证, paged",
    responses=AUTH_ERRORS,
)
def get_not_activated(
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
        page = activation.not_activated(s, p, c, on=on, region=region, limit=limit, offset=offset)
    return member_list(c, on, page)


@router.get(
    "/activation",
    response_model=ActivationRatesOut,
    summary="医保电子凭证激活率（按村或乡镇，与参保率并列）/ activation rate beside enrollment",
    responses=AUTH_ERRORS,
)
def get_activation(
    request: Request,
    p: RatesP,
    campaign_id: CampaignQ = None,
    region: RegionQ = None,
    level: Literal["town", "village"] = "village",
    on: Annotated[Day | None, Query()] = None,
) -> dict[str, Any]:
    with tx(request) as s:
        c = fieldwork.current_campaign(s, p, campaign_id)
        rows, total = activation.activation_rates(s, p, c, on=on, level=level, region=region)
    return {
        "campaign_id": c.id,
        "on": on or clock.today(),
        "level": level,
        "rows": [_row(r) for r in rows],
        "total": None if total is None else _row(total),
    }


@router.post(
    "/activations/import",
    response_model=ActivationImportOut,
    summary="导入医保电子凭证激活名单（身份证号码、激活日期）/ import an activation list",
    responses=AUTH_ERRORS,
)
def import_activation_list(
    request: Request,
    p: ImportP,
    file: Annotated[UploadFile, File(description="平台导出的激活名单（CSV、XLSX、XLS）")],
) -> dict[str, Any]:
    content = read_upload(file)
    with tx(request) as s:
        res = activation.import_activations(
            s, p, content, file_name=file.filename or "激活名单.csv", actor=p.actor
        )
    return {
        "batch_id": res.batch_id,
        "rows": res.rows,
        "recorded": res.recorded,
        "earlier": res.earlier,
        "unchanged": res.unchanged,
        "bad_total": res.bad_total,
        "bad": res.bad,
    }
