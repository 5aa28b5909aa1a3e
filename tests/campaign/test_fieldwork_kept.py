"""The agent's lists found from the state kept as data (urrbmi.campaign.fieldwork.kept; issue 15
item 6: the worklist, the reminders, the not-activated list) give the same rows and totals as the
lists evaluated live over the region, on a randomized campaign (deaths, moves, students,
cancellations and refunds; households, visits and activations added here), for a village agent,
a township officer and the county, at four dates, before and after writes; and the pages of the
not-activated list and of the reminders together are the whole list. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import importlib
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from random_campaign import DATES, build_random
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from world import TOWN_SUIXI, VILLAGE_A

from urrbmi.access.scope import Principal
from urrbmi.campaign import activation, fieldwork
from urrbmi.campaign.campaigns import get_campaign
from urrbmi.campaign.fieldwork import kept
from urrbmi.db.models import Resident
from urrbmi.db.models_fieldwork import CredentialActivation, VisitOutcome
from urrbmi.db.session import session_scope

pytestmark = pytest.mark.slow

PEOPLE = (
    Principal(1, "v", "village_agent", VILLAGE_A, VILLAGE_A),
    Principal(2, "t", "township_officer", TOWN_SUIXI, TOWN_SUIXI),
    Principal(3, "b", "bureau_officer", "340621", "340621"),
)
FILTERS: tuple[dict[str, Any], ...] = (
    {},
    {"state": "all"},
    {"state": "enrolled"},
    {"state": "gone"},
    {"state": "employee"},
    {"identity": "tekun"},
    {"outcome": "none"},
    {"outcome": "promised"},
    {"q": "1"},
)


def _field_rows(engine: Engine, cid: int, seed: int) -> None:
    """Households (some residents alone), visit outcomes and activations on random days."""
    rng = random.Random(seed)
    stamp = dt.datetime(2021, 10, 1, tzinfo=dt.UTC)
    with session_scope(engine) as s:
        people = s.execute(select(Resident.id, Resident.region_code).order_by(Resident.id)).all()
        for rid, village in people:
            if rng.random() < 0.7:
                hh = f"H{rng.randrange(40)}"
                s.execute(update(Resident).where(Resident.id == rid).values(household_id=hh))
            if rng.random() < 0.3:
                s.add(
                    VisitOutcome(
                        campaign_id=cid, resident_id=rid, region_code=village,
                        outcome=rng.choice(("promised", "unreachable", "refused")), reason="test",
                        visited_on=dt.date(2021, 10, 15), promised_on=dt.date(2021, 12, 1),
                        recorded_by="test", recorded_at=stamp,
                    )
                )  # fmt: skip
            if rng.random() < 0.4:
                day = dt.date(2021, 9, 25) + dt.timedelta(days=rng.randrange(100))
                s.add(
                    CredentialActivation(
                        resident_id=rid, activated_on=day, batch_id="t", imported_by="test", imported_at=stamp
                    )
                )


def _shape(w: fieldwork.Worklist) -> tuple[Any, ...]:
    return (
        w.total_households,
        w.total_residents,
        [(g.household, g.village, g.members) for g in w.households],
    )


LIVE = {"on": False}
EXPORTS: dict[str, Path] = {}


@pytest.fixture(autouse=True)
def _switch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``LIVE["on"]``: the lists read live over the region, as when the kept state is not usable."""
    LIVE["on"] = False
    for name in (
        "urrbmi.campaign.fieldwork.worklist",
        "urrbmi.campaign.fieldwork.reminders",
        "urrbmi.campaign.activation",
    ):
        module = importlib.import_module(name)
        monkeypatch.setattr(module, "usable", lambda session, c: not LIVE["on"] and kept.usable(session, c))
    monkeypatch.setattr(importlib.import_module("urrbmi.campaign.fieldwork.reminders"), "EXPORT_CHUNK", 4)
    EXPORTS["dir"] = tmp_path


def _live(on: bool) -> None:
    LIVE["on"] = on


