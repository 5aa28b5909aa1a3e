"""Errors as JSON: a stable code and the message in Chinese and English."""

from __future__ import annotations

from typing import Any

import simplejson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from urrbmi.errors import UrrbmiError
from urrbmi.policy.resident import translate_validation_errors

STATUS = {
    "unknown_policy": 404,
    "not_found": 404,
    "policy_gap": 409,
    "forbidden": 403,
    "unauthorized": 401,
}


class DecimalJSONResponse(JSONResponse):
    """JSON with exact Decimal money rendered as numbers (never through float)."""

    def render(self, content: Any) -> bytes:
        return simplejson.dumps(content, use_decimal=True, ensure_ascii=False).encode("utf-8")


def error_body(code: str, zh: str, en: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": zh, "message_en": en}}


def install(app: FastAPI) -> None:
    @app.exception_handler(UrrbmiError)
    async def _urrbmi(_: Request, exc: UrrbmiError) -> JSONResponse:
        return DecimalJSONResponse(error_body(exc.code, exc.zh, exc.en), STATUS.get(exc.code, 422))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        err = translate_validation_errors(list(exc.errors()))
        return DecimalJSONResponse(error_body(err.code, err.zh, err.en), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        return DecimalJSONResponse(
            error_body(code, f"请求无法处理：{exc.detail}", str(exc.detail)),
            exc.status_code,
            headers=exc.headers,  # e.g. Allow on 405
        )
