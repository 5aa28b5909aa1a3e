"""The village agent's visit round in a real browser (issue 15 item 1), phone (390 px) and desktop
(1366 px): log-in → worklist → household → pay two members at once (after a confirmation) → a
visit outcome for the third → the reminder list and its Excel download; and an officer's
医保电子凭证 activation import with its bad rows and the activation rate (item 2). Screenshots go
to var/screenshots/agent-*.png."""

from __future__ import annotations

import datetime as dt
import sqlite3
from io import BytesIO
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from tests.web.conftest import SHOTS

pytestmark = pytest.mark.slow

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


FAMILIES = {"phone": ("田大山", "田二妹", "田小禾"), "desktop": ("罗大江", "罗二姐", "罗小松")}


def _household(live: Any, size: str) -> tuple[str, list[str]]:
    """A household of three in the agent's village, registered and assessed through the registry
    and the campaign (the demo's villages are small: its households have at most two members
    still to pay). Returns its number and the names, eldest first."""
    from urrbmi import ids
    from urrbmi.campaign.assess import assess
    from urrbmi.db.models import Campaign
    from urrbmi.db.session import get_engine, session_scope
    from urrbmi.interfaces.demo_campaign import REPORT_DAY
    from urrbmi.registry.residents import NewResident, add_resident

    village = live.accounts["agent"].region_code
    hh = f"E2E-{size}"
    born = (dt.date(1968, 3, 1), dt.date(1971, 6, 2), dt.date(1999, 9, 3))
    seq = 700 if size == "phone" else 760
    url = f"sqlite:///{live.db_path}"
    with session_scope(get_engine(url)) as s:
        rids = [
            add_resident(
                s,
                NewResident(ids.make(village[:6], b, seq + 2 * i + 1), name, village, household_id=hh),
                actor="e2e",
            ).id
            for i, (name, b) in enumerate(zip(FAMILIES[size], born, strict=True))
        ]
        c = s.get(Campaign, live.campaign_id)
        assert c is not None
        assess(s, c, REPORT_DAY, actor="e2e", residents=rids)
    get_engine(url).dispose()
    return hh, list(FAMILIES[size])


def _no_sideways(p: Any, width: int) -> None:
    sw = p.evaluate("document.documentElement.scrollWidth")
    assert sw <= width, f"page is {sw}px wide at {width}px"


