"""Every demo role visits every menu entry it sees, at phone (390×844) and desktop (1366×900) sizes
(issue 15): no permission error or red error banner in normal navigation, no horizontal scroll at
phone width (390 and 360 px), and no raw code on the screen (snake_case identifiers, dotted keys
like ``source.hukou``, policy ids with ``@`` hashes, ``docs/….md``, Python list/dict reprs).

Screenshots: var/screenshots/tour-<user>-<page>-<width>.png."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest

from tests.web.conftest import SHOTS

pytestmark = pytest.mark.slow

USERS = ["admin", "officer", "town", "agent", "uploader", "auditor", "finance"]
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}

# What an officer must never read: internal codes and program text.
RAW = [
    ("snake_case", re.compile(r"\b[a-z]+_[a-z_]+\b")),
    ("dotted key", re.compile(r"\b[a-z]+\.[a-z_]+[a-z]\b")),
    ("policy id", re.compile(r"[a-z0-9-]+@[0-9a-f]{4,}")),
    ("doc path", re.compile(r"\bdocs/\S+\.md\b")),
    ("python list", re.compile(r"\[\s*'[^']*'")),
    ("python dict", re.compile(r"\{\s*'[^']*'\s*:")),
    ("bare code", re.compile(r"(?<![A-Za-z])(dibao|tekun|hukou|pinkun|kcxcd|lowincome)(?![A-Za-z])")),
]
# Shown on purpose: the user's own log-in name, and host names/addresses.
ALLOW = re.compile(r"\b\w+@\w+\.\w+\b|https?://\S+")


def raw_codes(text: str, allowed: set[str]) -> list[str]:
    text = ALLOW.sub(" ", text)
    found = []
    for name, rx in RAW:
        for m in rx.finditer(text):
            if m.group(0) not in allowed:
                found.append(f"{name}: {m.group(0)!r} in …{text[max(0, m.start() - 30) : m.end() + 30]!r}…")
    return found


def test_raw_code_pattern_catches_the_issue_examples() -> None:
    for bad in [
        "来源 source.hukou",
        "dibao",
        "路径 late_full_cost",
        "suixi-2022@8f3c91ab",
        "见 docs/targets.md",
        "['缺少列: 姓名']",
        "{'a': 1}",
    ]:
        assert raw_codes(bad, set()), bad
    assert raw_codes("征缴进度 82.5% 低保对象 通报-2021-12-15.xlsx", set()) == []


def _settle(p: Any) -> None:
    """Until the page's requests (which chain: campaigns, then progress …) are done."""
    for _ in range(3):
        p.wait_for_load_state("networkidle")
        p.wait_for_timeout(200)
    p.wait_for_function("() => !document.body.innerText.includes('正在加载')", timeout=15000)


def _visible_text(p: Any) -> str:
    """The page's text plus every option of its drop-downs (shown when opened)."""
    return str(
        p.evaluate(
            "() => [document.body.innerText, ...[...document.querySelectorAll('option')].map((o) => o.text)].join('\\n')"
        )
    )


def _policy_ids(base: str) -> set[str]:
    with urllib.request.urlopen(base + "/api/v1/policies", timeout=10) as r:
        return {p["id"] for p in json.load(r)}


