"""The REST API (FastAPI). ``create_app()`` builds it; ``urrbmi serve`` runs it."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request

from urrbmi import __version__
from urrbmi.interfaces.api import errors, policies

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


class _SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response


def create_app() -> FastAPI:
    app = FastAPI(
        title="urrbmi",
        version=__version__,
        description="城乡居民基本医疗保险参保缴费系统 API / resident medical insurance campaigns",
    )
    errors.install(app)
    app.add_middleware(_SecurityHeaders)
    app.include_router(policies.router)
    __import__("urrbmi.interfaces.web", fromlist=["mount"]).mount(app)  # the browser UI at /
    return app
