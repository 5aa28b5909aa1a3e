"""The resident's state as defined in SQL (counted by ``grouped_status``, listed by
``resident_rows``) equals the row-level reference of tests/support/reference.py (every resident
read, flags decided in Polars) on a randomized database, on SQLite and PostgreSQL: cancellations
and refunds before and after the date, deaths, moves, students, employee insurance, insurance
elsewhere, several enrollments per resident."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest
from reference import read_frames, status_at, weighed_status
from sqlalchemy import Engine, update
from world import VILLAGE_A, VILLAGE_B, VILLAGE_C, World, campaign, regions, stamp

from urrbmi.db.models import Assessment, Refund
from urrbmi.db.session import session_scope
from urrbmi.targets.counting import FLAGS, grouped_status, resident_rows

START = dt.date(2021, 10, 1)
DATES = (dt.date(2021, 9, 30), dt.date(2021, 10, 20), dt.date(2021, 11, 15), dt.date(2021, 12, 31))


def _day(rng: random.Random) -> dt.date:
    return START + dt.timedelta(days=rng.randrange(92))


def build_random(engine: Engine, seed: int, n: int = 160) -> int:
    rng = random.Random(seed)
    with session_scope(engine) as s:
        regions(s)
        cid = campaign(s, "suixi-2022", "340621")
        w = World(s, cid, 2022)
        for k in range(n):
            village = rng.choice((VILLAGE_A, VILLAGE_B, VILLAGE_C))
            kw: dict[str, object] = {}
            u = rng.random()
            if u < 0.1:
                kw.update(status="deceased", died_on=rng.choice((None, _day(rng))))
            elif u < 0.15:
                kw.update(status="moved_out")
            elif u < 0.18:
                kw.update(died_on=_day(rng))  # a death not yet recorded in the status
            if rng.random() < 0.2:
                kw.update(
                    student=rng.choice(("school", "college")),
                    school_name=rng.choice(("濉溪中学", "一中", None)),
                )
            if rng.random() < 0.1:
                kw.update(employee_insured=True)
            cat = rng.choice((None, None, None, "tekun", "dibao"))
            assess = {
                "subsidy_fen": rng.choice((0, 16000, 32000)) if cat else 0,
                "category": cat,
                "cats": cat or "",
            }
            rid = w.resident(f"x{k}", village, assess, **kw)
            s.execute(
                update(Assessment)
                .where(Assessment.resident_id == rid)
                .values(fiscal_fen=rng.choice((0, 0, 0, 58000)))
            )
            if rng.random() < 0.6:
                w.enroll(
                    rid,
                    dt.date(2020, 11, 1),
                    rng.choice(("import", "payment", "external")),
                    year=2021,
                    itype=rng.choice(("390", "390", "310")),
                    village=village,
                )
            accepted = False  # at most one accepted payment per resident and campaign
            for _ in range(rng.choice((0, 1, 1, 2))):  # cancelled payments, reversed on some day (or not yet)
                day = _day(rng)
                status = "refunded" if accepted or rng.random() < 0.7 else "accepted"
                accepted = accepted or status == "accepted"
                pid = w.pay(rid, day, status=status)
                w.enroll(rid, day, payment_id=pid, status="cancelled", village=village)
                for _ in range(rng.choice((0, 1, 1, 2))):
                    s.add(
                        Refund(
                            campaign_id=cid, resident_id=rid, payment_id=pid,
                            kind=rng.choice(("refund", "cancellation", "top_up")), amount_fen=rng.choice((100, 32000)),
                            reason="test", status=rng.choice(("paid", "pending", "void")),
                            created_at=stamp(day + dt.timedelta(days=rng.randrange(40))),
                        )
                    )  # fmt: skip
            v = rng.random()
            if v < 0.45 and not accepted:
                accepted = True
                w.paid_enrollment(rid, _day(rng), village)
            elif v < 0.55:
                w.enroll(rid, _day(rng), "subsidy", village=village)
            elif v < 0.65:
                w.enroll(rid, _day(rng), "external", itype=rng.choice(("390", "310")), village="341200")
            elif v < 0.7:
                w.enroll(rid, _day(rng), "external", itype="310", village="341200")
                w.enroll(rid, _day(rng), "external", itype="390", village="341200")
            if rng.random() < 0.05 and not accepted:
                w.pay(rid, _day(rng))  # a payment without an enrollment yet
        s.flush()
        return cid


@pytest.mark.parametrize("seed", [1, 2])
def test_the_sql_state_equals_the_row_level_reference(engine: Engine, seed: int) -> None:
    cid = build_random(engine, seed)
    with session_scope(engine) as s:
        for scope in ("", "340621100", VILLAGE_C):
            frames = read_frames(s, cid, scope)
            for on in DATES:
                rows = weighed_status(frames, on)
                keys = ("village", "school", "subsidy_category", "subsidy_pos", "fiscal_zero", "first_day")
                grouped = grouped_status(s, cid, on, scope, keys)
                cols = [*keys, *FLAGS]
                ref = (
                    rows.group_by(cols)
                    .agg(pl.col("n").sum(), pl.col("subsidy_fen").sum())
                    .sort(cols, nulls_last=True)
                )
                assert grouped.sort(cols, nulls_last=True).to_dicts() == ref.to_dicts()
                assert ref.get_column("n").sum() == frames.residents.height
                # the lists read the same state, one row per resident still to enroll
                todo = status_at(frames, on).filter(
                    pl.col("alive") & ~pl.col("enrolled") & ~pl.col("employee") & ~pl.col("elsewhere")
                )
                want = todo.select("rid", "village", "categories", "individual_fen", "last_status").sort(
                    "rid"
                )
                assert resident_rows(s, cid, on, scope).sort("rid").to_dicts() == want.to_dicts()
        # the data exercises what it is meant to
        mid = weighed_status(read_frames(s, cid), DATES[2])
        for flag in ("enrolled", "paid", "subsidised", "employee", "elsewhere", "last_year"):
            assert mid.filter(mid[flag]).height > 0, flag
        assert mid.filter(~mid["alive"]).height > 0
        statuses = set(status_at(read_frames(s, cid), DATES[2]).get_column("last_status"))
        assert {"上年已参保", "上年未参保"} <= statuses