def _compare(s: Session, cid: int, dates: tuple[dt.date, ...] = DATES) -> None:
    c = get_campaign(s, cid)
    assert kept.usable(s, c)  # the kept state is read (brought up to date first)
    seen = called = 0
    for on in dates:
        for p in PEOPLE:
            for f in FILTERS:
                for offset in (0, 3) if not f else (0,):  # a later page of the default list
                    got = fieldwork.worklist(s, p, c, on=on, limit=4, offset=offset, **f)
                    _live(True)
                    live = fieldwork.worklist(s, p, c, on=on, limit=4, offset=offset, **f)
                    _live(False)
                    if got.total_households is None:  # a county's list: not counted, paged on `more`
                        assert live.total_households is not None
                        assert got.more == (offset + 4 < live.total_households), (on, p.role, f, offset)
                        got = replace(got, total_households=live.total_households)
                        got = replace(got, total_residents=live.total_residents)
                    assert _shape(got) == _shape(live), (on, p.role, f, offset)
                    assert got.more == live.more, (on, p.role, f, offset)
                    seen += len(got.households)
            whole = activation.not_activated(s, p, c, on=on, limit=200)
            _live(True)
            live_whole = activation.not_activated(s, p, c, on=on, limit=200)
            live_pages = [
                activation.not_activated(s, p, c, on=on, limit=7, offset=o) for o in range(0, 210, 7)
            ]
            _live(False)
            pages = [activation.not_activated(s, p, c, on=on, limit=7, offset=o) for o in range(0, 210, 7)]
            assert whole.total == live_whole.total == len(whole.items) < 200
            assert whole.items == live_whole.items, (on, p.role)
            for paged in (pages, live_pages):
                assert {x.total for x in paged} == {whole.total}
                assert tuple(m for x in paged for m in x.items) == whole.items
            assert all(m.state != "gone" and m.activated_on is None for m in whole.items)
            remind = fieldwork.reminders(s, p, c, on=on)  # the whole list (the export)
            _live(True)
            live_remind = [
                fieldwork.reminders_page(s, p, c, on=on, limit=6, offset=o) for o in range(0, 204, 6)
            ]
            _live(False)
            kept_remind = [
                fieldwork.reminders_page(s, p, c, on=on, limit=6, offset=o) for o in range(0, 204, 6)
            ]
            assert len(remind) < 200
            for read_live in (False, True):  # the export (streamed in chunks of 4) is the same list
                _live(read_live)
                path = EXPORTS["dir"] / f"{p.role}-{on}-{read_live}.xlsx"
                made = fieldwork.reminder_file(s, p, c, path, on=on, actor="test")
                sheet = load_workbook(path, read_only=True).worksheets[0]
                rows = list(sheet.iter_rows(min_row=4, values_only=True))
                assert made.rows == len(rows) == len(remind), (on, p.role, read_live)
                assert [(r[2], r[3], r[7]) for r in rows] == [
                    (m.name, m.id_number, m.outcome_zh or "未走访") for m in remind
                ], (on, p.role, read_live)
            _live(False)
            called += sum(1 for m in remind if m.outcome)
            for paged_remind in (kept_remind, live_remind):
                assert {x.total for x in paged_remind} == {len(remind)}
                assert [m for x in paged_remind for m in x.items] == remind, (on, p.role)
            seen += len(remind)
            seen += whole.total
    assert seen > 0 and called > 0  # lists not empty, promises and the unreachable among the reminders


@pytest.mark.parametrize("seed", [3, 7])
def test_lists_from_the_kept_state_equal_the_live_lists(engine: Engine, seed: int) -> None:
    cid = build_random(engine, seed)
    _field_rows(engine, cid, seed)
    with session_scope(engine) as s:
        _compare(s, cid)
    with session_scope(engine) as s:  # writes after the build: a death, a move
        first, second = s.scalars(select(Resident.id).order_by(Resident.id).limit(2)).all()
        s.execute(
            update(Resident)
            .where(Resident.id == first)
            .values(status="deceased", died_on=dt.date(2021, 10, 30))
        )
        s.execute(update(Resident).where(Resident.id == second).values(region_code=VILLAGE_A))
    with session_scope(engine) as s:
        _compare(s, cid, DATES[1:3])
