"""Cash handover (现金解缴, issue 14 item 3; 濉溪 七（二）, 泰兴 五.4): an agent's cash per day, handed
over in a batch, confirmed by an officer with its difference; a handed-over receipt is cancelled
only by an officer. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from dbfixtures import ACTOR, add_people, setup_regions
from sqlalchemy import Engine, select

from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.handover import (
    HandedOver,
    confirm_handover,
    daily_cash,
    handover_report,
    list_handovers,
    stale_cash,
    submit_handover,
)
from urrbmi.campaign.payments import cancel_payment, record_payment
from urrbmi.db.models import AuditLog, Payment
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidInput
from urrbmi.policy import ResidentInput, load_policy, quote
from urrbmi.registry.errors import Conflict, NotFound

TOWN = "500114001"
AGENT, OFFICER = "agent:wang", "officer:li"
DAY1, DAY2 = dt.date(2021, 12, 14), dt.date(2021, 12, 15)
QJ = load_policy("qianjiang-2022")


def due(number: str, day: dt.date) -> Decimal:
    return quote(QJ, ResidentInput.parse({"id_number": number, "paid_on": day})).total_due


@pytest.fixture
def world(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    monkeypatch.setenv("URRBMI_TODAY", str(DAY2))
    return build(engine)


def build(engine: Engine) -> tuple[int, list[str]]:
    """Three cash receipts of one agent on two days, one POS payment, one cash of another agent."""
    setup_regions(engine)
    people = add_people(engine, TOWN, "500114", 5)
    with session_scope(engine) as s:
        c = create_campaign(s, "qianjiang-2022", TOWN, actor=ACTOR)
        assess(s, c, DAY1, actor=ACTOR)
        cid = c.id
    pays = [
        (people[0], "cash", "C-1", DAY1, AGENT),
        (people[1], "cash", "C-2", DAY1, AGENT),
        (people[2], "cash", "C-3", DAY2, AGENT),
        (people[3], "pos", "P-1", DAY1, AGENT),
        (people[4], "cash", "O-1", DAY1, "agent:zhao"),
    ]
    with session_scope(engine) as s:
        for number, channel, ref, day, actor in pays:
            record_payment(
                s, get_campaign(s, cid), id_number=number, amount=due(number, day), channel=channel,
                external_ref=ref, paid_on=day, actor=actor,
            )  # fmt: skip
    return cid, people


def test_cash_from_daily_totals_to_confirmed_with_a_shortfall(
    engine: Engine, world: tuple[int, list[str]]
) -> None:
    cid, people = world
    d1, d2 = due(people[0], DAY1) + due(people[1], DAY1), due(people[2], DAY2)
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        day1 = daily_cash(s, c, AGENT, DAY1)
        assert (day1.receipts, day1.amount_fen, day1.handed_over_fen) == (2, int(d1 * 100), 0)  # not the POS
        assert [x.external_ref for x in day1.lines] == ["C-1", "C-2"]
        assert daily_cash(s, c, AGENT, DAY2).amount_fen == int(d2 * 100)
        assert stale_cash(s, c, older_than_days=0) == [
            {"agent": AGENT, "receipts": 2, "amount": d1, "oldest_day": DAY1},
            {"agent": "agent:zhao", "receipts": 1, "amount": due(people[4], DAY1), "oldest_day": DAY1},
        ]
        with pytest.raises(InvalidInput):  # not a day after today
            submit_handover(
                s, c, agent=AGENT, region_code=TOWN, through=DAY2 + dt.timedelta(days=1), actor=AGENT
            )
        h = submit_handover(s, c, agent=AGENT, region_code=TOWN, through=DAY2, actor=AGENT)
        assert (h.receipts, h.expected_fen, h.first_day, h.last_day) == (3, int((d1 + d2) * 100), DAY1, DAY2)
        hid = h.id
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        with pytest.raises(Conflict):  # nothing left to hand over
            submit_handover(s, c, agent=AGENT, region_code=TOWN, through=DAY2, actor=AGENT)
        assert daily_cash(s, c, AGENT, DAY1).handed_over_fen == int(d1 * 100)
        with pytest.raises(Conflict):  # the agent does not count their own money
            confirm_handover(s, c, hid, received=d1 + d2, reason=None, actor=AGENT)
        short = d1 + d2 - 10
        with pytest.raises(InvalidInput) as no_reason:
            confirm_handover(s, c, hid, received=short, reason=" ", actor=OFFICER)
        assert "短款10.00元" in no_reason.value.zh
        with pytest.raises(NotFound):  # another town's officer does not see the batch
            confirm_handover(s, c, hid, received=short, reason="x", actor=OFFICER, scope="500230")
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        confirm_handover(s, c, hid, received=d1 + d2 - 10, reason="点钞少一张十元", actor=OFFICER)
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        (row,) = list_handovers(s, c)
        assert row["status"] == "confirmed" and row["confirmed_by"] == OFFICER
        assert row["difference"] == Decimal("-10.00") and row["difference_zh"] == "短款10.00元（-10.00）"
        assert row["difference_reason"] == "点钞少一张十元"
        with pytest.raises(Conflict):  # confirmed once
            confirm_handover(s, c, hid, received=d1 + d2, reason=None, actor=OFFICER)
        report = {(r["agent"], r["day"]): r for r in handover_report(s, c)}
        assert report[(AGENT, DAY1)]["confirmed"] == d1 and report[(AGENT, DAY1)]["difference"] is None
        assert report[(AGENT, DAY2)]["difference"] == Decimal("-10.00")
        assert report[("agent:zhao", DAY1)]["not_handed_over"] == due(people[4], DAY1)
        assert stale_cash(s, c, older_than_days=0) == [
            {"agent": "agent:zhao", "receipts": 1, "amount": due(people[4], DAY1), "oldest_day": DAY1}
        ]
        actions = [
            a for (a,) in s.execute(select(AuditLog.action).where(AuditLog.table_name == "cash_handovers"))
        ]
        assert actions == ["submit", "confirm"]


def test_a_handed_over_receipt_is_cancelled_only_by_an_officer(
    engine: Engine, world: tuple[int, list[str]]
) -> None:
    cid, _ = world
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        # before handover the agent's own cancel path is open (and that cash is not handed over)
        cancel_payment(s, c, channel="cash", external_ref="C-3", reason="当场退回", actor=ACTOR)
        h = submit_handover(s, c, agent=AGENT, region_code=TOWN, through=DAY2, actor=AGENT)
        assert h.receipts == 2
        hid = h.id
    with session_scope(engine) as s:
        with pytest.raises(HandedOver) as refused:
            cancel_payment(
                s, get_campaign(s, cid), channel="cash", external_ref="C-1", reason="x", actor=AGENT
            )
        assert refused.value.http_status == 403 and "解缴批次" in refused.value.zh
    with session_scope(engine) as s:
        assert s.scalar(select(Payment.status).where(Payment.external_ref == "C-1")) == "accepted"
        cancel_payment(
            s, get_campaign(s, cid), channel="cash", external_ref="C-1", reason="职工医保", actor=OFFICER,
            may_cancel_handed_over=True,
        )  # fmt: skip
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        (row,) = list_handovers(s, c)
        assert row["id"] == hid and row["receipts"] == 2  # the batch keeps its expected total
        assert row["cancelled_after"] == 1
        new = s.scalars(
            select(AuditLog.new).where(AuditLog.table_name == "payments", AuditLog.action == "cancel")
            .order_by(AuditLog.id)
        ).all()  # fmt: skip
        assert new[-1]["cash_handover"] == hid and AuditLog is not None


@pytest.mark.postgres
def test_two_concurrent_submissions_make_one_batch(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second submission starts while the first is uncommitted (it cannot see the first's
    items): the payment's primary key in ``cash_handover_items`` makes it wait and then refuse."""
    monkeypatch.setenv("URRBMI_TODAY", str(DAY2))
    cid, _ = build(pg_engine)
    first_in = threading.Event()
    outcome: dict[str, str] = {}

    def submit(name: str) -> None:
        try:
            with session_scope(pg_engine) as s:
                if name == "second":
                    first_in.wait(5)
                submit_handover(
                    s, get_campaign(s, cid), agent=AGENT, region_code=TOWN, through=DAY2, actor=AGENT
                )
                if name == "first":
                    first_in.set()
                    time.sleep(0.5)  # hold the transaction open while the second submits
            outcome[name] = "submitted"
        except Conflict as exc:
            outcome[name] = "refused" if "just handed over" in exc.en else exc.en
        except BaseException as exc:
            outcome[name] = repr(exc)

    threads = [threading.Thread(target=submit, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert outcome == {"first": "submitted", "second": "refused"}
    with session_scope(pg_engine) as s:
        (row,) = list_handovers(s, get_campaign(s, cid))
        assert row["receipts"] == 3
