"""Errors as JSON: a stable code and the message in Chinese and English, with the HTTP status the
error class carries (``UrrbmiError.http_status``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from urrbmi.access.errors import RateLimited
from urrbmi.db.constraints import translate as translate_integrity
from urrbmi.errors import InvalidInput, MissingInput, UrrbmiError
from urrbmi.interfaces.api.schemas import JSONOut
from urrbmi.policy.resident import translate_validation_errors


def error_body(code: str, zh: str, en: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": zh, "message_en": en}}


FIELD_ZH = {
    "id_number": "身份证号码",
    "name": "姓名",
    "region_code": "行政区划代码",
    "amount": "金额",
    "paid_on": "缴费日期",
    "external_ref": "交易流水号",
    "channel": "缴费渠道",
    "row_version": "版本号",
    "category": "人员身份",
    "valid_from": "有效期起",
    "valid_to": "有效期止",
    "username": "用户名",
    "password": "密码",
    "limit": "每页条数",
    "offset": "起始位置",
    "payments": "缴费明细",
    "file": "文件",
    "policy_id": "政策",
    "campaign_id": "征缴批次",
    "resident_id": "居民编号",
    "on": "日期",
    "as_of": "截至日期",
}


def translate(errors: list[Any]) -> InvalidInput:
    """The first validation error as a bilingual error (the field named in Chinese)."""
    err = errors[0]
    loc = [p for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "cookie")]
    where = ".".join(str(p) for p in loc) or "body"
    named = [FIELD_ZH[str(p)] for p in loc if str(p) in FIELD_ZH]
    zh_field = named[-1] if named else where
    kind = err.get("type", "")
    if kind == "missing":
        return MissingInput(f"缺少必填字段：{zh_field}（{where}）", f"missing required field: {where}")
    if kind == "extra_forbidden":
        return InvalidInput(f"未知字段：{where}", f"unknown field: {where}")
    if kind == "json_invalid":
        return InvalidInput("请求体不是有效的JSON", "the body is not valid JSON")
    if kind.startswith("date_"):  # date_format (common.Day), date_parsing, date_type, ...
        return InvalidInput(
            f"{zh_field}（{where}）应为日期，写作 年-月-日（如 2021-12-31）",
            f"invalid {where}: a date is written YYYY-MM-DD (e.g. 2021-12-31)",
        )
    msg = err.get("msg", "")
    return InvalidInput(f"字段{zh_field}（{where}）无效：{msg}", f"invalid {where}: {msg}")


def install(app: FastAPI) -> None:
    @app.exception_handler(UrrbmiError)
    async def _urrbmi(_: Request, exc: UrrbmiError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if exc.http_status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return JSONOut(error_body(exc.code, exc.zh, exc.en), exc.http_status, headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        """A guard the database held under a race (urrbmi.db.constraints); others stay 500."""
        err = translate_integrity(exc)
        if err is None:
            raise exc
        return await _urrbmi(request, err)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = list(exc.errors())
        if request.url.path.startswith("/api/v1/policies"):
            err = translate_validation_errors(errs)
        else:
            err = translate(errs)
        return JSONOut(error_body(err.code, err.zh, err.en), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        known = getattr(exc, "error", None)  # uploads.BodyTooLarge: a bilingual error inside
        if isinstance(known, UrrbmiError):
            return JSONOut(error_body(known.code, known.zh, known.en), exc.status_code)
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        return JSONOut(
            error_body(code, f"请求无法处理：{exc.detail}", str(exc.detail)),
            exc.status_code,
            headers=_allow(request) if exc.status_code == 405 else exc.headers,
        )


def _allow(request: Request) -> dict[str, str]:
    """Allow: every method of every route on this path (Starlette lists only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and isinstance(route, APIRoute | Route):
            methods |= set(route.methods or ())
    return {"Allow": ", ".join(sorted(methods))}
