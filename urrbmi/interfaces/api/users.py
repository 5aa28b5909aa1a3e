"""Accounts, for administrators: list, create, disable, reset a password — inside their scope."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from urrbmi.access import accounts
from urrbmi.access.roles import ROLE_ZH
from urrbmi.access.scope import Principal, check_region, scoped_user
from urrbmi.db.models_access import User
from urrbmi.interfaces.api.common import AUTH_ERRORS, CONFLICT, Limit, Offset, Strict, page
from urrbmi.interfaces.api.deps import need, tx

router = APIRouter(prefix="/api/v1/users", tags=["users"])
AdminP = Annotated[Principal, Depends(need("user.manage"))]
Role = Literal[
    "bureau_admin",
    "bureau_officer",
    "township_officer",
    "village_agent",
    "dept_uploader",
    "auditor",
    "finance",
]


class UserOut(BaseModel):
    username: str
    display_name: str
    role: str
    role_zh: str
    region_code: str
    sources: list[str]
    disabled: bool
    locked: bool


class UserPage(BaseModel):
    items: list[UserOut]
    limit: int
    offset: int
    has_more: bool


class UserIn(Strict):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.]+$")
    password: str = Field(min_length=10, max_length=200)
    role: Role
    region_code: str = Field(pattern=r"^[0-9]{6,12}$")
    sources: list[str] = Field(default_factory=list, max_length=20)
    display_name: str = Field("", max_length=100)


class PasswordIn(Strict):
    password: str = Field(min_length=10, max_length=200)


def _out(u: User) -> dict[str, Any]:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "role_zh": ROLE_ZH[u.role],
        "region_code": u.region_code,
        "sources": [x for x in u.sources.split(",") if x],
        "disabled": u.disabled,
        "locked": u.locked_until is not None,
    }


@router.get(
    "", response_model=UserPage, summary="管辖范围内的账号 / accounts in scope", responses=AUTH_ERRORS
)
def list_users(request: Request, p: AdminP, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    with tx(request) as s:
        rows = [_out(u) for u in accounts.list_users(s, under=p.region_prefix)[offset : offset + limit + 1]]
    return page(rows, limit, offset)


@router.post(
    "",
    response_model=UserOut,
    status_code=201,
    summary="新建账号 / create an account",
    responses={**AUTH_ERRORS, **CONFLICT},
)
def create(body: UserIn, request: Request, p: AdminP) -> dict[str, Any]:
    check_region(p, body.region_code)
    with tx(request) as s:
        u = accounts.create_user(
            s,
            body.username,
            body.password,
            body.role,
            body.region_code,
            sources=tuple(body.sources),
            display_name=body.display_name,
            actor=p.actor,
        )
        return _out(u)


@router.post(
    "/{username}/disable",
    response_model=UserOut,
    summary="停用账号 / disable an account",
    responses=AUTH_ERRORS,
)
def disable(username: str, request: Request, p: AdminP) -> dict[str, Any]:
    with tx(request) as s:
        u = scoped_user(s, p, username)
        accounts.disable_user(s, u.username, actor=p.actor)
        return _out(u)


@router.post(
    "/{username}/password",
    response_model=UserOut,
    summary="重设密码（解除锁定）/ reset a password",
    responses=AUTH_ERRORS,
)
def reset(username: str, body: PasswordIn, request: Request, p: AdminP) -> dict[str, Any]:
    with tx(request) as s:
        u = scoped_user(s, p, username)
        accounts.reset_password(s, u.username, body.password, actor=p.actor)
        return _out(u)
