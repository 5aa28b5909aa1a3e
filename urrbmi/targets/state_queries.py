"""Queries over :func:`urrbmi.targets.state.resident_state`: counts grouped in the database
(:func:`grouped_status`; :func:`state_summary`, one pass per date and scope shared by progress,
burn-up, composition and funding), the residents still to enroll (:func:`resident_rows`) and
the money collected (:func:`collected_fen`). Every function takes ``scope``, a region-code prefix
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
    case,
    event,
    func,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from urrbmi.db.models import Payment, Refund, RefundStatus, Resident
from urrbmi.db.models_state import StateSegment
from urrbmi.errors import InvalidInput
from urrbmi.targets.cohorts import cohort_counts, holds, live_at, names_one_of, pending_residents, prepare
from urrbmi.targets.state import (
    _KEY_TYPES,
    FLAGS,
    KEYS,
    REVERSING,
    _date_value,
    _next_day,
    effective_prefix,
    resident_state,
)
from urrbmi.targets.store import campaign_or_fail


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

    * ``by_village``: ``village`` and the flags (:data:`FLAGS`) with ``n`` residents and
      ``subsidy_fen``, the frame :func:`grouped_status` gives for ``("village",)``: progress
      by village, and by town and county rolled up through the region tree;
    * ``by_category``: residents alive and enrolled, by ``subsidy_category``, ``subsidy_pos``,
      ``fiscal_zero`` and ``paid``, with ``n`` and ``subsidy_fen`` (composition, funding);
    * ``by_day``: residents alive and enrolled by ``first_day`` with ``n`` (burn-up)."""

    by_village: pl.DataFrame
    by_category: pl.DataFrame
    by_day: pl.DataFrame


_CACHE = "urrbmi.targets.state_summary"
_CAT_KEYS = ("subsidy_category", "subsidy_pos", "fiscal_zero", "paid")


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
    vil_schema.update({"n": pl.Int64, "subsidy_fen": pl.Int64})
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
        vil = cohort_counts(session, c, on, prefix, ["village", *FLAGS], pending=pending)
        counted = {"alive": 1, "enrolled": 1}
        cat = cohort_counts(session, c, on, prefix, _CAT_KEYS, flags=counted, pending=pending)
        day = [
            (_date_value(first), count)
            for first, count, _fen in cohort_counts(
                session, c, on, prefix, ["first_day"], flags=counted, pending=pending
            )
            if first is not None
        ]
    vil_frame, cat_frame = _frame(vil, vil_schema), _frame(cat, cat_schema)
    out = StateSummary(vil_frame, cat_frame, _frame(day, day_schema))
    _watch(session)
    session.info.setdefault(_CACHE, {})[key] = out  # (the refresh's writes dropped the old dict)
    return out


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
    total = sum(n for _v, n in by_village)
    start, before = 0, 0
    villages: list[str] = []
    for village, n in by_village:
        if start + n > offset and start < offset + limit:
            before = before if villages else start  # rows ahead of the first village read
            villages.append(village)
        start += n
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


def collected_fen(session: Session, campaign_id: int, on: dt.date, scope: str = "") -> int:
    """Individual contributions collected at ``on``, in fen: payments (accepted, or refunded later)
    made by ``on`` less refunds and cancellations done by ``on`` (a payment's done refunds count
    once the last of them is done), summed in SQL."""
    c = campaign_or_fail(session, campaign_id)
    prefix = effective_prefix(session, c, scope)
    if prefix is None:
        return 0
    done = (
        select(
            Refund.payment_id,
            func.sum(Refund.amount_fen).label("done_fen"),
            func.max(Refund.created_at).label("done_at"),
        )
        .where(Refund.campaign_id == c.id, Refund.kind.in_(REVERSING), Refund.status == RefundStatus.PAID)
        .group_by(Refund.payment_id)
        .subquery()
    )
    q = (
        select(
            func.sum(case((Payment.paid_on <= on, Payment.amount_fen), else_=0)).cast(BigInteger),
            func.sum(case((done.c.done_at < _next_day(on), done.c.done_fen), else_=0)).cast(BigInteger),
        )
        .join(Resident, Resident.id == Payment.resident_id)
        .outerjoin(done, done.c.payment_id == Payment.id)
        .where(
            Resident.region_code.like(f"{prefix}%"),
            Payment.campaign_id == c.id,
            Payment.status.in_(("accepted", "refunded")),
        )
    )
    made, back = session.execute(q).one()
    return int(made or 0) - int(back or 0)
