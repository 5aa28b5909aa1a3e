"""A resident's state kept as data (issue 18 item 7): counts at any date without re-reading every
resident (tables in :mod:`urrbmi.db.models_state`; docs/targets.md, "State kept as data").

The definition stays one: :func:`urrbmi.targets.state.resident_state`. A resident's inputs change
on a few days only (the sentinel "from the start", the days its enrollments were registered, its
payments made, a payment reversed, its death), so its state is constant between them. That
definition is evaluated for each resident on each of those days (:func:`_days`): the resident's
**segments**, kept in ``state_segments``; their counts by every key and flag, for each stretch of
days, are the **cohorts** (``state_cohorts``), a few rows per village and day. Counting at a date
sums the cohorts whose stretch holds it (:func:`cohort_counts`): ~10^4-10^5 rows, not 10^6.

Kept up to date by :func:`refresh`, which every count calls first, in the caller's transaction:
database triggers mark each resident a write touches (``state_marks``); the refresh takes the
marks, subtracts those residents' old segments from the cohorts and adds their new ones. A bulk
write (a mark for the whole campaign, or more residents than :data:`REBUILD_AT`) rebuilds the
campaign. Concurrent refreshes of one campaign queue on a transaction lock (PostgreSQL; SQLite
has one writer), and a refresh rolled back with its caller leaves the marks in place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Date,
    String,
    and_,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from urrbmi.db.dialect import analyze, write_count
from urrbmi.db.locks import lock_for_transaction
from urrbmi.db.models import Campaign, Enrollment, Payment, Resident
from urrbmi.db.models_state import (
    STATE_COLUMNS,
    STATE_SUMS,
    StateBuild,
    StateCohort,
    StateMark,
    StateSchoolCohort,
    StateSegment,
)
from urrbmi.registry.audit import now
from urrbmi.targets.state import _reversals, _state_select, in_prefix, money_events
from urrbmi.targets.store import campaign_or_fail, region_prefix

BEGINNING = dt.date(1900, 1, 1)  # the first segment's day: before any input of any campaign
REBUILD_AT = 100_000  # marked residents above which a rebuild is cheaper than one by one
CHUNK = 2_000  # residents refreshed per statement
COMPACT_AT = 20_000  # signed cohort rows added since the last compaction before summing them up
_VALUES = (*STATE_COLUMNS, "subsidy_fen", "due_fen")  # from resident_state; collected_fen besides


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did: ``rebuilt`` the whole campaign, or ``residents`` brought up to date."""

    rebuilt: bool
    residents: int

    @property
    def text(self) -> str:
        """What it did, in Chinese with the English beside it (the CLI's line)."""
        return "全部重建 / rebuilt" if self.rebuilt else f"{self.residents:,} 人 / residents"


def refresh_report(session: Session, campaign_id: int) -> Refreshed:
    """:func:`refresh` for the campaign of id ``campaign_id`` (the CLI's ``targets refresh``)."""
    return refresh(session, campaign_or_fail(session, campaign_id))


def refresh(session: Session, c: Campaign) -> Refreshed:
    """Bring campaign ``c``'s segments and cohorts up to date with every write the caller's
    transaction can see (see the module's docstring)."""
    build = session.get(StateBuild, c.id)
    if (
        build is not None
        and not session.execute(select(StateMark.id).where(StateMark.campaign_id == c.id).limit(1)).first()
    ):
        return Refreshed(False, 0)
    lock_for_transaction(session, "state_cohorts", c.id)
    build = session.get(StateBuild, c.id, populate_existing=True)  # as the previous holder left it
    marks, residents, distinct = session.execute(
        select(
            func.count(), func.count(StateMark.resident_id), func.count(func.distinct(StateMark.resident_id))
        ).where(StateMark.campaign_id == c.id)
    ).one()
    if build is not None and marks == 0:
        return Refreshed(False, 0)
    if build is None or marks != residents or distinct > REBUILD_AT:
        # taken before the rebuild reads, so each mark taken is a write the rebuild sees
        session.execute(delete(StateMark).where(StateMark.campaign_id == c.id))
        _rebuild(session, c, build)
        return Refreshed(True, 0)
    taken = session.execute(
        delete(StateMark).where(StateMark.campaign_id == c.id).returning(StateMark.resident_id)
    ).scalars()
    ids = sorted({int(r) for r in taken if r is not None})
    added = 0
    for i in range(0, len(ids), CHUNK):
        added += _refresh_residents(session, c, build.generation, ids[i : i + CHUNK])
    build.delta_rows += added
    if _compact_due(build):
        _compact(session, c, build)
    session.flush()
    return Refreshed(False, len(ids))