@pytest.mark.parametrize("size", list(SIZES))
def test_agent_visit_round_pay_two_record_outcome_remind(browser: Any, live: Any, size: str) -> None:
    from tests.web.conftest import Page

    hh, names = _household(live, size)
    width = SIZES[size]["width"]
    tab = Page(browser, live, SIZES[size])
    try:
        p = tab.login("agent")
        p.wait_for_selector("[data-testid=page-agent]")  # an agent's home page is the round
        p.wait_for_selector("[data-testid=hh-card]")
        assert "未参保" in p.inner_text("[data-testid=worklist]")
        tab.shot(f"agent-worklist-{width}")
        _no_sideways(p, width)
        # search by the eldest member's name, open the household
        p.fill("[data-testid=wl-search]", names[0])
        p.click("[data-testid=wl-search-btn]")
        card = p.locator("[data-testid=hh-card]", has_text=f"户号 {hh}")
        card.wait_for()
        card.locator("[data-testid=hh-open]").click()
        p.wait_for_selector("[data-testid=member]")
        picks = p.locator("[data-testid=pick]")
        assert picks.count() == len(names)  # every member still to pay is ticked
        assert all(picks.nth(i).is_checked() for i in range(len(names)))
        tab.shot(f"agent-household-{width}")
        _no_sideways(p, width)
        # pay for the two eldest still to pay: untick the others, confirm
        for name in names[2:]:
            p.locator("[data-testid=member]", has_text=name).locator("[data-testid=pick]").uncheck()
        p.click("[data-testid=pay-selected]")
        p.wait_for_selector("[data-testid=pay-confirm]")
        confirm = p.inner_text("[data-testid=pay-confirm]")
        assert names[0] in confirm and names[1] in confirm and names[2] not in confirm
        tab.shot(f"agent-confirm-{width}")
        _no_sideways(p, width)
        p.click("[data-testid=pay-confirm-btn]")
        p.wait_for_selector("[data-testid=paid-ok]")
        ok = p.inner_text("[data-testid=paid-ok]")
        assert "已为 2 人缴费入账" in ok and ok.count("收据号") == 2
        p.locator("[data-testid=member]", has_text="已缴费（收据号").nth(1).wait_for()
        # the third member: promised to pay in five days, with a phone number
        third = p.locator("[data-testid=member]", has_text=names[2])
        third.locator("[data-testid=visit-open]").click()
        p.select_option("[data-testid=visit-outcome]", "promised")
        p.fill("[data-testid=visit-reason]", "在外务工，月底回村缴费")
        visited = dt.date.fromisoformat(p.input_value("[data-testid=visit-day]"))  # the server's today
        promised = (visited + dt.timedelta(days=5)).isoformat()
        p.fill("[data-testid=visit-promised]", promised)
        p.fill("[data-testid=visit-phone]", "13912345678")
        tab.shot(f"agent-visit-form-{width}")
        _no_sideways(p, width)
        p.click("[data-testid=visit-save]")
        p.locator(".notice.ok", has_text="承诺缴费").wait_for()
        p.locator("[data-testid=member]", has_text="13912345678").wait_for()
        tab.shot(f"agent-household-done-{width}")
        # the reminder list: the third member, first (a promise), with the phone number
        p.click("[data-testid=hh-back]")
        p.click("[data-testid=tab-remind]")
        p.wait_for_selector("[data-testid=remind-list]")
        first = p.locator("[data-testid=remind-list] li").first.inner_text()
        assert names[2] in first and "13912345678" in first and "承诺缴费" in first
        tab.shot(f"agent-reminders-{width}")
        _no_sideways(p, width)
        href = p.get_attribute("[data-testid=remind-xlsx]", "href")
        r = tab.ctx.request.get(live.base + href)
        assert r.status == 200
        disposition = unquote(r.headers["content-disposition"])
        assert "催缴提醒名单" in disposition and disposition.endswith(".xlsx")
        ws = load_workbook(BytesIO(r.body())).active
        assert ws is not None
        row = next(row for row in ws.iter_rows(min_row=4, values_only=True) if row[2] == names[2])
        assert row[4] == "13912345678" and row[7] == "承诺缴费"
        # the button downloads it itself, under the server's name; a refusal (the same list still
        # being written) is shown on the page, and the button can be pressed again
        with p.expect_download() as dl:
            p.click("[data-testid=remind-xlsx]")
        assert "催缴提醒名单" in dl.value.suggested_filename
        refusal = {"error": {"code": "download_in_progress", "message": "上一份同样的导出仍在生成，请等它下载完成后再试",
                             "message_en": "the same download is still being written"}}  # fmt: skip
        p.route("**/fieldwork/reminders/export**", lambda route: route.fulfill(status=429, json=refusal))
        p.click("[data-testid=remind-xlsx]")
        p.locator(".notice.error", has_text="仍在生成").wait_for()
        tab.shot(f"agent-reminders-refused-{width}")
        assert p.get_attribute("[data-testid=remind-xlsx]", "aria-busy") == "false"
        p.unroute("**/fieldwork/reminders/export**")
        _no_sideways(p, width)
        # the household is paid: the worklist no longer shows the two payers as not enrolled
        p.click("[data-testid=tab-work]")
        p.fill("[data-testid=wl-search]", names[0])
        p.click("[data-testid=wl-search-btn]")
        p.wait_for_selector("[data-testid=wl-count]")
        p.wait_for_timeout(300)
        assert p.locator("[data-testid=hh-card]", has_text=f"户号 {hh}").count() == 0 or names[0] not in (
            p.locator("[data-testid=hh-card]", has_text=f"户号 {hh}").inner_text()
        )
        p.click("[data-testid=tab-activate]")
        p.wait_for_selector("[data-testid=not-activated-list]")
        tab.shot(f"agent-not-activated-{width}")
        # paged by the server, 20 a page: the count is the whole list's, the pager walks it
        shown = p.locator("[data-testid=not-activated-list] > li")
        total = int("".join(ch for ch in p.inner_text("[data-testid=not-activated-count]") if ch.isdigit()))
        assert shown.count() == min(total, 20)
        if total > 20:
            first = shown.first.inner_text()
            p.click("[data-testid=not-activated-pager] button:nth-of-type(2)")
            p.wait_for_selector("[data-testid=not-activated-pager] >> text=第 21–")
            assert shown.count() == min(total - 20, 20) and shown.first.inner_text() != first
        _no_sideways(p, width)
        assert tab.csp_errors() == []
    finally:
        tab.ctx.close()


