"""Bilingual errors of authentication and authorisation (codes are stable; the API maps them to
401/403/429)."""

from __future__ import annotations

from urrbmi.errors import UrrbmiError


class Unauthorized(UrrbmiError):
    code = "unauthorized"
    http_status = 401


class Forbidden(UrrbmiError):
    code = "forbidden"
    http_status = 403


class CsrfFailed(UrrbmiError):
    code = "csrf_failed"
    http_status = 403


class RateLimited(UrrbmiError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"查询过于频繁，请{retry_after}秒后再试", f"too many requests; retry in {retry_after} s"
        )
        self.retry_after = retry_after


class DownloadInProgress(UrrbmiError):
    """The same user asked for a large download again while the first is still being written (a
    county's list takes a minute: a second click would double the work, a few would hold every
    worker)."""

    code = "download_in_progress"
    http_status = 429

    def __init__(self) -> None:
        super().__init__(
            "上一份同样的导出仍在生成，请等它下载完成后再试",
            "the same download is still being written; wait for it to finish",
        )


class BadSignature(UrrbmiError):
    code = "bad_signature"
    http_status = 401


def out_of_scope() -> Forbidden:
    """The one answer for a resident (or row) the user may not see *or* that does not exist: the
    same code and text either way, so the answer does not tell whether the ID is registered."""
    return Forbidden(
        "无权访问：该记录不在您的管辖范围内或不存在",
        "forbidden: the record is outside your region or does not exist",
        code="forbidden",
    )


def not_permitted(permission: str) -> Forbidden:
    return Forbidden(
        f"您的角色无此权限（{permission}）",
        f"your role lacks the permission {permission!r}",
        code="forbidden",
    )
