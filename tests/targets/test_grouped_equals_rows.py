"""The resident's state as defined in SQL (counted by ``grouped_status``, listed by
``resident_rows``) equals the row-level reference of tests/support/reference.py (every resident
read, flags decided in Polars) on a randomized database, on SQLite and PostgreSQL: cancellations
and refunds before and after the date, deaths, moves, students, employee insurance, insurance
elsewhere, several enrollments per resident."""

from __future__ import annotations

import polars as pl
import pytest
from random_campaign import DATES, build_random
from reference import read_frames, status_at, weighed_status
from sqlalchemy import Engine
from world import VILLAGE_C

from urrbmi.db.session import session_scope
from urrbmi.targets.counting import FLAGS, grouped_status, resident_rows, todo_page


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
                # a page of it, from the state kept as data, in the lists' order; and of those
                # whose assessment names an identity
                ordered = want.sort(["village", "rid"])
                for offset, limit in ((3, 7), (0, 60), (max(ordered.height - 4, 0), 7), (ordered.height, 5)):
                    total, part = todo_page(s, cid, on, scope, limit=limit, offset=offset)
                    want_page = ordered.slice(offset, limit).to_dicts()  # across villages too
                    assert (total, part.to_dicts()) == (ordered.height, want_page)
                named = ordered.filter(
                    pl.col("categories").fill_null("").str.split(",").list.contains("tekun")
                )
                total, part = todo_page(s, cid, on, scope, limit=5, offset=0, categories=["tekun", "no_such"])
                assert (total, part.to_dicts()) == (named.height, named.head(5).to_dicts())
        # the data exercises what it is meant to
        mid = weighed_status(read_frames(s, cid), DATES[2])
        for flag in ("enrolled", "paid", "subsidised", "employee", "elsewhere", "last_year"):
            assert mid.filter(mid[flag]).height > 0, flag
        assert mid.filter(~mid["alive"]).height > 0
        statuses = set(status_at(read_frames(s, cid), DATES[2]).get_column("last_status"))
        assert {"上年已参保", "上年未参保"} <= statuses