def _scroll(p: Any) -> tuple[int, int]:
    w = p.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    return int(w[0]), int(w[1])


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("username", USERS)
def test_role_tour_no_errors_no_codes_no_sideways_scroll(
    browser: Any, live: Any, username: str, size: str
) -> None:
    from tests.web.conftest import Page

    tab = Page(browser, live, SIZES[size])
    try:
        p = tab.login(username)
        routes = [
            a.get_attribute("data-testid").removeprefix("menu-")
            for a in p.query_selector_all("[data-testid=menu] a")
        ]
        assert routes, f"{username} sees no menu"
        problems: list[str] = []
        allowed = {username}
        ids = _policy_ids(live.base)
        refused: list[str] = []

        def forbidden(r: Any) -> None:
            if r.status == 403 and "/api/" in r.url:
                refused.append(r.url)

        p.on("response", forbidden)
        for r in routes:
            p.goto(f"{live.base}/#/{r}")
            p.wait_for_selector(f"[data-testid=page-{r}]")
            _settle(p)
            width = SIZES[size]["width"]
            for e in p.query_selector_all(".notice.error"):
                if e.is_visible():
                    problems.append(f"{r}@{width}: error banner {e.inner_text()!r}")
            text = _visible_text(p)
            for c in raw_codes(text, allowed):
                problems.append(f"{r}@{width}: {c}")
            problems += [f"{r}@{width}: policy id {i!r} on the page" for i in ids if i in text]
            problems += [f"{r}@{width}: the API refused {u}" for u in refused]
            refused.clear()
            if size == "phone":
                for w in (390, 360):
                    p.set_viewport_size({"width": w, "height": 844})
                    p.wait_for_timeout(100)
                    sw, iw = _scroll(p)
                    if sw > iw:
                        problems.append(f"{r}@{w}: page scrolls sideways ({sw} > {iw})")
                p.set_viewport_size(SIZES[size])
            p.screenshot(path=str(SHOTS / f"tour-{username}-{r}-{width}.png"), full_page=True)
        assert tab.csp_errors() == []
        assert problems == [], "\n".join(problems)
    finally:
        tab.ctx.close()


def _register_in_village(live: Any, village: str, serial: str) -> str:
    """A newborn of the agent's village registered into the campaign through the API by the
    officer (assessed at once, so it has an amount due; the test does not depend on which demo
    residents other tests have paid for)."""
    import httpx

    from tests.web.test_e2e import _with_check_digit

    number = _with_check_digit("340621" + "20211101" + serial)
    with httpx.Client(base_url=live.base, timeout=60) as c:
        me = c.post("/api/v1/auth/login", json={"username": "officer", "password": live.password}).json()
        body = {
            "id_number": number,
            "name": "测试手机缴费",
            "region_code": village,
            "guardian_id_number": live.other_id,
        }
        r = c.post(
            f"/api/v1/campaigns/{live.campaign_id}/newborns",
            json=body,
            headers={"X-CSRF-Token": me["csrf_token"]},
        )
        assert r.status_code in (200, 201), r.text
    return number


