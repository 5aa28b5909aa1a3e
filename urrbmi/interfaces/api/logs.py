"""Request logging without personal data.

:class:`MaskIds` rewrites every 18-character resident ID number in a log record (message and
arguments) to its masked form; it is attached to the API's own logger and to uvicorn's loggers.
The API keeps ID numbers out of URLs anyway (they travel in bodies); this is the second line of
defence for whatever a client puts in a query string.
"""

from __future__ import annotations

import logging
import re
import time

from fastapi.responses import Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request

from urrbmi import ids

ID_PATTERN = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
log = logging.getLogger("urrbmi.api")


def mask_text(text: str) -> str:
    return ID_PATTERN.sub(lambda m: ids.mask(m.group(0)), text)


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


class RequestLog(BaseHTTPMiddleware):
    """One line per request: method, path (with query), status, user, milliseconds."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        user = getattr(request.state, "user", "-")
        log.info(
            "%s %s %s user=%s %.1fms",
            request.method,
            path,
            response.status_code,
            user,
            (time.perf_counter() - start) * 1000,
        )
        return response
