"""Request bodies bounded while they arrive (``urrbmi.limits``): a declared ``Content-Length`` over
the limit is answered 413 before a byte is read, and a body without one (chunked) is counted as it
is read and cut off at the limit. Uploads (``multipart/form-data``) may be as large as
``URRBMI_MAX_UPLOAD_MB`` plus the form's own bytes; any other body ``URRBMI_MAX_BODY_MB``.
The refusal is the usual bilingual error, code ``too_large``."""

from __future__ import annotations

from fastapi import HTTPException, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from urrbmi.interfaces.api.errors import error_body
from urrbmi.interfaces.api.schemas import JSONOut
from urrbmi.limits import TooLarge, check_size, limits, upload_too_large

FORM_OVERHEAD = 1024 * 1024  # the multipart boundaries and the other fields of an upload form


class BodyTooLarge(HTTPException):
    """Raised while reading a body (an HTTPException, so FastAPI passes it through its body
    parsing instead of answering 400); rendered from ``error``."""

    def __init__(self, error: TooLarge) -> None:
        super().__init__(413, error.en)
        self.error = error


def _body_error(upload: bool) -> TooLarge:
    if upload:
        return upload_too_large()
    cap = limits().max_body_bytes
    return TooLarge(
        f"请求体过大：上限 {cap // 1024 // 1024} MB",
        f"the request body is too large: the limit is {cap // 1024 // 1024} MB (URRBMI_MAX_BODY_MB)",
    )


class BodyLimit:
    """ASGI middleware bounding every HTTP request body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        lim = limits()
        cap = lim.max_upload_bytes + FORM_OVERHEAD if upload else lim.max_body_bytes
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > cap:
            err = _body_error(upload)
            response = JSONOut(error_body(err.code, err.zh, err.en), 413, headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise BodyTooLarge(_body_error(upload))
            return message

        await self.app(scope, counted, send)


def read_upload(file: UploadFile) -> bytes:
    """An uploaded file's bytes, refused (413) over ``URRBMI_MAX_UPLOAD_MB`` without reading more
    than one byte past the limit."""
    cap = limits().max_upload_bytes
    content = file.file.read(cap + 1)
    check_size(len(content))
    return content
