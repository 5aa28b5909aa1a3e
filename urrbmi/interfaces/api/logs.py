"""Request logging without personal data.

:class:`MaskIds` rewrites every 18-character resident ID number in a log record (message and
arguments) to its masked form; it is attached to the API's own logger and to uvicorn's loggers.
The API keeps ID numbers out of URLs anyway (they travel in bodies); this is the second line of
defence for whatever a client puts in a query string.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from urrbmi import ids

log = logging.getLogger("urrbmi.api")
mask_text = ids.mask_text  # every ID number in a log line masked (one definition, urrbmi.ids)


class MaskIds(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_text(record.msg)
        if record.args:
            if isinstance(record.args, tuple):
                record.args = tuple(mask_text(a) if isinstance(a, str) else a for a in record.args)
            elif isinstance(record.args, dict):
                record.args = {k: mask_text(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


_FILTER = MaskIds()


def install_filters() -> None:
    for name in ("urrbmi.api", "uvicorn.access", "uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


class Http:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware on the hot paths): adds the
    security headers to every response and logs one line per request (method, path with query,
    status, user, milliseconds) on ``urrbmi.api``."""

    def __init__(self, app: ASGIApp, headers: dict[str, str], hsts: str) -> None:
        self.app = app
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self.hsts = (b"strict-transport-security", hsts.encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        https = scope.get("scheme") == "https" or any(
            k == b"x-forwarded-proto" and v == b"https" for k, v in scope.get("headers", ())
        )

        async def wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                if https and self.hsts[0] not in present:
                    extra.append(self.hsts)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            query = scope.get("query_string", b"").decode("latin-1")
            path = scope.get("path", "") + (f"?{query}" if query else "")
            user = scope.get("state", {}).get("user", "-")
            log.info(
                "%s %s %s user=%s %.1fms",
                scope.get("method", "-"),
                path,
                status,
                user,
                (time.perf_counter() - start) * 1000,
            )
