"""Progress from the database, checked against the hand-counted world in world.py (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine
from world import TOWN_BAISHAN, TOWN_SUIXI, VILLAGE_A, VILLAGE_B, VILLAGE_C, build_suixi

from urrbmi.db.session import session_scope
from urrbmi.targets.counting import burnup, composition, progress

D = dt.date(2021, 11, 15)


def counts(row: object) -> tuple[int, ...]:
    return tuple(
        getattr(row, f)
        for f in ("registry", "enrolled", "paid", "subsidised", "employee", "elsewhere", "last_year_enrolled")
    )


def test_village_progress_at_a_date(engine: Engine) -> None:
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        rep = progress(s, cid, on=D, level="village")
    assert rep.target_rate == Decimal("0.99")  # the policy's county-wide rate
    rows = {r.unit: r for r in rep.rows}
    # A: r1..r5 alive; enrolled r1 (paid) and r3 (subsidy); r4 employee; last year r1, r2
    assert counts(rows[VILLAGE_A]) == (5, 2, 1, 1, 1, 0, 2)
    # B: r7 died before D (out); r6 paid 11-05, cancelled only on 12-01; r8 insured elsewhere
    assert counts(rows[VILLAGE_B]) == (2, 1, 1, 0, 0, 1, 0)
    assert counts(rows[VILLAGE_C]) == (2, 1, 1, 0, 0, 0, 1)
    a, b, c = rows[VILLAGE_A].progress, rows[VILLAGE_B].progress, rows[VILLAGE_C].progress
    assert (a.base, a.required, a.remaining, a.rate) == (4, 4, 2, Decimal("0.5"))  # base 5 - employee
    assert (b.base, b.required, b.remaining, b.rate) == (1, 1, 0, Decimal(1))  # base 2 - elsewhere
    assert (c.base, c.required, c.remaining) == (2, 2, 1)
    assert (a.rank, b.rank, c.rank) == (2, 1, 2)  # exact tie at 50%
    assert a.last_year_rate == Decimal("0.5") and a.rate_change == Decimal(0)
    assert [r.unit for r in rep.rows] == [VILLAGE_B, VILLAGE_A, VILLAGE_C]
    assert rep.rows[1].name == "濉溪东社区"
    assert rep.total is not None
    assert counts(rep.total) == (9, 4, 3, 1, 1, 1, 3)
    assert (rep.total.progress.required, rep.total.progress.remaining) == (7, 3)


def test_the_same_data_at_other_dates(engine: Engine) -> None:
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        later = {r.unit: r for r in progress(s, cid, on=dt.date(2021, 12, 31), level="village").rows}
        early = {r.unit: r for r in progress(s, cid, on=dt.date(2021, 11, 1), level="village").rows}
    assert counts(later[VILLAGE_A])[:3] == (5, 3, 2)  # r2 paid on 11-20
    assert counts(later[VILLAGE_B])[:3] == (2, 0, 0)  # r6 cancelled on 12-01
    # on 11-01 r7 was alive and enrolled, r6 had not yet paid
    assert counts(early[VILLAGE_B])[:3] == (3, 1, 1)
    assert counts(early[VILLAGE_A])[:3] == (5, 2, 1)


def test_town_and_county_levels_and_scope(engine: Engine) -> None:
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        towns = {r.unit: r for r in progress(s, cid, on=D, level="town").rows}
        county = progress(s, cid, on=D, level="county").rows
        scoped = progress(s, cid, on=D, level="village", scope=TOWN_BAISHAN).rows
        outside = progress(s, cid, on=D, level="village", scope="5001").rows
    assert set(towns) == {TOWN_SUIXI, TOWN_BAISHAN}
    assert counts(towns[TOWN_SUIXI]) == (7, 3, 2, 1, 1, 1, 2)
    assert towns[TOWN_SUIXI].name == "濉溪镇"
    assert [counts(r) for r in county] == [(9, 4, 3, 1, 1, 1, 3)]
    assert [r.unit for r in scoped] == [VILLAGE_C]
    assert outside == ()


def test_school_level_counts_students_at_their_school(engine: Engine) -> None:
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        rep = progress(s, cid, on=D, level="school", target_rate=Decimal(1))
    assert [(r.unit, r.registry, r.enrolled, r.progress.remaining) for r in rep.rows] == [
        ("濉溪中学", 2, 1, 1)
    ]


def test_burnup_and_composition(engine: Engine) -> None:
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        points = burnup(s, cid, on=D)
        comp = composition(s, cid, on=D)
    d = dt.date
    assert points == [(d(2021, 10, 10), 1), (d(2021, 10, 15), 2), (d(2021, 11, 1), 3), (d(2021, 11, 5), 4)]
    assert comp == {"特困人员": 1, "普通居民": 3}


def test_one_request_counts_the_residents_once(engine: Engine) -> None:
    """Issue 18 item 7: progress at every level, burn-up, composition and funding for one
    (campaign, date, scope) read the residents' state in one pass, not one per report; a write
    in the session makes the next report count again, so it shows the write."""
    from sqlalchemy import event, select
    from world import World

    from urrbmi.db.models import Resident
    from urrbmi.targets.reports import funding_report

    cid, numbers = build_suixi(engine)
    passes: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        low = statement.lower()
        if "from residents" in low and "enrollments" in low and "group by" in low:
            passes.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with session_scope(engine) as s:
            for level in ("county", "town", "village"):
                progress(s, cid, on=D, level=level)
            burnup(s, cid, on=D)
            composition(s, cid, on=D)
            funding_report(s, cid, on=D)
            assert len(passes) == 1
            before = {r.unit: r.enrolled for r in progress(s, cid, on=D, level="village").rows}
            r5 = s.scalar(select(Resident.id).where(Resident.id_number == numbers["r5"]))
            assert r5 is not None
            w = World(s, cid, 2022)
            w.ref = 100  # references after the world's own
            w.paid_enrollment(r5, D, VILLAGE_A)
            s.flush()
            after = {r.unit: r.enrolled for r in progress(s, cid, on=D, level="village").rows}
            assert len(passes) == 2
            assert after[VILLAGE_A] == before[VILLAGE_A] + 1
    finally:
        event.remove(engine, "before_cursor_execute", seen)