@pytest.mark.parametrize("width", [360, 390])
def test_agent_pays_on_a_phone_the_button_is_reachable_and_the_receipt_fits(
    browser: Any, live: Any, width: str
) -> None:
    """At phone width: the statement with its payment table, the pay button on screen without
    scrolling sideways or far down (a sticky action bar), and the receipt within the screen."""
    from tests.web.conftest import Page

    tab = Page(browser, live, {"width": int(width), "height": 844})
    try:
        p = tab.login("agent")
        idn = _register_in_village(
            live, live.accounts["agent"].region_code, "55" + str(int(width) // 10 % 10)
        )
        p.goto(f"{live.base}/#/resident")
        p.fill("[data-testid=id-input]", idn)
        p.click("[data-testid=lookup]")
        p.wait_for_selector("[data-testid=pay-form]")
        p.click("[data-testid=show-why]")
        text = _visible_text(p)
        assert raw_codes(text, {"agent"}) == []
        assert [i for i in _policy_ids(live.base) if i in text] == []
        p.evaluate("() => window.scrollTo(0, 0)")
        p.screenshot(path=str(SHOTS / f"pay-agent-{width}-first-screen.png"))  # what the agent sees first
        box = p.locator("[data-testid=pay-submit]").bounding_box()
        assert box and box["y"] + box["height"] <= 844 and box["x"] + box["width"] <= int(width), box
        sw, iw = _scroll(p)
        assert sw <= iw, f"statement page {sw}px wide at {iw}px"
        tab.shot(f"pay-agent-{width}")
        p.click("[data-testid=pay-submit]")
        p.wait_for_selector("[data-testid=receipt]")
        sw, iw = _scroll(p)
        receipt = p.locator(".receipt").bounding_box()
        assert sw <= iw, f"receipt page {sw}px wide at {iw}px"
        assert receipt and receipt["x"] >= 0 and receipt["x"] + receipt["width"] <= iw, receipt
        # the payment table's status column is on screen or inside a scrolling table, never cut off
        for wrap in p.query_selector_all("[data-testid=statement] .table-wrap"):
            b = wrap.bounding_box()
            assert b and b["x"] + b["width"] <= iw, b
        tab.shot(f"receipt-agent-{width}")
        assert tab.csp_errors() == []
    finally:
        tab.ctx.close()


def _register_resident(live: Any, village: str, serial: str) -> str:
    """A resident registered through the API by the officer and changed once (a history entry)."""
    import httpx

    from tests.web.test_e2e import _with_check_digit

    number = _with_check_digit("340621" + "19800101" + serial)
    with httpx.Client(base_url=live.base, timeout=60) as c:
        me = c.post("/api/v1/auth/login", json={"username": "officer", "password": live.password}).json()
        body = {"id_number": number, "name": "测试历史", "region_code": village}
        h = {"X-CSRF-Token": me["csrf_token"]}
        r = c.post("/api/v1/residents", json=body, headers=h)
        assert r.status_code in (200, 201), r.text
        st = c.post("/api/v1/residents/lookup", json={"id_number": number}, headers=h).json()
        patch = {"row_version": st["row_version"], "residence": "permit", "reason": "测试"}
        r = c.patch(f"/api/v1/residents/{st['resident_id']}", json=patch, headers=h)
        assert r.status_code == 200, r.text
    return number


def test_officer_statement_and_history_show_no_codes(tab: Any) -> None:
    """A resident's statement as the bureau sees it (identities, explanation, the change history):
    labels and values in Chinese, no keys such as ``region_code=`` or ``synth``."""
    live = tab.live
    p = tab.login("officer")
    p.goto(f"{live.base}/#/resident")
    idn = _register_resident(live, live.accounts["agent"].region_code, "571")  # a history entry
    p.fill("[data-testid=id-input]", idn)
    p.click("[data-testid=lookup]")
    p.wait_for_selector("[data-testid=history] tbody tr td:has-text('officer')")
    _settle(p)
    if p.query_selector("[data-testid=show-why]"):
        p.click("[data-testid=show-why]")
    text = _visible_text(p)
    assert raw_codes(text, {"officer"}) == []
    assert [i for i in _policy_ids(live.base) if i in text] == []
    assert "=" not in p.inner_text("[data-testid=history]")
    tab.shot("statement-officer-1366")
    assert tab.csp_errors() == []


def test_downloads_are_named_in_chinese(live: Any) -> None:
    """The bulletin and the not-enrolled roster download as 通报-<day>.xlsx / 未参保名单-<day>.xlsx
    (RFC 5987 ``filename*``; an ASCII ``filename`` for old clients), not bulletin-1.xlsx."""
    from urllib.parse import quote

    import httpx

    with httpx.Client(base_url=live.base, timeout=60) as c:
        c.post(
            "/api/v1/auth/login", json={"username": "officer", "password": live.password}
        ).raise_for_status()
        for path, name in [
            (f"/api/v1/campaigns/{live.campaign_id}/bulletin?format=xlsx", "通报-2021-12-15.xlsx"),
            (
                f"/api/v1/campaigns/{live.campaign_id}/roster?format=xlsx&include_paid=false",
                "未参保名单-2021-12-15.xlsx",
            ),
        ]:
            r = c.get(path)
            assert r.status_code == 200, r.text
            cd = r.headers["content-disposition"]
            assert f"filename*=UTF-8''{quote(name)}" in cd, cd
            assert 'filename="' in cd and cd.isascii(), cd
