"""The browser UI (issue #7): static files served at ``/`` by the API's ``create_app``.

No build step: plain ES modules, Preact + htm (CSP-safe: no template compiler, no eval) and Apache
ECharts, vendored under ``static/vendor/`` (versions and licences in docs/web.md). Files with a
``.gz`` twin are sent compressed to browsers that accept gzip (old PCs on slow village links)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
COMPRESSIBLE = (".js", ".css", ".json", ".html", ".svg")
MIN_GZIP_BYTES = 1024


class _Static(StaticFiles):
    """Static files, gzip-compressed once per file (kept in memory) and cacheable for an hour."""

    _gz: dict[str, tuple[float, bytes]] = {}  # noqa: RUF012 - process-wide cache, keyed by path

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        path = str(full_path)
        accepts = "gzip" in Headers(scope=scope).get("accept-encoding", "")
        if accepts and path.endswith(COMPRESSIBLE) and stat_result.st_size >= MIN_GZIP_BYTES:
            cached = self._gz.get(path)
            if cached is None or cached[0] != stat_result.st_mtime:
                cached = (stat_result.st_mtime, gzip.compress(Path(path).read_bytes(), 9, mtime=0))
                self._gz[path] = cached
            media = FileResponse(path).media_type
            resp = Response(cached[1], status_code, media_type=media)
            resp.headers["Content-Encoding"] = "gzip"
            resp.headers["Vary"] = "Accept-Encoding"
        else:
            resp = super().file_response(full_path, stat_result, scope, status_code)
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return resp


def mount(app: FastAPI) -> None:
    """Serve the UI: ``/`` is the single page, ``/static/...`` its files (the API stays under /api)."""
    app.mount("/static", _Static(directory=STATIC), name="web-static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        resp = FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")
        resp.headers["Cache-Control"] = "no-store"
        return resp