def test_officer_imports_activation_list_and_sees_rates(browser: Any, live: Any) -> None:
    from tests.web.conftest import Page

    village = live.accounts["agent"].region_code
    con = sqlite3.connect(live.db_path)
    try:
        numbers = [
            n
            for (n,) in con.execute(
                "SELECT id_number FROM residents WHERE region_code = ? AND status = 'active' ORDER BY id LIMIT 3",
                (village,),
            )
        ]
    finally:
        con.close()
    csv = "身份证号码,姓名,激活日期\n" + "".join(f"{n},某,2021-11-0{i + 1}\n" for i, n in enumerate(numbers))
    csv += "123456,错号,2021-11-01\n"
    for viewport in SIZES.values():
        tab = Page(browser, live, viewport)
        try:
            p = tab.login("officer")
            p.goto(f"{live.base}/#/activation")
            p.wait_for_selector("[data-testid=act-import]")
            p.set_input_files(
                "[data-testid=act-file]",
                files=[{"name": "激活名单.csv", "mimeType": "text/csv", "buffer": csv.encode("gb18030")}],
            )
            p.click("[data-testid=act-submit]")
            p.wait_for_selector("[data-testid=act-result]")
            result = p.inner_text("[data-testid=act-result]")
            assert "有误的行" in result and "身份证号码无效" in result
            stats = [int(x) for x in p.locator("[data-testid=act-result] .stats b").all_inner_texts()]
            assert stats[0] == 4 and stats[4] == 1  # four rows, one bad
            assert stats[1] + stats[3] == 3  # new the first time, already imported the second
            p.wait_for_selector("[data-testid=act-rates] tbody tr td.num")
            rates = p.inner_text("[data-testid=act-rates]")
            assert "激活率" in rates and "参保率" in rates and "合计" in rates
            tab.shot(f"activation-import-{viewport['width']}")
            p.screenshot(path=str(SHOTS / f"activation-import-{viewport['width']}-top.png"))
            _no_sideways(p, viewport["width"])
            p.select_option("[data-testid=act-level]", "town")
            p.wait_for_timeout(500)
            tab.shot(f"activation-town-{viewport['width']}")
            assert tab.csp_errors() == []
        finally:
            tab.ctx.close()


def test_officer_walks_the_not_activated_list_page_by_page(browser: Any, live: Any) -> None:
    """The county's worklist pages by household without a total; its not-activated list comes a
    page of 20 at a time (the server pages it): the count is the whole list's, next and previous
    walk it, each page different; so do the reminders."""
    from tests.web.conftest import Page

    tab = Page(browser, live, SIZES["phone"])
    try:
        p = tab.login("officer")
        p.goto(f"{live.base}/#/agent")
        # the county's worklist: paged by household without a total (the count says where to look)
        p.wait_for_selector("[data-testid=wl-count]")
        assert "不计总数" in p.inner_text("[data-testid=wl-count]")
        assert "第 1–10 户" in p.inner_text("[data-testid=wl-pager]")  # ten households a page
        p.click("[data-testid=wl-pager] button:nth-of-type(2)")
        p.wait_for_selector("[data-testid=wl-pager] >> text=第 11–20 户")
        p.click("[data-testid=tab-activate]")
        p.wait_for_selector("[data-testid=not-activated-list]")
        assert "全县尚未激活" in p.inner_text("[data-testid=not-activated]")  # its scope, not 本村
        total = int("".join(ch for ch in p.inner_text("[data-testid=not-activated-count]") if ch.isdigit()))
        shown = p.locator("[data-testid=not-activated-list] > li")
        assert total > 40 and shown.count() == 20
        first = shown.all_inner_texts()
        pager = "[data-testid=not-activated-pager]"
        assert f"第 1–20 人，共 {total} 人" in p.inner_text(pager)
        p.click(f"{pager} button:nth-of-type(2)")
        p.wait_for_selector(f"{pager} >> text=第 21–40 人")
        head = "t => document.querySelector('[data-testid=not-activated-list] > li').innerText !== t"
        p.wait_for_function(head, arg=first[0])  # the next page's rows have come
        assert not set(shown.all_inner_texts()) & set(first)
        p.click(f"{pager} button:nth-of-type(1)")
        p.wait_for_selector(f"{pager} >> text=第 1–20 人")
        p.wait_for_function(head.replace("!==", "==="), arg=first[0])
        assert shown.all_inner_texts() == first
        _no_sideways(p, SIZES["phone"]["width"])
        tab.shot("agent-not-activated-pages-390")
        # the reminders are paged the same way (the Excel download is the whole list)
        p.click("[data-testid=tab-remind]")
        p.wait_for_selector("[data-testid=remind-list]")
        reminders = int("".join(ch for ch in p.inner_text("[data-testid=remind-count]") if ch.isdigit()))
        assert reminders > 20 and p.locator("[data-testid=remind-list] > li").count() == 20
        assert f"第 1–20 人，共 {reminders} 人" in p.inner_text("[data-testid=remind-pager]")
        p.click("[data-testid=remind-pager] button:nth-of-type(2)")
        p.wait_for_selector("[data-testid=remind-pager] >> text=第 21–")
        assert tab.csp_errors() == []
    finally:
        tab.ctx.close()
