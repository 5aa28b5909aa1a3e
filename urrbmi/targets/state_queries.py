"""Queries over :func:`urrbmi.targets.state.resident_state`: counts grouped in the database
(:func:`grouped_status`; :func:`state_summary`, one pass per date and scope shared by progress,
burn-up, composition and funding, the money collected among its sums), the residents still to
enroll (:func:`resident_rows`, :func:`todo_page`) and the unpaid (:func:`unpaid_at`, the
campaign's whole region). The others take ``scope``, a region-code prefix
("" = everything the campaign covers), applied in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    and_,
    event,
    func,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from urrbmi.db.dialect import is_postgres
from urrbmi.db.models import Campaign, Resident
from urrbmi.db.models_state import StateSegment
from urrbmi.errors import InvalidInput
from urrbmi.targets.cohort_reads import cohort_counts, cohort_rows, holds, locate, names_one_of, now_table
from urrbmi.targets.cohorts import Pending, live_at, pending_residents, prepare
from urrbmi.targets.state import (
    _KEY_TYPES,
    FLAGS,
    KEYS,
    _date_value,
    effective_prefix,
    resident_state,
)
from urrbmi.targets.store import campaign_or_fail, region_prefix


def grouped_status(
    session: Session, campaign_id: int, on: dt.date, scope: str = "", keys: tuple[str, ...] = ("village",)
) -> pl.DataFrame:
    """:func:`resident_state` at ``on`` grouped by ``keys`` (from :data:`KEYS`) and the flags
    (:data:`FLAGS`): one row per group with ``n`` residents and ``subsidy_fen`` (their
    assessments' subsidies summed). Only ~10^4-10^5 groups travel instead of a row per resident.

    Keys: ``village`` (region code), ``school`` (students only, else null), ``subsidy_category``,
    ``subsidy_pos`` (assessed subsidy > 0), ``fiscal_zero`` (no fiscal portion of one's own),
    ``first_day`` (earliest of our resident-scheme enrollments of the year registered by ``on``,
    whatever its status: the burn-up day)."""
    bad = [k for k in keys if k not in KEYS]
    if bad:
        raise InvalidInput(f"未知的分组：{bad}", f"unknown grouping keys: {bad}")
    c = campaign_or_fail(session, campaign_id)
    prefix = effective_prefix(session, c, scope)
    schema: dict[str, Any] = {k: _KEY_TYPES[k] for k in keys}
    schema.update(dict.fromkeys(FLAGS, pl.Boolean))
    schema.update({"n": pl.Int64, "subsidy_fen": pl.Int64})
    if prefix is None:
        return pl.DataFrame(schema=schema)
    names = [*keys, *FLAGS]
    rows = [
        tuple(_date_value(v) if k == "first_day" else v for k, v in zip(schema, r, strict=True))
        for r in cohort_counts(session, c, on, prefix, names)
    ]
    frame = pl.DataFrame(
        rows, schema={k: (pl.Int64 if v == pl.Boolean else v) for k, v in schema.items()}, orient="row"
    )
    return frame.with_columns(pl.col(k).cast(pl.Boolean) for k, v in schema.items() if v == pl.Boolean)


# --- one pass for every report of a day (issue 18 item 7) -------------------------------------


@dataclass(frozen=True)
class StateSummary:
    """:func:`resident_state` at one date in one scope, counted three ways in one pass over the
    residents (:func:`state_summary`):

    * ``by_village``: ``village`` and the flags (:data:`FLAGS`) with ``n`` residents,
      ``subsidy_fen`` and ``collected_fen`` (the money they paid by then,
      :func:`~urrbmi.targets.state.money_events`),
      the frame :func:`grouped_status` gives for ``("village",)`` with the money besides:
      progress by village, and by town and county rolled up through the region tree;
    * ``by_category``: residents alive and enrolled, by ``subsidy_category``, ``subsidy_pos``,
      ``fiscal_zero`` and ``paid``, with ``n`` and ``subsidy_fen`` (composition, funding);
    * ``by_day``: residents alive and enrolled by ``first_day`` with ``n`` (burn-up)."""

    by_village: pl.DataFrame
    by_category: pl.DataFrame
    by_day: pl.DataFrame


_CACHE = "urrbmi.targets.state_summary"
_CAT_KEYS = ("subsidy_category", "subsidy_pos", "fiscal_zero", "paid")
_COUNTED = {"alive": 1, "enrolled": 1}  # the composition and the burn-up count these


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_CACHE, None)


def _forget_on_write(state: Any) -> None:
    if not state.is_select:
        state.session.info.pop(_CACHE, None)


def _watch(session: Session) -> None:
    """Drop the session's cached summaries whenever it may have changed the ledger: a flush, a
    commit or rollback, or any statement other than a SELECT."""
    if event.contains(session, "after_flush", _forget):
        return
    for name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
        event.listen(session, name, _forget)
    event.listen(session, "do_orm_execute", _forget_on_write)


def state_summary(session: Session, campaign_id: int, on: dt.date, scope: str = "") -> StateSummary:
    """The residents' state at ``on`` in ``scope``, counted by village, by subsidy category and by
    burn-up day from the state kept as data (:func:`~urrbmi.targets.cohorts.cohort_counts`:
    :func:`resident_state` evaluated where its inputs change, counted; brought up to date
    first). Kept on the session for the next report of the same (campaign,
    date, scope) until the session writes, so a request that asks for progress, burn-up,
    composition and funding counts once."""
    c = campaign_or_fail(session, campaign_id)
    prefix = effective_prefix(session, c, scope)
    key = (c.id, on, prefix)
    cached: StateSummary | None = session.info.get(_CACHE, {}).get(key)
    if cached is not None:
        return cached
    vil_schema: dict[str, Any] = {"village": pl.Utf8, **dict.fromkeys(FLAGS, pl.Boolean)}
    vil_schema.update({"n": pl.Int64, "subsidy_fen": pl.Int64, "collected_fen": pl.Int64})
    cat_schema: dict[str, Any] = {
        "subsidy_category": pl.Utf8,
        "subsidy_pos": pl.Boolean,
        "fiscal_zero": pl.Boolean,
        "paid": pl.Boolean,
        "n": pl.Int64,
        "subsidy_fen": pl.Int64,
    }
    day_schema: dict[str, Any] = {"first_day": pl.Date, "n": pl.Int64}
    vil: list[tuple[Any, ...]] = []
    cat: list[tuple[Any, ...]] = []
    day: list[tuple[Any, ...]] = []
    if prefix is not None:  # three groupings of the kept state; the last two of those counted
        pending = prepare(session, c)
        money = ("subsidy_fen", "collected_fen")
        if is_postgres(session):
            vil, cat, day = _three_at_once(session, c, on, prefix, pending)
        else:
            vil = cohort_counts(session, c, on, prefix, ["village", *FLAGS], pending=pending, sums=money)
            cat = cohort_counts(session, c, on, prefix, _CAT_KEYS, flags=_COUNTED, pending=pending)
            day = _burnup_days(session, c, on, prefix, pending)
    vil_frame, cat_frame = _frame(vil, vil_schema), _frame(cat, cat_schema)
    out = StateSummary(vil_frame, cat_frame, _frame(day, day_schema))
    _watch(session)
    session.info.setdefault(_CACHE, {})[key] = out  # (the refresh's writes dropped the old dict)
    return out


def _burnup_days(
    session: Session, c: Campaign, on: dt.date, prefix: str, pending: Pending
) -> list[tuple[Any, ...]]:
    """(burn-up day, residents alive and enrolled) at ``on``."""
    rows = cohort_counts(session, c, on, prefix, ["first_day"], flags=_COUNTED, pending=pending)
    return [(_date_value(first), n) for first, n, _fen in rows if first is not None]


def _three_at_once(
    session: Session, c: Campaign, on: dt.date, prefix: str, pending: Pending
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """:func:`state_summary`'s three groupings in one pass over the cohorts (PostgreSQL's
    GROUPING SETS; ``grouping()`` of a set's own key is 0 in that set's rows): the rows by
    village; by subsidy category and by burn-up day, of those alive and enrolled. On or after the
    horizon (the cohorts as they stand: :func:`~urrbmi.targets.cohort_reads.now_table`), the first
    two in one pass and the burn-up days from their own table."""
    by_village, by_category = ("village", *FLAGS), (*_CAT_KEYS, "alive", "enrolled")
    sets = [by_village, by_category]
    day: list[tuple[Any, ...]] = []
    if now_table(session, c, on, {*by_village, *by_category}, {}) is not None:
        day = _burnup_days(session, c, on, prefix, pending)
    else:
        sets.append(("first_day", "alive", "enrolled"))
    cols = list(dict.fromkeys(k for keys in sets for k in keys))
    sums = ("n", "subsidy_fen", "collected_fen")
    u = cohort_rows(session, c, on, prefix, cols, pending=pending, sums=sums[1:])
    q = (
        select(
            func.grouping(u.c.village),
            func.grouping(u.c.subsidy_category),
            *(u.c[k] for k in cols),
            *(func.sum(u.c[k]).cast(BigInteger) for k in sums),
        )
        .group_by(func.grouping_sets(*(tuple_(*(u.c[k] for k in keys)) for keys in sets)))
        .having(func.sum(u.c.n) != 0)
    )
    vil: list[tuple[Any, ...]] = []
    cat: list[tuple[Any, ...]] = []
    for not_village, not_category, *values in session.execute(q):
        r = dict(zip([*cols, *sums], values, strict=True))
        if not not_village:
            vil.append(tuple(r[k] for k in (*by_village, *sums)))
        elif r["alive"] == 1 and r["enrolled"] == 1:
            if not not_category:
                cat.append(tuple(r[k] for k in (*_CAT_KEYS, "n", "subsidy_fen")))
            elif r["first_day"] is not None:
                day.append((_date_value(r["first_day"]), r["n"]))
    return vil, cat, day


def _frame(rows: list[tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    """Rows of 0/1 flags as a frame with those columns Boolean."""
    raw = {k: (pl.Int64 if v == pl.Boolean else v) for k, v in schema.items()}
    frame = pl.DataFrame(rows, schema=raw, orient="row")
    return frame.with_columns(pl.col(k).cast(pl.Boolean) for k, v in schema.items() if v == pl.Boolean)


_ROW_SCHEMA: dict[str, Any] = {
    "rid": pl.Int64,
    "village": pl.Utf8,
    "categories": pl.Utf8,
    "individual_fen": pl.Int64,
    "last_status": pl.Utf8,
}


def resident_rows(session: Session, campaign_id: int, on: dt.date, scope: str = "") -> pl.DataFrame:
    """Residents still to enroll at ``on`` (alive, not enrolled, neither employee-insured nor
    insured elsewhere, by :func:`resident_state`), one row each with the columns the lists show:
    ``rid``, ``village``, ``categories``, ``individual_fen``, ``last_status``."""
    c = campaign_or_fail(session, campaign_id)
    prefix = effective_prefix(session, c, scope)
    if prefix is None:
        return pl.DataFrame(schema=_ROW_SCHEMA)
    flags = ("alive", "enrolled", "employee", "elsewhere")
    st = resident_state(session, c, prefix, on, columns=[*_ROW_SCHEMA, *flags])
    # filtered in SQL, on top of the per-resident grouping (which the filter cannot enter, so
    # PostgreSQL cannot re-run an aggregate per resident, as it did with the former shape)
    q = select(*(st.c[k] for k in _ROW_SCHEMA)).where(
        st.c.alive == 1, st.c.enrolled == 0, st.c.employee == 0, st.c.elsewhere == 0
    )
    return pl.DataFrame([tuple(r) for r in session.execute(q)], schema=_ROW_SCHEMA, orient="row")


def todo_page(
    session: Session,
    campaign_id: int,
    on: dt.date,
    scope: str = "",
    *,
    limit: int,
    offset: int,
    categories: Sequence[str] | None = None,
) -> tuple[int, pl.DataFrame]:
    """One page of :func:`resident_rows` (in the order village, resident), and how many rows all
    the pages hold, without reading the others: the residents still to enroll at ``on`` are found
    in the state kept as data (:mod:`urrbmi.targets.cohorts`, brought up to date first), and
    only the page's residents are read through :func:`resident_state` for the columns the lists
    show. ``categories``: only residents whose assessment names one of these identity codes."""
    c = campaign_or_fail(session, campaign_id)
    prefix = effective_prefix(session, c, scope)
    if prefix is None:
        return 0, pl.DataFrame(schema=_ROW_SCHEMA)
    todo = {"alive": 1, "enrolled": 0, "employee": 0, "elsewhere": 0}
    pending = prepare(session, c)
    # how many in each village (from the cohorts): the total, and the villages the page spans
    by_village = sorted(
        (v, int(n))
        for v, n, _fen in cohort_counts(
            session, c, on, prefix, ["village"], flags=todo, categories=categories, pending=pending
        )
    )
    total, villages, before = locate(by_village, offset, limit)
    seg = StateSegment
    page: list[int] = []
    if villages:  # read from those villages only, in the lists' order (village, resident)
        found: list[Any] = []
        if pending != "all":
            found.append(
                select(seg.resident_id.label("rid"), seg.village.label("village")).where(
                    seg.campaign_id == c.id,
                    seg.village.in_(villages),
                    holds(seg.__table__, on),
                    *(seg.__table__.c[f] == v for f, v in todo.items()),
                    *(() if categories is None else (names_one_of(seg.categories, categories),)),
                    *((seg.resident_id.not_in(pending_residents(c)),) if pending == "some" else ()),
                )
            )
        if pending != "none":  # the residents still marked, as they stand (a SQLite reader)
            mine = Resident.id.in_(pending_residents(c)) if pending == "some" else true()
            there = and_(mine, Resident.region_code.in_(villages))
            live = live_at(session, c, prefix, on, there, ["village", *todo, "categories"])
            found.append(
                select(live.c.rid, live.c.village).where(
                    *(live.c[f] == v for f, v in todo.items()),
                    *(() if categories is None else (names_one_of(live.c.categories, categories),)),
                )
            )
        either: Any = found[0] if len(found) == 1 else union_all(*found)
        rows = either.subquery("found")
        q = select(rows.c.rid).order_by(rows.c.village, rows.c.rid).offset(offset - before).limit(limit)
        page = list(session.scalars(q))
    if not page:
        return total, pl.DataFrame(schema=_ROW_SCHEMA)
    st = live_at(session, c, prefix, on, Resident.id.in_(page), [k for k in _ROW_SCHEMA if k != "rid"])
    rows = {r[0]: tuple(r) for r in session.execute(select(*(st.c[k] for k in _ROW_SCHEMA)))}
    return total, pl.DataFrame([rows[rid] for rid in page], schema=_ROW_SCHEMA, orient="row")


def unpaid_at(session: Session, c: Campaign, on: dt.date) -> tuple[int, int]:
    """Residents of campaign ``c`` still unpaid at ``on`` (alive, an amount due in the assessment,
    not enrolled, by :func:`resident_state`) and the fen they owe, from the state kept as data."""
    prefix = region_prefix(session, c.region_code)
    rows = cohort_counts(
        session, c, on, prefix, [], flags={"alive": 1, "enrolled": 0, "due": 1}, sums=("due_fen",)
    )
    return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)
