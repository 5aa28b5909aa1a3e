"""A season replay through the API (issue 18, item 8): a small synthetic county (Suixi, suixi-2022)
from the opening of the window to its end, one day a week: monthly 民政 lists, counter payments
(with typing slips and double taps), daily bank files (repeats, wrong amounts, unknown IDs, second
payments, late files), cancellations with refunds approved, sent and paid. After every simulated
day the money, the states of residents and (on bulletin days) every report are checked
(urrbmi/synth/season.py). The full-size season is bench/bench_season.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from readback import SHARED, assert_agree, reports
from sqlalchemy import Engine

from urrbmi.access import passwords
from urrbmi.access.accounts import create_user, login
from urrbmi.db.session import session_scope
from urrbmi.interfaces.api import create_app
from urrbmi.synth import County
from urrbmi.synth.load import load_county
from urrbmi.synth.season import Season, SeasonPlan, SeasonViolation

PASSWORD = "season-replay-pw"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    monkeypatch.setenv("URRBMI_AUTH_CACHE_SECONDS", "0")


def _season(
    engine: Engine, url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **plan: object
) -> Season:
    county = County.suixi(scale=0.0004, seed=5, villages_per_town=2)
    with session_scope(engine) as s:
        load_county(s, county, actor="season", province=("340000", "安徽省"))
    villages = [v.code for v in county.tree.villages[:2]]
    accounts = {
        "admin": ("bureau_admin", "340621"),
        "officer": ("bureau_officer", "340621"),
        "checker": ("bureau_officer", "340621"),
        "finance": ("finance", "340621"),
        **{f"agent:{v}": ("village_agent", v) for v in villages},
    }
    with session_scope(engine) as s:
        for name, (role, region) in accounts.items():
            create_user(s, name.replace(":", "_"), PASSWORD, role, region, actor="season")
    tokens = {n: login(engine, n.replace(":", "_"), PASSWORD, "token").token for n in accounts}
    client = TestClient(create_app(url))

    def check_reports(cid: int, on: dt.date) -> None:
        assert_agree(reports(url, cid, on, tmp_path / on.isoformat(), token=tokens["officer"]), SHARED)

    return Season(
        client=client,
        engine=engine,
        region="340621",
        policy="suixi-2022",
        users=tokens,
        set_today=lambda d: monkeypatch.setenv("URRBMI_TODAY", d.isoformat()),
        plan=SeasonPlan(start=dt.date(2021, 10, 29), end=dt.date(2021, 12, 31), **plan),  # type: ignore[arg-type]
        check_reports=check_reports,
    )


@pytest.mark.slow
def test_a_season_keeps_money_states_and_reports_in_agreement(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    season = _season(engine, db_url, monkeypatch, tmp_path)
    tally = season.run()
    # the season did what it says: every kind of traffic happened, and was checked every day
    assert tally.days == tally.checks == 10
    assert tally.counter_payments >= 30 and tally.refused_wrong_amount > 0 and tally.replayed > 0
    assert tally.held >= 2 * tally.days and tally.unmatched == tally.days
    assert tally.cancelled == tally.refunds_paid == 3
    assert tally.lists == 3 and tally.bulletins == 6  # 10-29, then half-monthly, and 12-31


def test_the_replay_sees_money_that_the_ledger_lost(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The invariants can fail: a payment altered behind the API's back is reported."""
    from sqlalchemy import select, update

    from urrbmi.db.models import Payment

    season = _season(engine, db_url, monkeypatch, tmp_path)
    season.open()
    day = dt.date(2021, 10, 29)
    season.set_today(day)
    season.counter_day(day)
    season.check(day)
    with session_scope(engine) as s:
        victim = s.scalars(select(Payment.id).where(Payment.campaign_id == season.campaign_id)).first()
        s.execute(update(Payment).where(Payment.id == victim).values(amount_fen=Payment.amount_fen - 100))
    with pytest.raises(SeasonViolation, match="money, cash"):
        season.check(day)
