"""Shared pieces of the routers: error documentation, paging, the actor."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import annotated_types
from fastapi import Path, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from urrbmi.interfaces.api.schemas import ErrorOut
from urrbmi.limits import EARLIEST_DAY, LATEST_DAY

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # every Excel download


def csv_or_xlsx(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answer of a download offered as CSV or Excel (``format=csv|xlsx``)."""
    return {
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
            "description": description,
        }
    }


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _err("请求体无法解析 / the body cannot be parsed"),
    401: _err("未登录或登录已过期 / not authenticated"),
    403: _err("无权限，或记录不在管辖范围内（不区分是否存在）/ forbidden or outside your region"),
    422: _err("输入无效（中文说明与稳定错误码）/ invalid input"),
}
CONFLICT: dict[int | str, dict[str, Any]] = {409: _err("与已登记内容冲突 / conflict")}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _err("不存在 / not found")}

MAX_ID = 2**63 - 1  # the largest signed 64-bit integer: every id the database hands out fits
# every integer id in a path: out of range is the standard 422, never a database overflow (500)
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="编号 / id")]


def _calendar_day(value: object) -> object:
    """A date as text is written ``YYYY-MM-DD``: pydantic would also read ``0`` or ``1700000000``
    as seconds since 1970 and a datetime at midnight as its day, which the OpenAPI document
    (``format: date``) does not admit and no officer means."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_format", "Input should be a date written YYYY-MM-DD")
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# every date a user enters (urrbmi.limits; a list's as_of has a narrower window there): written
# YYYY-MM-DD; beyond the window is the standard 422, never an overflow in date arithmetic (500)
Day = Annotated[
    dt.date, BeforeValidator(_calendar_day), annotated_types.Interval(ge=EARLIEST_DAY, le=LATEST_DAY)
]
IdNumber = Annotated[str, Field(min_length=15, max_length=20, description="18位身份证号码")]
Limit = Annotated[int, Query(ge=1, le=500, description="每页条数（最多500）/ page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="起始位置 / offset")]
# the field-work lists' pages (a phone shows a few at a time)
FieldLimit = Annotated[int, Query(ge=1, le=200, description="每页条数（最多200）/ page size")]


class Strict(BaseModel):
    """Request bodies refuse unknown fields (a misspelt field is an error, not silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel):
    items: list[dict[str, Any]]
    limit: int
    offset: int
    has_more: bool


def page(rows: list[Any], limit: int, offset: int) -> dict[str, Any]:
    """``rows`` was fetched with ``limit + 1``: the extra row only says there is more."""
    return {"items": rows[:limit], "limit": limit, "offset": offset, "has_more": len(rows) > limit}


def instant(value: dt.datetime) -> str:
    """An instant as RFC 3339 text with its offset (SQLite hands back naive UTC datetimes)."""
    return (value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)).isoformat()


def attachment(name: str, fallback: str) -> dict[str, str]:
    """The ``Content-Disposition`` header of a download named in Chinese: ``filename*`` (RFC 5987,
    UTF-8) for browsers, an ASCII ``filename`` for clients that cannot read it."""
    from urllib.parse import quote

    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"}
