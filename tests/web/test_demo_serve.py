"""`urrbmi demo` ends by serving the UI and API on the demo county, with a log-in per role."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_serves_the_ui_with_demo_accounts(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "urrbmi",
        "demo",
        "--scale",
        "0.002",
        "--db",
        str(tmp_path / "d.sqlite"),
        "--out",
        str(tmp_path / "out"),
        "--port",
        str(port),
    ]
    log = tmp_path / "demo.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                page = urllib.request.urlopen(base + "/", timeout=1).read().decode("utf-8")
                break
            except OSError:
                assert proc.poll() is None, log.read_text("utf-8", "replace")
                time.sleep(0.2)
        else:
            pytest.fail("the demo server did not answer: " + log.read_text("utf-8", "replace"))
        assert "/static/js/app.js" in page
        out = log.read_text("utf-8")
        assert f"http://localhost:{port}/" in out
        for user in ("admin", "officer", "town", "agent", "uploader", "auditor", "finance"):
            assert f"· {user} " in out
            req = urllib.request.Request(
                base + "/api/v1/auth/login",
                data=json.dumps({"username": user, "password": "demo-urrbmi-2021"}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=10) as r:
                assert json.load(r)["username"] == user
    finally:
        proc.terminate()
        proc.wait(10)
