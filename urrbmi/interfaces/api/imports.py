"""Department lists over the API: upload a list (民政, 残联, 公安 …), the review queue.

A department uploader may load only its own sources (``users.sources``); bureau officers and
administrators any source. Every call passes the user's region prefix as the service functions'
``scope``: rows of residents outside it are not loaded, review items outside it are not shown
(answered 403 like a row that does not exist).

Two steps from the web page: ``POST /lists/check`` reads and validates the file without loading it
(one read of the region list, so towns are judged as the load will judge them), keeps the problem
rows and the Excel error report in the database (``import_checks``: any API worker can then serve
them; :mod:`urrbmi.imports.checks`: bound to the user who checked, for ``CHECK_TTL`` seconds), and
answers the counts, the first page of problem rows and the token. ``GET /lists/check/{token}/rows``
pages the problem rows, ``GET /lists/check/{token}/report`` downloads the error report. The confirm
step is ``POST /lists`` with the same file again; ``sha256`` (from the check) makes the load refuse
a different file. The checked bytes are not kept: a re-upload costs the bandwidth once more and
keeps the server's memory to the report."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from urrbmi import ids
from urrbmi.access.errors import out_of_scope
from urrbmi.access.scope import Principal
from urrbmi.db.models_imports import ImportCheck
from urrbmi.imports import config as import_config
from urrbmi.imports.checks import CHECK_TTL, check_upload, get_check, keep_check, served
from urrbmi.imports.load import SourceNotAllowed, absent_from_hukou, load_list, regions_from_db
from urrbmi.imports.review import decide_review, list_reviews, show_review
from urrbmi.interfaces.api.common import AUTH_ERRORS, CONFLICT, MAX_ID, XLSX, Id, Limit, Offset, Strict, page
from urrbmi.interfaces.api.deps import need, tx
from urrbmi.interfaces.api.schemas import no_value
from urrbmi.interfaces.api.uploads import read_upload
from urrbmi.registry.errors import Conflict, NotFound

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
UploadP = Annotated[Principal, Depends(need("list.upload"))]
ReviewP = Annotated[Principal, Depends(need("identity.write"))]
PeopleP = Annotated[Principal, Depends(need("resident.read"))]


class PhoneProblem(BaseModel):
    row: int
    column: str
    value: str
    code: str
    reason: str


class PhonesOut(BaseModel):
    column: str = ""
    recorded: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[PhoneProblem] = []
    problems_total: int = 0


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
    retro_subsidies: int = Field(0, description="缴费后新认定身份而待补发的资助参保金笔数")
    phones: PhonesOut | None = Field(None, description="名单中的联系电话：导入、更新、格式不对未导入的行")
    seconds: dict[str, float]


class RegistryVersion(BaseModel):
    """The registry's record of the resident when the conflict was found."""

    resident_id: int
    name: str
    sex: str
    birth_date: dt.date
    region_code: str
    status: str


class FileVersion(BaseModel):
    """One list's version of the resident (a row of a loaded file)."""

    batch_id: int
    row: int
    name: str
    sex: str
    birth_date: dt.date
    category: str | None
    region_code: str | None
    values: dict[str, str] | None = Field(None, exclude_if=no_value)


class ReviewOut(BaseModel):
    id: int
    status: str
    kind: str
    source: str
    batch_id: int
    id_number: str
    region_code: str
    fields: list[str]
    registry: RegistryVersion | None
    versions: list[FileVersion]
    decision: str | None
    chosen_row: int | None
    decided_by: str | None
    decided_at: str | None


class ReviewPage(BaseModel):
    items: list[ReviewOut]
    limit: int
    offset: int
    has_more: bool


class AbsentOut(BaseModel):
    id_number: str
    name: str
    region_code: str


class AbsentPage(BaseModel):
    items: list[AbsentOut]
    total: int
    limit: int
    offset: int
    has_more: bool


class DecideIn(Strict):
    decision: Literal["keep_registry", "take_file"]
    row: int | None = Field(None, ge=1, le=MAX_ID, description="采用文件中的哪一行（多个版本时）")
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
    sha256: Annotated[
        str | None,
        Form(
            pattern="^[0-9a-f]{64}$",
            description="校验时的 SHA-256：文件不同则拒绝 / the checked file's checksum",
        ),
    ] = None,
    confirm_removals: Annotated[
        bool,
        Form(
            description="确认删除：替换名单结束的身份超过设定比例时仍导入（否则409 confirm_removals）"
            " / load even if the replace ends more than the allowed share",
        ),
    ] = False,
) -> dict[str, Any]:
    content = read_upload(file)
    if sha256 is not None and hashlib.sha256(content).hexdigest() != sha256:
        raise Conflict(
            "上传的文件与校验过的文件不同，请重新校验",
            "the uploaded file differs from the file that was checked; check it again",
        )
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
            confirm_removals=confirm_removals,
        )
        return res.as_dict()


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
) -> dict[str, Any]:
    with tx(request) as s:
        items = list_reviews(
            s,
            scope=p.region_prefix,
            status=None if status == "all" else status,
            limit=offset + limit + 1,
            full=p.can("resident.full_id"),
        )
    rows = [i.as_dict() for i in items[offset:]]
    return page(rows, limit, offset)


