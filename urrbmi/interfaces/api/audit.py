"""The audit log, queryable by auditors and administrators (ID numbers in it are masked), only the
rows about things inside the user's scope (:func:`urrbmi.registry.audit.visible_clause`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from urrbmi.access.scope import Principal
from urrbmi.interfaces.api.common import AUTH_ERRORS, Limit, Offset, instant, page
from urrbmi.interfaces.api.deps import need, tx
from urrbmi.interfaces.api.schemas import Instant
from urrbmi.registry import audit

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditOut(BaseModel):
    id: int
    at: Instant
    actor: str
    table: str
    row_key: str
    action: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    limit: int
    offset: int
    has_more: bool


@router.get(
    "",
    response_model=AuditPage,
    summary="查询审计日志（新的在前）/ query the audit log (newest first)",
    responses=AUTH_ERRORS,
)
def query(
    request: Request,
    p: Annotated[Principal, Depends(need("audit.read"))],
    limit: Limit = 100,
    offset: Offset = 0,
    actor: Annotated[str | None, Query(max_length=100, description="操作人，如 api:agent01")] = None,
    table: Annotated[str | None, Query(max_length=40, description="表名，如 residents、payments")] = None,
    action: Annotated[str | None, Query(max_length=20)] = None,
    row_key: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[dt.datetime | None, Query(description="起（含）")] = None,
    until: Annotated[dt.datetime | None, Query(description="止（不含）")] = None,
) -> dict[str, Any]:
    with tx(request) as s:
        rows = [
            {
                "id": a.id,
                "at": instant(a.at),
                "actor": a.actor,
                "table": a.table_name,
                "row_key": a.row_key,
                "action": a.action,
                "old": a.old,
                "new": a.new,
            }
            for a in audit.query(
                s,
                scope=p.region_prefix,
                limit=limit + 1,
                offset=offset,
                actor=actor,
                table=table,
                action=action,
                row_key=row_key,
                since=since,
                until=until,
            )
        ]
    return page(rows, limit, offset)
