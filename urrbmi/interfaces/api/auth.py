"""Login, logout, the current user and the CSRF token."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from urrbmi.access import accounts
from urrbmi.access.roles import ROLE_ZH, permissions
from urrbmi.access.settings import settings
from urrbmi.interfaces.api.common import AUTH_ERRORS, Strict, _err
from urrbmi.interfaces.api.deps import SESSION_COOKIE, CurrentPrincipal, engine, forget, tx
from urrbmi.interfaces.api.schemas import ErrorOut

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    kind: Literal["browser", "token"] = Field(
        "browser", description="browser：HttpOnly Cookie + CSRF令牌；token：机器客户端的Bearer令牌"
    )


class MeOut(BaseModel):
    username: str
    role: str
    role_zh: str
    region_code: str
    sources: list[str]
    permissions: list[str]


class LoginOut(MeOut):
    csrf_token: str | None
    token: str | None
    expires_at: dt.datetime


class CsrfOut(BaseModel):
    csrf_token: str | None


@router.post(
    "/login",
    response_model=LoginOut,
    summary="登录 / log in",
    responses={
        401: {
            "model": ErrorOut,
            "description": "用户名或密码错误、账号停用或已锁定（同一应答）"
            "/ wrong credentials, disabled or locked (one answer)",
        },
        422: _err("输入无效 / invalid input"),
        400: _err("请求体无法解析 / the body cannot be parsed"),
    },
)
def login(body: LoginIn, request: Request, response: Response) -> LoginOut:
    res = accounts.login(engine(request), body.username, body.password, body.kind)
    user = res.user
    out = LoginOut(
        username=user.username,
        role=user.role,
        role_zh=ROLE_ZH[user.role],
        region_code=user.region_code,
        sources=[x for x in user.sources.split(",") if x],
        permissions=permissions(user.role),
        csrf_token=res.csrf_token,
        token=res.token if body.kind == "token" else None,
        expires_at=res.expires_at,
    )
    if body.kind == "browser":
        cfg = settings()
        response.set_cookie(
            SESSION_COOKIE,
            res.token,
            max_age=int(cfg.session_lifetime.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=cfg.cookie_secure,
            path="/",
        )
    return out


@router.post("/logout", status_code=204, summary="退出登录 / log out", responses=AUTH_ERRORS)
def logout(request: Request, p: CurrentPrincipal) -> Response:
    token = _token_of(request)
    with tx(request) as s:
        accounts.logout(s, token)
    forget(request, token)
    out = Response(status_code=204)
    out.delete_cookie(SESSION_COOKIE, path="/")
    return out


def _token_of(request: Request) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.cookies.get(SESSION_COOKIE, "")


@router.get("/me", response_model=MeOut, summary="当前用户、角色与权限 / who am I", responses=AUTH_ERRORS)
def me(p: CurrentPrincipal) -> MeOut:
    return MeOut(
        username=p.username,
        role=p.role,
        role_zh=ROLE_ZH[p.role],
        region_code=p.region_code,
        sources=sorted(p.sources),
        permissions=permissions(p.role),
    )


@router.get(
    "/csrf",
    response_model=CsrfOut,
    summary="浏览器会话的CSRF令牌 / the session's CSRF token",
    responses=AUTH_ERRORS,
)
def csrf(request: Request, p: CurrentPrincipal) -> CsrfOut:
    with tx(request) as s:
        resolved = accounts.resolve(s, _token_of(request))
    return CsrfOut(csrf_token=resolved.csrf_token)