@router.get(
    "/batches/{batch_id}/absent",
    response_model=AbsentPage,
    summary="户籍名单中未列出的在册户籍人员（待核实）/ hukou residents missing from a hukou list",
    responses=AUTH_ERRORS,
)
def absent(
    batch_id: Id, request: Request, p: PeopleP, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    """Within the user's region; ID numbers masked unless the role may see them whole."""
    with tx(request) as s:
        mine = absent_from_hukou(s, batch_id, scope=p.region_prefix)
    full = p.can("resident.full_id")
    rows = [
        {"id_number": n if full else ids.mask(n), "name": name, "region_code": region}
        for n, name, region in mine.slice(offset, limit + 1).iter_rows()
    ]
    return {**page(rows, limit, offset), "total": mine.height}


@router.get(
    "/reviews/{item_id}",
    response_model=ReviewOut,
    summary="核查事项 / one review item",
    responses=AUTH_ERRORS,
)
def review(item_id: Id, request: Request, p: ReviewP) -> dict[str, Any]:
    with tx(request) as s:
        try:
            v = show_review(s, item_id, scope=p.region_prefix, full=p.can("resident.full_id"))
        except NotFound:
            raise out_of_scope() from None
        return v.as_dict()


@router.post(
    "/reviews/{item_id}/decide",
    response_model=ReviewOut,
    summary="核查决定（保留登记册或采用文件版本）/ decide a review item",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def decide(item_id: Id, body: DecideIn, request: Request, p: ReviewP) -> dict[str, Any]:
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
        return out


class ProblemRow(BaseModel):
    row: int
    kind: Literal["invalid", "duplicate", "conflict"]
    id_number: str
    name: str
    column: str
    value: str
    code: str
    reason: str
    reason_en: str


class ProblemPage(BaseModel):
    items: list[ProblemRow]
    total: int
    limit: int
    offset: int
    has_more: bool


class CheckOut(BaseModel):
    token: str
    expires_in: int
    source: str
    file_name: str
    sha256: str
    as_of: str
    counts: dict[str, int]
    columns: dict[str, str]
    problems: ProblemPage


def _page(c: ImportCheck, p: Principal, limit: int, offset: int) -> dict[str, Any]:
    items = served(c.rows[offset : offset + limit], p.can("resident.full_id"))
    return {
        "items": items,
        "total": len(c.rows),
        "limit": limit,
        "offset": offset,
        "has_more": offset + limit < len(c.rows),
    }


@router.post(
    "/lists/check",
    response_model=CheckOut,
    summary="校验部门名单（不入库）：逐行问题、错误报告 / check a department list without loading it",
    responses=AUTH_ERRORS,
)
def check_list(
    request: Request,
    p: UploadP,
    file: Annotated[UploadFile, File(description="名单文件（CSV、XLSX、XLS）")],
    source: Annotated[str, Form(min_length=1, max_length=40, description="名单来源，如 minzheng、canlian")],
    as_of: Annotated[dt.date | None, Form(description="名单日期（默认今天）")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    config = import_config.source(source)
    allowed = _sources(p)
    if allowed is not None and source not in allowed:
        raise SourceNotAllowed(
            f"无权导入“{config.name}”的名单", f"you may not load lists from source {source!r}"
        )
    content = read_upload(file)
    with tx(request) as s:  # read only: the towns and villages the load will check against
        regions = regions_from_db(s)
    checked = check_upload(
        content, file.filename or "upload", source, as_of=as_of, regions=regions, actor=p.actor
    )
    out = {
        "expires_in": CHECK_TTL,
        "source": checked.source,
        "file_name": checked.file_name,
        "sha256": checked.sha256,
        "as_of": checked.as_of.isoformat(),
        "counts": checked.counts,
        "columns": checked.columns,
        "problems": _page(checked, p, limit, offset),
    }
    with tx(request) as s:
        out["token"] = keep_check(s, checked)
    return out


@router.get(
    "/lists/check/{token}/rows",
    response_model=ProblemPage,
    summary="校验结果的问题行（分页）/ the checked file's problem rows, paged",
    responses=AUTH_ERRORS,
)
def check_rows(
    token: str, request: Request, p: UploadP, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    with tx(request) as s:
        return _page(get_check(s, token, p.actor), p, limit, offset)


@router.get(
    "/lists/check/{token}/report",
    summary="下载错误报告（Excel）/ download the error report",
    responses={
        **AUTH_ERRORS,
        200: {
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            "description": "错误报告 / the error report",
        },
    },
    response_class=Response,
)
def check_report(token: str, request: Request, p: UploadP) -> Response:
    with tx(request) as s:
        c = get_check(s, token, p.actor)
        file_name, report = c.file_name, c.report
    stem = Path(file_name).stem or "list"
    from urllib.parse import quote

    fname = quote(f"{stem}-错误报告.xlsx")
    return Response(
        report,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename=\"report.xlsx\"; filename*=UTF-8''{fname}"},
    )
