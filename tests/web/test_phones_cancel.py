"""Phone numbers and cancelling a payment in the browser (issue 15), at phone (390 px) and desktop
(1366 px) widths:

- a department list with a 联系电话 column loaded on the import page: the report counts the numbers
  and lists the row whose number is bad (not loaded); the township officer's not-enrolled list
  then shows the number in full, the bureau officer's masked;
- an officer cancels an accepted cash payment from the resident page behind a confirmation naming
  the resident, the amount and the receipt, with a reason (refused without one); the payment becomes
  已退费 and a refund awaits approval; a village agent sees no cancel button.

Screenshots: var/screenshots/phones-*.png, cancel-*.png."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import SHOTS
from tests.web.test_roles_tour import raw_codes

pytestmark = pytest.mark.slow

SIZES = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 900}}


def _tab(browser: Any, live: Any, width: str) -> Any:
    from tests.web.conftest import Page

    return Page(browser, live, SIZES[width])


def _no_sideways(p: Any) -> None:
    sw, iw = p.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sw <= iw, f"the page scrolls sideways: {sw} > {iw}"


def _unpaid(live: Any, *, newest: bool) -> list[tuple[str, str, Decimal]]:
    """Residents with an amount due and no payment (id number, name, due): of the agent's village,
    the oldest records first (the list's first page), or of the agent's town, the newest."""
    village = live.accounts["agent"].region_code
    where = village if not newest else village[:9] + "%"
    with sqlite3.connect(live.db_path) as db:
        rows = db.execute(
            "SELECT r.id_number, r.name, a.individual_fen FROM residents r "
            "JOIN assessments a ON a.resident_id = r.id AND a.campaign_id = ? "
            "WHERE r.region_code LIKE ? AND r.status = 'active' AND a.individual_fen > 0 "
            "AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.resident_id = r.id) "
            "AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.resident_id = r.id AND e.source != 'external' "
            "  AND e.status = 'enrolled' AND e.benefit_year = (SELECT benefit_year FROM campaigns WHERE id = ?)) "
            f"ORDER BY r.id {'DESC' if newest else 'ASC'} LIMIT 12",
            (live.campaign_id, where, live.campaign_id),
        ).fetchall()
    skip = {live.unpaid_id, live.other_id}
    return [(n, name, Decimal(fen) / 100) for n, name, fen in rows if n not in skip]


def _without_phone(live: Any) -> tuple[str, str, str]:
    """An unpaid resident of the agent's town with no phone number recorded: (id, name, village)."""
    town = live.accounts["agent"].region_code[:9]
    with sqlite3.connect(live.db_path) as db:
        row = db.execute(
            "SELECT r.id_number, r.name, r.region_code FROM residents r "
            "JOIN assessments a ON a.resident_id = r.id AND a.campaign_id = ? "
            "WHERE r.region_code LIKE ? AND r.status = 'active' AND a.individual_fen > 0 "
            "AND r.id_number NOT IN (?, ?) "
            "AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.resident_id = r.id) "
            "AND NOT EXISTS (SELECT 1 FROM resident_contacts c WHERE c.resident_id = r.id) "
            "ORDER BY r.id LIMIT 1",
            (live.campaign_id, town + "%", live.unpaid_id, live.other_id),
        ).fetchone()
    assert row is not None, "no unpaid resident without a phone number is left in the town"
    return str(row[0]), str(row[1]), str(row[2])


def _sex(number: str) -> str:
    return "男" if int(number[16]) % 2 else "女"


def test_phone_numbers_from_a_list_shown_in_full_to_the_town_and_masked_to_the_bureau(
    browser: Any, live: Any, tmp_path: Path
) -> None:
    # a: no number yet (other browser tests of the session record numbers at visits), in the
    # agent's town; b: anyone else unpaid (its bad number is not loaded)
    a_id, a_name, village = _without_phone(live)
    b_id, b_name, _ = next(x for x in _unpaid(live, newest=False) if x[0] != a_id)
    header = "序号,姓名,性别,身份证号码,人员类别,联系电话\n"
    body = f"1,{a_name},{_sex(a_id)},{a_id},低保对象,139 0561 2233\n2,{b_name},{_sex(b_id)},{b_id},低保对象,12345\n"
    f = tmp_path / "民政低保名单.csv"
    f.write_text(header + body, encoding="utf-8")
    tab = _tab(browser, live, "1366")
    try:
        p = tab.login("officer")
        p.goto(f"{live.base}/#/imports")
        p.select_option("[data-testid=import-source]", "minzheng")
        p.select_option("[data-testid=import-form] select[name=mode]", "add")
        p.set_input_files("[data-testid=import-file]", str(f))
        p.click("[data-testid=import-form] button[type=submit]")
        p.click("[data-testid=import-confirm]")
        p.wait_for_selector("[data-testid=import-phones]")
        summary = p.inner_text("[data-testid=import-phones]")
        assert "联系电话" in summary and "新登记 1 个" in summary and "未导入 1 行" in summary, summary
        problems = p.inner_text("[data-testid=import-phone-problems]")
        assert "12345" in problems and "格式不对" in problems, problems
        assert raw_codes(p.inner_text("main"), set()) == []
        p.screenshot(path=str(SHOTS / "phones-import-report-1366.png"), full_page=True)
    finally:
        tab.ctx.close()
    for width in SIZES:
        for user, shown in (("town", "13905612233"), ("officer", "139****2233")):
            tab = _tab(browser, live, width)
            try:
                p = tab.login(user)
                p.goto(f"{live.base}/#/lists")
                p.wait_for_selector("[data-testid=list-total]")
                if user == "officer":
                    town = village[:9]
                    p.wait_for_selector(
                        f"[data-testid=list-region-town] option[value='{town}']", state="attached"
                    )
                    p.select_option("[data-testid=list-region-town]", town)
                p.wait_for_selector(
                    f"[data-testid=list-region-village] option[value='{village}']", state="attached"
                )
                p.select_option("[data-testid=list-region-village]", village)
                row = p.locator("[data-testid=list-table] tbody tr", has_text=a_name).first
                row.wait_for()
                assert shown in row.inner_text(), (user, row.inner_text())
                assert "13905612233" not in p.inner_text("main") or user == "town"
                assert p.query_selector(".notice.error") is None
                _no_sideways(p)
                p.screenshot(path=str(SHOTS / f"phones-list-{user}-{width}.png"), full_page=True)
                assert tab.csp_errors() == []
            finally:
                tab.ctx.close()


def _pay_cash(live: Any, number: str, due: Decimal, ref: str) -> None:
    import httpx

    with httpx.Client(base_url=live.base, timeout=60) as c:
        me = c.post("/api/v1/auth/login", json={"username": "officer", "password": live.password}).json()
        r = c.post(
            f"/api/v1/campaigns/{live.campaign_id}/payments",
            json={"id_number": number, "amount": str(due), "channel": "cash", "external_ref": ref},
            headers={"X-CSRF-Token": me["csrf_token"]},
        )
        assert r.status_code in (200, 201), r.text


@pytest.mark.parametrize("width", list(SIZES))
def test_officer_cancels_an_accepted_payment_from_the_resident_page(
    browser: Any, live: Any, width: str
) -> None:
    number, name, due = _unpaid(live, newest=True)[0]  # one paid and cancelled has a payment
    ref = f"WEB-CANCEL-{width}"
    _pay_cash(live, number, due, ref)
    tab = _tab(browser, live, width)
    try:  # a village agent records payments but does not cancel them
        p = tab.login("agent")
        p.goto(f"{live.base}/#/resident")
        p.fill("[data-testid=id-input]", number)
        p.click("[data-testid=lookup]")
        p.wait_for_selector("[data-testid=statement]")
        assert p.query_selector(f"[data-testid=cancel-pay-{ref}]") is None
    finally:
        tab.ctx.close()
    tab = _tab(browser, live, width)
    try:
        p = tab.login("officer")
        p.goto(f"{live.base}/#/resident")
        p.fill("[data-testid=id-input]", number)
        p.click("[data-testid=lookup]")
        button = p.wait_for_selector(f"[data-testid=cancel-pay-{ref}]")
        _no_sideways(p)
        button.click()
        dialog = p.wait_for_selector("[data-testid=confirm-cancel-pay]")
        text = dialog.inner_text()
        assert name in text and f"{due:.2f}" in text and ref in text and "现金" in text, text
        p.screenshot(path=str(SHOTS / f"cancel-confirm-{width}.png"))
        p.click("[data-testid=confirm-cancel-pay-ok]")  # no reason: refused on the page
        assert "原因" in p.inner_text("[data-testid=confirm-cancel-pay] .notice.error")
        p.fill("[data-testid=confirm-cancel-pay-reason]", "重复缴费，原路退回")
        p.click("[data-testid=confirm-cancel-pay-ok]")
        p.wait_for_selector("[data-testid=confirm-cancel-pay]", state="detached")
        # the statement is read again: the payment is refunded, the enrollment gone
        p.wait_for_function(
            "() => document.querySelector('[data-testid=statement]')?.innerText.includes('已退费')",
            timeout=20000,
        )
        assert p.inner_text("[data-testid=enrolled]") == "否"
        assert p.query_selector(f"[data-testid=cancel-pay-{ref}]") is None
        assert raw_codes(p.inner_text("main"), set()) == []
        _no_sideways(p)
        p.screenshot(path=str(SHOTS / f"cancel-done-{width}.png"), full_page=True)
        p.goto(f"{live.base}/#/payments")
        pending = p.locator("[data-testid=pending-refunds] tbody tr", has_text="重复缴费，原路退回").first
        pending.wait_for()
        assert "待审批" in pending.inner_text()
        assert tab.csp_errors() == []
    finally:
        tab.ctx.close()
