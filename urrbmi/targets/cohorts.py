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
    and_,
    delete,
    func,
    insert,
    literal,
    select,
    true,
    union,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from urrbmi.db.dialect import analyze, write_count
from urrbmi.db.locks import lock_for_transaction
from urrbmi.db.models import Campaign, Enrollment, Payment, Resident
from urrbmi.db.models_state import (
    NOW_DAY_KEYS,
    NOW_KEYS,
    STATE_COLUMNS,
    STATE_SUMS,
    StateBuild,
    StateCohort,
    StateMark,
    StateNowCohort,
    StateNowDay,
    StateSchoolCohort,
    StateSegment,
)
from urrbmi.registry.audit import now
from urrbmi.targets.state import _reversals, _state_select, money_events
from urrbmi.targets.store import campaign_or_fail, region_prefix

BEGINNING = dt.date(1900, 1, 1)  # the first segment's day: before any input of any campaign
REBUILD_AT = 100_000  # marked residents above which a rebuild is cheaper than one by one
CHUNK = 2_000  # residents refreshed per statement
COMPACT_AT = 20_000  # signed cohort rows added since the last compaction before summing them up
_VALUES = (*STATE_COLUMNS, "subsidy_fen", "due_fen")  # from resident_state
_KEPT = (*_VALUES, "collected_fen")  # a segment's columns besides its resident and days


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
        chunk = ids[i : i + CHUNK]
        added += _refresh_residents(session, c, build.generation, chunk)
        last = _last_day(session, c, chunk)
        if last is not None and (build.horizon is None or last > build.horizon):
            build.horizon = last  # (never earlier: the cohorts as they stand hold from here on)
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
    and each day an enrollment of the year was registered, a payment of the campaign made or its
    refunds done (:func:`money_events`), a payment reversed (the resident's, or the one an
    enrollment of theirs was bought with), and the death."""
    year = c.benefit_year
    rid, day = Resident.id.label("rid"), literal(BEGINNING, Date).label("day")
    rev = _reversals(c)
    ev = money_events(c)
    parts = [
        select(rid, day).where(residents),
        select(Enrollment.resident_id, Enrollment.enrolled_on)
        .join(Resident, Resident.id == Enrollment.resident_id)
        .where(residents, Enrollment.benefit_year == year),
        # the days a payment counted (accepted, or refunded later) was made, and a payment's
        # refunds were done: the money collected's own days (:func:`money_events`), which are
        # also the only payment days the state reads
        select(ev.c.rid, ev.c.day).join(Resident, Resident.id == ev.c.rid).where(residents),
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
    ]
    return union(*parts).cte("days")


def _segments(session: Session, c: Campaign, prefix: str, residents: Any) -> Any:
    """The segments of the residents selected by ``residents``: :func:`resident_state` on each of
    their :func:`_days`, each up to the next (``day_to``)."""
    st = _with_money(session, c, prefix, _days(c, residents), ["rid", "day", *_KEPT])
    st = st.subquery("st")
    return select(
        literal(c.id).label("campaign_id"),
        st.c.rid.label("resident_id"),
        st.c.day.label("day_from"),
        func.lead(st.c.day).over(partition_by=st.c.rid, order_by=st.c.day).label("day_to"),
        *(st.c[k] for k in _KEPT),
    )


_SEG_COLUMNS = ["campaign_id", "resident_id", "day_from", "day_to", *_KEPT]
_COHORT_KEYS = ["day_from", "day_to", *(k for k in STATE_COLUMNS if k != "school")]
_SEG = StateSegment.__table__
_OPEN = _SEG.c.day_to.is_(None)
_ALIVE_ENROLLED = {"alive": 1, "enrolled": 1}
# the tables of counted segments: (table, keys, the segments counted there, the flags all of those
# have): the cohorts by village, the students' by school as well; and the open segments (the state
# as it stands), by every key but the stretch and the burn-up day, and by burn-up day apart
COHORT_TABLES: tuple[tuple[Any, Sequence[str], Any, Mapping[str, int]], ...] = (
    (StateCohort, _COHORT_KEYS, true(), {}),
    (StateSchoolCohort, [*_COHORT_KEYS, "school"], _SEG.c.school.is_not(None), {}),
    (StateNowCohort, NOW_KEYS, _OPEN, {}),
    (StateNowDay, NOW_DAY_KEYS, and_(_OPEN, _SEG.c.alive == 1, _SEG.c.enrolled == 1), _ALIVE_ENROLLED),
)
_TABLES = tuple(t.__tablename__ for t, *_ in COHORT_TABLES)


def _count_segments(session: Session, c: Campaign, generation: int, where: Any, sign: int) -> int:
    """Add to the cohorts the segments selected by ``where``, counted (times ``sign``); the rows
    written."""
    written = 0
    for table, keys, counted, _flags in COHORT_TABLES:
        cols = [_SEG.c[k] for k in keys]
        q = (
            select(
                literal(c.id),
                literal(generation),
                (func.count() * sign).cast(BigInteger),
                *((func.sum(_SEG.c[k]) * sign).cast(BigInteger) for k in STATE_SUMS),
                *cols,
            )
            .where(_SEG.c.campaign_id == c.id, where, counted)
            .group_by(*cols)
        )
        insert_ = insert(table).from_select(["campaign_id", "generation", "n", *STATE_SUMS, *keys], q)
        written += write_count(session, insert_)
    return written


def _rebuild(session: Session, c: Campaign, build: StateBuild | None) -> None:
    prefix = region_prefix(session, c.region_code)
    session.execute(delete(StateSegment).where(StateSegment.campaign_id == c.id))
    for table, *_ in COHORT_TABLES:
        session.execute(delete(table).where(table.campaign_id == c.id))
    scoped = Resident.region_code.like(f"{prefix}%")
    session.execute(insert(StateSegment).from_select(_SEG_COLUMNS, _segments(session, c, prefix, scoped)))
    generation = build.generation + 1 if build is not None else 1
    rows = _count_segments(session, c, generation, literal(True), 1)
    # the planner's statistics of the rewritten tables (PostgreSQL; read concurrently, unblocked)
    analyze(session, "state_segments", *_TABLES)
    if build is None:
        build = StateBuild(campaign_id=c.id)
        session.add(build)
    build.built_at, build.generation, build.base_rows, build.delta_rows = now(), generation, rows, 0
    build.horizon = _last_day(session, c)
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


def _last_day(session: Session, c: Campaign, ids: Sequence[int] | None = None) -> dt.date | None:
    """The last ``day_from`` among the segments of residents ``ids`` (default: every resident)."""
    mine = () if ids is None else (_SEG.c.resident_id.in_(ids),)
    last = select(func.max(_SEG.c.day_from)).where(_SEG.c.campaign_id == c.id, *mine)
    day: dt.date | None = session.scalar(last)
    return day


def _compact(session: Session, c: Campaign, build: StateBuild) -> None:
    """Sum the signed cohort rows up into one row per cohort (dropping those that sum to none)."""
    new, rows = build.generation + 1, 0
    for table, keys, _counted, _flags in COHORT_TABLES:
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
