"""Browser end-to-end tests: a real uvicorn server over a small synthetic county with a campaign in
progress (the demo campaign at scale 0.002, SQLite), driven by Playwright in Debian's chromium.

Skipped with the reason when /usr/bin/chromium (or playwright) is missing; fails instead when
``URRBMI_REQUIRE_BROWSER=1`` (CI). Screenshots go to var/screenshots/ (git-ignored)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).parents[2] / "var" / "screenshots"
PHONE = {"width": 375, "height": 667}
OFFICE = {"width": 1366, "height": 768}


def _need_browser() -> None:
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright not installed (pip install -e '.[dev]')"
    if reason:
        if os.environ.get("URRBMI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser required (URRBMI_REQUIRE_BROWSER=1): {reason}")
        pytest.skip(reason)


@dataclass
class Live:
    base: str
    db_path: Path
    campaign_id: int
    password: str
    accounts: dict[str, Any]
    unpaid_id: str
    other_id: str
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    _need_browser()
    from urrbmi.interfaces.demo_campaign import (
        DEMO_PASSWORD,
        REPORT_DAY,
        create_demo_accounts,
        run_demo_campaign,
    )

    DEMO_TODAY = REPORT_DAY.isoformat()

    tmp = tmp_path_factory.mktemp("web")
    db = tmp / "demo.sqlite"
    r = run_demo_campaign(db, tmp / "out", scale=0.002, seed=3)
    setup = create_demo_accounts(db)
    assert setup.unpaid_id and setup.other_village_id
    from sqlalchemy import create_engine, text

    eng = create_engine(f"sqlite:///{db}")
    with eng.connect() as c:
        cid = int(c.execute(text("select max(id) from campaigns")).scalar_one())
    eng.dispose()
    port = _free_port()
    # the demo campaign runs in the 2021 window: the server's "today" is the demo's report day
    env = dict(
        os.environ, URRBMI_DATABASE_URL=f"sqlite:///{db}", URRBMI_COOKIE_SECURE="0", URRBMI_TODAY=DEMO_TODAY
    )
    log = tmp / "server.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "urrbmi.interfaces.api:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        # a loaded CI machine can take tens of seconds to import the app: wait up to 120 s, and
        # fail here, saying so, rather than let the first browser test meet "connection refused"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/api/v1/policies", timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(log.read_text("utf-8", "replace")) from None
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        "the web test server did not answer within 120 s:\n"
                        + log.read_text("utf-8", "replace")
                    ) from None
                time.sleep(0.1)
        SHOTS.mkdir(parents=True, exist_ok=True)
        yield Live(
            base,
            db,
            cid,
            DEMO_PASSWORD,
            {a.username: a for a in setup.accounts},
            setup.unpaid_id,
            setup.other_village_id,
            log,
            {"demo": r},
        )
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="session")
def browser(live: Live) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Page:
    """A browser tab with its console errors collected (CSP violations show up there)."""

    def __init__(self, browser: Any, live: Live, viewport: dict[str, int]) -> None:
        self.ctx = browser.new_context(viewport=viewport, locale="zh-CN")
        self.page = self.ctx.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.live = live

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def login(self, username: str) -> Any:
        p = self.page
        p.goto(self.live.base + "/")
        p.fill("input[name=username]", username)
        p.fill("input[name=password]", self.live.password)
        p.click("[data-testid=login-submit]")
        p.wait_for_selector("[data-testid=menu]", state="attached")
        return p

    def shot(self, name: str) -> Path:
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def csp_errors(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e or "pageerror" in e]


@pytest.fixture
def tab(browser: Any, live: Live) -> Iterator[Page]:
    t = Page(browser, live, OFFICE)
    yield t
    t.ctx.close()


@pytest.fixture
def phone(browser: Any, live: Live) -> Iterator[Page]:
    t = Page(browser, live, PHONE)
    yield t
    t.ctx.close()
