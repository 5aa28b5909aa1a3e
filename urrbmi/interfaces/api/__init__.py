"""The REST API (FastAPI). ``create_app()`` builds it; ``urrbmi serve`` runs it.

Everything lives under ``/api/v1`` (the web UI is served at ``/``). See docs/api.md.
"""

from __future__ import annotations

from fastapi import FastAPI

from urrbmi import __version__
from urrbmi.access.ratelimit import SlidingWindow
from urrbmi.access.settings import settings
from urrbmi.interfaces.api import (
    activation,
    audit,
    auth,
    bulletins,
    campaigns,
    channels,
    compare,
    deps,
    errors,
    fieldwork,
    handovers,
    imports,
    logs,
    payments,
    policies,
    progress,
    public,
    refunds,
    regions,
    residents,
    schools,
    targets,
    uploads,
    users,
)
from urrbmi.interfaces.api.schemas import JSONOut

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"


def create_app(database_url: str | None = None) -> FastAPI:
    """The API over ``database_url`` (default: ``URRBMI_DATABASE_URL`` or the embedded SQLite
    file), opened on the first request that needs it."""
    app = FastAPI(
        title="urrbmi",
        version=__version__,
        description="城乡居民基本医疗保险参保缴费系统 API / resident medical insurance campaigns. "
        "认证：POST /api/v1/auth/login。错误：{error: {code, message, message_en}}。",
        default_response_class=JSONOut,
    )
    app.state.database_url = database_url
    app.state.engine = None
    app.state.auth_cache = deps.TokenCache()
    cfg = settings()
    app.state.public_ip_limiter = SlidingWindow(cfg.public_rate_ip)
    app.state.public_id_limiter = SlidingWindow(cfg.public_rate_id)
    errors.install(app)
    logs.install_filters()
    app.add_middleware(uploads.BodyLimit)  # inside logs.Http: a refused body is logged too
    app.add_middleware(logs.Http, headers=SECURITY_HEADERS, hsts=HSTS)
    for module in (
        policies,
        compare,
        auth,
        regions,
        residents,
        campaigns,
        payments,
        handovers,
        refunds,
        schools,
        targets,
        progress,
        bulletins,
        imports,
        public,
        channels,
        audit,
        users,
        fieldwork,
        activation,
    ):
        app.include_router(module.router)
    from urrbmi.interfaces.web import mount as mount_web  # the browser UI at / (imports the API)

    mount_web(app)
    return app
