"""The UI's files as the server sends them: the page at /, CSP-compatible (no inline script or style),
gzip for browsers that accept it, nothing mounted over the API."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from fastapi.testclient import TestClient

from urrbmi.interfaces.api import create_app

STATIC = Path(__file__).parents[2] / "urrbmi" / "interfaces" / "web" / "static"


def client() -> TestClient:
    return TestClient(create_app())


def test_index_is_served_at_root_with_the_api_security_headers() -> None:
    r = client().get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    html = r.text
    assert '<script type="module" src="/static/js/app.js"></script>' in html
    # CSP: no inline script or style, no handlers in markup
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "<style" not in html and " style=" not in html and " on" + "click=" not in html.lower()


def test_no_eval_or_inline_handlers_in_our_code() -> None:
    for f in (STATIC / "js").rglob("*.js"):
        text = f.read_text("utf-8")
        assert "eval(" not in text and "new Function" not in text, f
        assert "innerHTML" not in text, f


def test_static_files_gzip_when_accepted_and_cacheable() -> None:
    c = client()
    plain = c.get("/static/vendor/echarts-6.1.0.common.min.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    zipped = c.get("/static/vendor/echarts-6.1.0.common.min.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2
    assert zipped.content == plain.content  # httpx decodes it: the same file
    assert "max-age" in zipped.headers["cache-control"]
    assert zipped.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    # the raw gzip body really is the file
    raw = c.get("/static/app.css", headers={"Accept-Encoding": "gzip"})
    assert raw.content == (STATIC / "app.css").read_bytes()
    assert gzip.compress(b"x")  # gzip module available


def test_api_and_docs_stay_where_they_were() -> None:
    c = client()
    assert c.get("/api/v1/policies").status_code == 200
    assert c.get("/static/nope.js").status_code == 404
    assert c.get("/openapi.json").status_code == 200
