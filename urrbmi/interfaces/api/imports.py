"""Department lists over the API: upload a list (民政, 残联, 公安 …), the review queue.

A department uploader may load only its own sources (``users.sources``); bureau officers and
administrators any source. Every call passes the user's region prefix as the service functions'
``scope``: rows of residents outside it are not loaded, review items outside it are not shown
(answered 403 like a row that does not exist)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, Field

from urrbmi.access.errors import out_of_scope
from urrbmi.access.scope import Principal
from urrbmi.imports.load import load_list
from urrbmi.imports.review import decide_review, list_reviews, show_review
from urrbmi.interfaces.api.common import AUTH_ERRORS, CONFLICT, Limit, Offset, Strict, page
from urrbmi.interfaces.api.deps import need, tx
from urrbmi.interfaces.api.errors import DecimalJSONResponse
from urrbmi.registry.errors import NotFound

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
UploadP = Annotated[Principal, Depends(need("list.upload"))]
ReviewP = Annotated[Principal, Depends(need("identity.write"))]
MAX_UPLOAD = 200 * 1024 * 1024


class LoadOut(BaseModel):
    batch_id: int
    source: str
    kind: str
    file_name: str
    sha256: str
    as_of: str
    already_loaded: bool
    data_rows: int
    rows: dict[str, int]
    gained: dict[str, int]
    lost: dict[str, int]
    population: dict[str, int]
    enrollments: int
    review_items: int
    seconds: dict[str, float]


class ReviewOut(BaseModel):
    id: int
    status: str
    kind: str
    source: str
    batch_id: int
    id_number: str
    region_code: str
    fields: list[str]
    registry: dict[str, Any] | None
    versions: list[dict[str, Any]]
    decision: str | None
    chosen_row: int | None
    decided_by: str | None
    decided_at: str | None


class ReviewPage(BaseModel):
    items: list[ReviewOut]
    limit: int
    offset: int
    has_more: bool


class DecideIn(Strict):
    decision: Literal["keep_registry", "take_file"]
    row: int | None = Field(None, ge=1, description="采用文件中的哪一行（多个版本时）")
    note: str | None = Field(None, max_length=400)


def _sources(p: Principal) -> frozenset[str] | None:
    """What the user may load: an uploader its own sources, bureau staff anything."""
    return p.sources if p.role == "dept_uploader" else None


@router.post(
    "/lists",
    response_model=LoadOut,
    summary="上传部门名单（校验、去重、入库，一个事务；同一文件重复上传不变）/ load a department list",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def upload_list(
    request: Request,
    p: UploadP,
    file: Annotated[UploadFile, File(description="名单文件（CSV、XLSX、XLS）")],
    source: Annotated[str, Form(min_length=1, max_length=40, description="名单来源，如 minzheng、canlian")],
    as_of: Annotated[dt.date | None, Form(description="名单日期（默认今天）")] = None,
    mode: Annotated[Literal["replace", "add"], Form()] = "replace",
) -> DecimalJSONResponse:
    content = file.file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        from starlette.exceptions import HTTPException

        raise HTTPException(413, "file too large (200 MB)")
    with tx(request) as s:
        res = load_list(
            s,
            content,
            source,
            as_of,
            actor=p.actor,
            scope=p.region_prefix,
            allowed_sources=_sources(p),
            mode=mode,
            file_name=file.filename or "upload",
        )
        return DecimalJSONResponse(res.as_dict())


@router.get(
    "/reviews",
    response_model=ReviewPage,
    summary="核查队列（冲突的版本并列）/ the review queue",
    responses=AUTH_ERRORS,
)
def reviews(
    request: Request,
    p: ReviewP,
    status: Literal["open", "decided", "all"] = "open",
    limit: Limit = 100,
    offset: Offset = 0,
) -> DecimalJSONResponse:
    with tx(request) as s:
        items = list_reviews(
            s,
            scope=p.region_prefix,
            status=None if status == "all" else status,
            limit=offset + limit + 1,
            full=p.can("resident.full_id"),
        )
    rows = [i.as_dict() for i in items[offset:]]
    return DecimalJSONResponse(page(rows, limit, offset))


@router.get(
    "/reviews/{item_id}",
    response_model=ReviewOut,
    summary="核查事项 / one review item",
    responses=AUTH_ERRORS,
)
def review(item_id: int, request: Request, p: ReviewP) -> DecimalJSONResponse:
    with tx(request) as s:
        try:
            v = show_review(s, item_id, scope=p.region_prefix, full=p.can("resident.full_id"))
        except NotFound:
            raise out_of_scope() from None
        return DecimalJSONResponse(v.as_dict())


@router.post(
    "/reviews/{item_id}/decide",
    response_model=ReviewOut,
    summary="核查决定（保留登记册或采用文件版本）/ decide a review item",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def decide(item_id: int, body: DecideIn, request: Request, p: ReviewP) -> DecimalJSONResponse:
    with tx(request) as s:
        try:
            show_review(s, item_id, scope=p.region_prefix)
        except NotFound:
            raise out_of_scope() from None
        v = decide_review(
            s, item_id, body.decision, actor=p.actor, scope=p.region_prefix, row=body.row, note=body.note
        )
        out: dict[str, Any] = v.as_dict()
        if not p.can("resident.full_id"):
            from urrbmi import ids

            out["id_number"] = ids.mask(out["id_number"])
        return DecimalJSONResponse(out)