Pending = Literal["none", "some", "all"]


def prepare(session: Session, c: Campaign) -> Pending:
    """Bring campaign ``c``'s counts up to date for a count in this transaction, and say what is
    still pending: ``none``; ``some`` (the residents still marked: counted from their state as it
    stands, :func:`pending_residents`); ``all`` (nothing kept may be used: count live).

    Not ``none`` only on SQLite, for a transaction that only read and that another writer got
    ahead of: SQLite will not let it write (its snapshot is older than the last commit), so it
    counts the marked residents itself (read-only, in its own snapshot) instead of failing."""
    if session.get_bind().dialect.name != "sqlite":
        refresh(session, c)
        return "none"
    try:
        with session.begin_nested():
            refresh(session, c)
        return "none"
    except OperationalError as exc:
        if "locked" not in str(exc.orig):
            raise
    whole = session.execute(
        select(StateMark.id).where(StateMark.campaign_id == c.id, StateMark.resident_id.is_(None)).limit(1)
    ).first()
    return "all" if whole is not None or session.get(StateBuild, c.id) is None else "some"


def pending_residents(c: Campaign) -> Any:
    """SQL: the residents marked for campaign ``c`` (not yet brought up to date)."""
    return select(StateMark.resident_id).where(StateMark.campaign_id == c.id).scalar_subquery()


def live_at(
    session: Session, c: Campaign, prefix: str, on: dt.date, residents: Any, columns: Sequence[str]
) -> Any:
    """:func:`resident_state` at ``on`` of the residents selected by ``residents`` (a condition on
    :class:`Resident`), with ``columns`` and ``rid``: the counts' correction for marked residents."""
    days = select(Resident.id.label("rid"), literal(on, Date).label("day")).where(residents).cte("days")
    return _with_money(session, c, prefix, days, ["rid", *columns]).subquery()


def _with_money(session: Session, c: Campaign, prefix: str, days: Any, columns: Sequence[str]) -> Any:
    """:func:`resident_state` of each (``rid``, ``day``) of ``days`` with ``columns``, where
    ``collected_fen`` (the money the resident paid by that day, :func:`money_events`) may be one."""
    state_cols = [k for k in columns if k != "collected_fen"]
    if "collected_fen" not in columns:
        return _state_select(session, c, prefix, None, state_cols, days=days)
    st = _state_select(session, c, prefix, None, list(dict.fromkeys(["rid", "day", *state_cols])), days=days)
    st = st.subquery("st")
    ev = money_events(c)
    paid = (
        select(days.c.rid, days.c.day, func.sum(ev.c.fen).label("fen"))
        .join(ev, and_(ev.c.rid == days.c.rid, ev.c.day <= days.c.day))
        .group_by(days.c.rid, days.c.day)
        .subquery("paid_by")
    )
    cols = {k: st.c[k] for k in state_cols}
    cols["collected_fen"] = func.coalesce(paid.c.fen, 0)
    return select(*(cols[k].label(k) for k in columns)).select_from(
        st.outerjoin(paid, and_(paid.c.rid == st.c.rid, paid.c.day == st.c.day))
    )


