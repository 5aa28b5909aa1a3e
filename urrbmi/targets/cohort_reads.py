"""Counting from the state kept as data (:mod:`urrbmi.targets.cohorts`): the signed rows of the
cohorts that hold a date, summed by any keys (:func:`cohort_counts`). At a date on or after the
build's horizon (such as today) the cohorts as they stand are read instead of every stretch of
days (a few thousand rows, not ~10^5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, String, and_, false, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from urrbmi.db.models import Campaign, Resident
from urrbmi.db.models_state import StateBuild, StateCohort, StateSchoolCohort, StateSegment
from urrbmi.targets.cohorts import COHORT_TABLES, Pending, live_at, pending_residents, prepare
from urrbmi.targets.state import in_prefix
from urrbmi.targets.store import region_prefix


def holds(table: Any, on: dt.date) -> Any:
    """SQL: the stretch of days of a segment or cohort row of ``table`` holds ``on``."""
    return and_(table.c.day_from <= on, or_(table.c.day_to.is_(None), table.c.day_to > on))


def names_one_of(listed: Any, codes: Sequence[str]) -> Any:
    """SQL: the comma-joined identity codes ``listed`` (an assessment's ``categories``) name one of
    ``codes`` (exactly: LIKE's wildcards in a code are escaped)."""
    padded = literal(",") + func.coalesce(listed, "") + literal(",")
    return or_(false(), *(padded.contains(f",{code},", autoescape=True) for code in codes))


def now_table(session: Session, c: Campaign, on: dt.date, needed: set[str], flags: Mapping[str, int]) -> Any:
    """The table of the cohorts as they stand that can count ``needed`` (columns) with ``flags``
    at ``on``, or None: only on or after the build's horizon (the last day any kept segment starts,
    such as today), where the open segments are exactly those that hold ``on``."""
    build = session.get(StateBuild, c.id)
    if build is None or build.horizon is None or on < build.horizon:
        return None
    for table, keys, _counted, fixed in COHORT_TABLES[2:]:
        if needed <= set(keys) and all(flags.get(k) == v for k, v in fixed.items()):
            return table
    return None


def cohort_rows(
    session: Session,
    c: Campaign,
    on: dt.date,
    prefix: str,
    keys: Sequence[str],
    *,
    flags: Mapping[str, int] | None = None,
    categories: Sequence[str] | None = None,
    pending: Pending | None = None,
    sums: Sequence[str] = ("subsidy_fen",),
) -> Any:
    """SQL: the signed rows that, summed by ``keys``, count the residents of ``prefix`` at ``on``
    (columns ``keys``, ``n`` and the ``sums``): :func:`cohort_counts` before the grouping, for a
    caller that groups them several ways at once."""
    pending = prepare(session, c) if pending is None else pending
    whole = prefix == region_prefix(session, c.region_code)
    needed = {*keys, *(flags or {}), *(("categories",) if categories is not None else ())}
    now = None if pending == "all" else now_table(session, c, on, needed, flags or {})
    kept: tuple[tuple[Any, int, str | None], ...] = (
        () if pending == "all" else ((now or StateCohort, 1, None),)
    )
    if "school" in keys and pending != "all":
        kept += ((StateSchoolCohort, -1, None), (StateSchoolCohort, 1, "school"))
    parts = []
    if pending != "none":  # the residents still marked (or all), as they stand
        mine = Resident.id.in_(pending_residents(c)) if pending == "some" else literal(True)
        live = live_at(session, c, prefix, on, mine, [*{*keys, *(flags or {}), "categories", *sums}])
        parts.append(
            select(
                *(live.c[k].label(k) for k in keys),
                literal(1).label("n"),
                *(live.c[k].label(k) for k in sums),
            ).where(
                *(live.c[f] == v for f, v in (flags or {}).items()),
                *(() if categories is None else (names_one_of(live.c.categories, categories),)),
            )
        )
    if pending == "some":  # less their segments as kept
        seg = StateSegment.__table__
        parts.append(
            select(
                *(seg.c[k].label(k) for k in keys),
                literal(-1).label("n"),
                *((-seg.c[k]).label(k) for k in sums),
            ).where(
                seg.c.campaign_id == c.id,
                seg.c.resident_id.in_(pending_residents(c)),
                holds(seg, on),
                *(() if whole else (in_prefix(seg.c.village, prefix),)),
                *(seg.c[f] == v for f, v in (flags or {}).items()),
                *(() if categories is None else (names_one_of(seg.c.categories, categories),)),
            )
        )
    for table, sign, school in kept:
        t = table.__table__
        parts.append(
            select(
                *(
                    (t.c.school if school else literal(None, String(200))).label(k)
                    if k == "school"
                    else t.c[k].label(k)
                    for k in keys
                ),
                (t.c.n * sign).label("n"),
                *((t.c[k] * sign).label(k) for k in sums),
            ).where(
                t.c.campaign_id == c.id,
                *(() if table is now else (holds(t, on),)),
                *(() if whole else (in_prefix(t.c.village, prefix),)),
                *(t.c[f] == v for f, v in (flags or {}).items()),
                *(() if categories is None else (names_one_of(t.c.categories, categories),)),
            )
        )
    either: Any = parts[0] if len(parts) == 1 else union_all(*parts)
    return either.subquery("at")


def cohort_counts(
    session: Session,
    c: Campaign,
    on: dt.date,
    prefix: str,
    keys: Sequence[str],
    *,
    flags: Mapping[str, int] | None = None,
    categories: Sequence[str] | None = None,
    pending: Pending | None = None,
    sums: Sequence[str] = ("subsidy_fen",),
) -> list[tuple[Any, ...]]:
    """The residents of ``prefix`` counted at ``on`` by ``keys`` (columns of
    :data:`~urrbmi.db.models_state.STATE_COLUMNS`), of those whose flags have the values in
    ``flags``: rows of the keys' values, ``n`` and the ``sums`` (of
    :data:`~urrbmi.db.models_state.STATE_SUMS`), as :func:`resident_state` grouped would give
    them; with ``categories``, only those whose assessment names one of these identity codes.
    Brought up to date first (:func:`prepare`, unless the caller did: ``pending``).

    By ``school``: the students' cohorts by school, and everyone else's (school NULL) as the
    cohorts by village less the students'. Residents still marked (a SQLite reader): their old
    segments subtracted, their state as it stands added."""
    u = cohort_rows(
        session, c, on, prefix, keys, flags=flags, categories=categories, pending=pending, sums=sums
    )
    group = [u.c[k] for k in keys]
    q = (
        select(*group, func.sum(u.c.n).cast(BigInteger), *(func.sum(u.c[k]).cast(BigInteger) for k in sums))
        .group_by(*group)
        .having(func.sum(u.c.n) != 0)
    )
    return [tuple(r) for r in session.execute(q)]


def locate(by_village: Sequence[tuple[str, int]], offset: int, limit: int) -> tuple[int, list[str], int]:
    """From the rows of each village (in the list's order): the total, the villages rows
    ``offset`` … ``offset + limit`` fall in, and how many rows come before the first of them."""
    total = start = before = 0
    villages: list[str] = []
    for village, n in by_village:
        if start + n > offset and start < offset + limit:
            before = before if villages else start
            villages.append(village)
        start += n
    total = start
    return total, villages, before