def _compact_due(build: StateBuild) -> bool:
    """Sum the signed rows up once those added since outnumber a quarter of the summed ones (and
    :data:`COMPACT_AT`): the counts then read at most ~1.25 times the rows they need."""
    return build.delta_rows > max(COMPACT_AT, build.base_rows // 4)


def _days(c: Campaign, residents: Any) -> Any:
    """(``rid``, ``day``): the days on which a resident's inputs to the state change, for the
    residents selected by the condition ``residents`` (on :class:`Resident`): the beginning,
    and each day an enrollment of the year was registered, a payment of the campaign made, a
    payment reversed (the resident's, or the one an enrollment of theirs was bought with), and
    the death, and each day the money collected changes (:func:`money_events`)."""
    year = c.benefit_year
    rid, day = Resident.id.label("rid"), literal(BEGINNING, Date).label("day")
    rev = _reversals(c)
    ev = money_events(c)
    parts = [
        select(rid, day).where(residents),
        select(Enrollment.resident_id, Enrollment.enrolled_on)
        .join(Resident, Resident.id == Enrollment.resident_id)
        .where(residents, Enrollment.benefit_year == year),
        select(Payment.resident_id, Payment.paid_on)
        .join(Resident, Resident.id == Payment.resident_id)
        .where(residents, Payment.campaign_id == c.id),
        # the days a payment of theirs, or the payment an enrollment of theirs was bought with, is
        # reversed: the definition's own reversal days (a handful of rows, so that no database
        # loops over the refunds once per enrollment)
        select(Payment.resident_id, rev.c.reversed_day)
        .join(rev, rev.c.payment_id == Payment.id)
        .join(Resident, Resident.id == Payment.resident_id)
        .where(residents, Payment.campaign_id == c.id),
        select(Enrollment.resident_id, rev.c.reversed_day)
        .join(rev, rev.c.payment_id == Enrollment.payment_id)
        .join(Resident, Resident.id == Enrollment.resident_id)
        .where(residents, Enrollment.benefit_year == year),
        select(Resident.id, Resident.died_on).where(residents, Resident.died_on.is_not(None)),
        # the days the money collected changes (payments made, as above; refunds done)
        select(ev.c.rid, ev.c.day).join(Resident, Resident.id == ev.c.rid).where(residents),
    ]
    return union(*parts).cte("days")


def _segments(session: Session, c: Campaign, prefix: str, residents: Any) -> Any:
    """The segments of the residents selected by ``residents``: :func:`resident_state` on each of
    their :func:`_days`, each up to the next (``day_to``)."""
    st = _with_money(session, c, prefix, _days(c, residents), ["rid", "day", *_VALUES, "collected_fen"])
    st = st.subquery("st")
    return select(
        literal(c.id).label("campaign_id"),
        st.c.rid.label("resident_id"),
        st.c.day.label("day_from"),
        func.lead(st.c.day).over(partition_by=st.c.rid, order_by=st.c.day).label("day_to"),
        *(st.c[k] for k in (*_VALUES, "collected_fen")),
    )


_SEG_COLUMNS = ["campaign_id", "resident_id", "day_from", "day_to", *_VALUES, "collected_fen"]
_COHORT_KEYS = ["day_from", "day_to", *(k for k in STATE_COLUMNS if k != "school")]
# the cohorts by village, and the students' by school as well
_COHORTS: tuple[tuple[Any, list[str]], ...] = (
    (StateCohort, _COHORT_KEYS),
    (StateSchoolCohort, [*_COHORT_KEYS, "school"]),
)


def _count_segments(session: Session, c: Campaign, generation: int, where: Any, sign: int) -> int:
    """Add to the cohorts the segments selected by ``where``, counted (times ``sign``); the rows
    written."""
    written = 0
    for table, keys in _COHORTS:
        cols = [StateSegment.__table__.c[k] for k in keys]
        q = (
            select(
                literal(c.id),
                literal(generation),
                (func.count() * sign).cast(BigInteger),
                *((func.sum(StateSegment.__table__.c[k]) * sign).cast(BigInteger) for k in STATE_SUMS),
                *cols,
            )
            .where(
                StateSegment.campaign_id == c.id,
                where,
                *((StateSegment.school.is_not(None),) if table is StateSchoolCohort else ()),
            )
            .group_by(*cols)
        )
        insert_ = insert(table).from_select(["campaign_id", "generation", "n", *STATE_SUMS, *keys], q)
        written += write_count(session, insert_)
    return written


def _rebuild(session: Session, c: Campaign, build: StateBuild | None) -> None:
    prefix = region_prefix(session, c.region_code)
    session.execute(delete(StateSegment).where(StateSegment.campaign_id == c.id))
    for table, _keys in _COHORTS:
        session.execute(delete(table).where(table.campaign_id == c.id))
    scoped = Resident.region_code.like(f"{prefix}%")
    session.execute(insert(StateSegment).from_select(_SEG_COLUMNS, _segments(session, c, prefix, scoped)))
    generation = build.generation + 1 if build is not None else 1
    rows = _count_segments(session, c, generation, literal(True), 1)
    # the planner's statistics of the rewritten tables (PostgreSQL; read concurrently, unblocked)
    analyze(session, "state_segments", "state_cohorts", "state_school_cohorts")
    if build is None:
        build = StateBuild(campaign_id=c.id)
        session.add(build)
    build.built_at, build.generation, build.base_rows, build.delta_rows = now(), generation, rows, 0
    session.flush()


def _refresh_residents(session: Session, c: Campaign, generation: int, ids: Sequence[int]) -> int:
    """Replace the segments of residents ``ids`` (their old ones subtracted from the cohorts, the
    new ones added); the signed cohort rows written."""
    prefix = region_prefix(session, c.region_code)
    mine = StateSegment.resident_id.in_(ids)
    written = _count_segments(session, c, generation, mine, -1)
    session.execute(delete(StateSegment).where(StateSegment.campaign_id == c.id, mine))
    chosen = and_(Resident.id.in_(ids), Resident.region_code.like(f"{prefix}%"))
    session.execute(insert(StateSegment).from_select(_SEG_COLUMNS, _segments(session, c, prefix, chosen)))
    return written + _count_segments(session, c, generation, mine, 1)


def _compact(session: Session, c: Campaign, build: StateBuild) -> None:
    """Sum the signed cohort rows up into one row per cohort (dropping those that sum to none)."""
    new, rows = build.generation + 1, 0
    for table, keys in _COHORTS:
        cols = [table.__table__.c[k] for k in keys]
        q = (
            select(
                literal(c.id),
                literal(new),
                func.sum(table.n).cast(BigInteger),
                *(func.sum(table.__table__.c[k]).cast(BigInteger) for k in STATE_SUMS),
                *cols,
            )
            .where(table.campaign_id == c.id)
            .group_by(*cols)
            .having(func.sum(table.n) != 0)
        )
        columns = ["campaign_id", "generation", "n", *STATE_SUMS, *keys]
        rows += write_count(session, insert(table).from_select(columns, q))
        session.execute(delete(table).where(table.campaign_id == c.id, table.generation < new))
    session.execute(
        update(StateBuild)
        .where(StateBuild.campaign_id == c.id)
        .values(generation=new, base_rows=rows, delta_rows=0)
    )


def holds(table: Any, on: dt.date) -> Any:
    """SQL: the stretch of days of a segment or cohort row of ``table`` holds ``on``."""
    return and_(table.c.day_from <= on, or_(table.c.day_to.is_(None), table.c.day_to > on))


def names_one_of(listed: Any, codes: Sequence[str]) -> Any:
    """SQL: the comma-joined identity codes ``listed`` (an assessment's ``categories``) name one of
    ``codes`` (exactly: LIKE's wildcards in a code are escaped)."""
    padded = literal(",") + func.coalesce(listed, "") + literal(",")
    return or_(false(), *(padded.contains(f",{code},", autoescape=True) for code in codes))


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
    kept: tuple[tuple[Any, int, str | None], ...] = () if pending == "all" else ((StateCohort, 1, None),)
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
                holds(t, on),
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
