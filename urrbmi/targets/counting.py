"""Progress from the campaign database at any date (参保进度), by county, town, village or school.

A resident's state at date *D* is defined once, in SQL (:func:`resident_state`, after
docs/targets.md, "Enrolled"); counts group it in the database (:func:`state_summary`, one pass
per date and scope shared by progress, burn-up, composition and funding; :func:`grouped_status`
for other keys) and the lists page through it (:func:`resident_rows`); Polars only sums the
groups by unit. The
arithmetic (required count, rank, change on last year) is :mod:`urrbmi.targets.progress`.

Every service function takes ``scope``, a region-code prefix ("" = everything the campaign
covers), applied in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import polars as pl
from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    String,
    and_,
    case,
    event,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from urrbmi.campaign.campaigns import campaign_policy
from urrbmi.db.models import Assessment, Campaign, Enrollment, Payment, Refund, RefundStatus, Region, Resident
from urrbmi.db.models_targets import TargetSet
from urrbmi.errors import InvalidInput
from urrbmi.targets.progress import RankBy, UnitCounts, UnitProgress, progress_table, progress_total
from urrbmi.targets.store import StoredTask, campaign_or_fail, region_prefix, stored_tasks

Level = Literal["county", "town", "village", "school"]
LEVELS: tuple[Level, ...] = ("county", "town", "village", "school")
CHINA = dt.timezone(dt.timedelta(hours=8))
REVERSING = ("refund", "cancellation")  # refund kinds that reverse a payment (top_up does not)


class ScopeError(InvalidInput):
    code = "scope"
    http_status = 422


def effective_prefix(session: Session, c: Campaign, scope: str) -> str | None:
    """The region prefix to filter on: the campaign's region narrowed by ``scope``; None when the
    scope lies outside the campaign (nothing to see)."""
    if scope and not scope.isdigit():
        raise ScopeError(f"范围“{scope}”不是区划代码前缀", f"scope {scope!r} is not a region-code prefix")
    own = region_prefix(session, c.region_code)
    if scope.startswith(own):
        return scope
    if own.startswith(scope):
        return own
    return None


def _in_scope(q: Any, prefix: str) -> Any:
    return q.where(Resident.region_code.like(f"{prefix}%"))


def _day(value: Any) -> dt.date | None:
    """A timestamp's China-time calendar date (SQLite may hand back naive or string values)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        stamp: dt.datetime = value.astimezone(CHINA) if value.tzinfo is not None else value
        return stamp.date()
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    raise TypeError(f"not a timestamp: {value!r}")


def _reversals(c: Campaign) -> Any:
    """Per payment, the China-time date of the first refund or cancellation that reverses it."""
    return (
        select(Refund.payment_id, func.min(Refund.created_at).label("reversed_at"))
        .where(Refund.campaign_id == c.id, Refund.kind.in_(REVERSING), Refund.status != "void")
        .group_by(Refund.payment_id)
        .subquery()
    )


# --- grouped status (the fast path) --------------------------------------------------------------

FLAGS = ("alive", "enrolled", "paid", "subsidised", "employee", "elsewhere", "last_year")
KEYS = ("village", "school", "subsidy_category", "subsidy_pos", "fiscal_zero", "first_day")
_KEY_TYPES: dict[str, Any] = {
    "village": pl.Utf8,
    "school": pl.Utf8,
    "subsidy_category": pl.Utf8,
    "subsidy_pos": pl.Boolean,
    "fiscal_zero": pl.Boolean,
    "first_day": pl.Date,
}


def _next_day(on: dt.date) -> dt.datetime:
    """The first instant after China-time day ``on``: a timestamp's China date is after ``on``
    exactly when the timestamp is at or after this (SQLite stores China wall-clock time)."""
    return dt.datetime.combine(on + dt.timedelta(days=1), dt.time(), tzinfo=CHINA)


def _flag(cond: Any) -> Any:
    return case((cond, 1), else_=0)


def _date_value(v: Any) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])


def in_prefix(column: Any, prefix: str) -> Any:
    """``column`` (a region code) starts with ``prefix``, written so an index on it serves and the
    planner estimates it well: region codes (GB/T 10114, and ``regions.code`` they refer to) are
    digit strings of at most 12 characters, so they start with ``prefix`` exactly when they lie
    between ``prefix`` and ``prefix`` padded with 9s, and a full 12-digit code is an equality. (A
    ``LIKE 'p%'`` uses no index in SQLite, whose LIKE ignores case, nor in PostgreSQL outside the
    C collation; and PostgreSQL, estimating one row for a village's range, re-ran the reversals'
    aggregate once per resident: 31 s for one village's list at 1.14 M residents.)"""
    if len(prefix) >= 12:
        return column == prefix
    return and_(column >= prefix, column <= prefix.ljust(12, "9"))


def resident_state(
    session: Session, c: Campaign, prefix: str, on: dt.date, *, columns: Sequence[str] | None = None
) -> Any:
    """**The** definition of a resident's state at ``on`` (docs/targets.md, "Enrolled"), as one
    SQL subquery with a row per resident in ``prefix``: every count, list, bulletin, funding and
    incentive report reads it (grouped by :func:`grouped_status` and :func:`state_summary`, listed
    by :func:`resident_rows`). One SQL text for PostgreSQL and SQLite.

    Columns: ``rid``; the keys of :data:`KEYS`; the flags of :data:`FLAGS` (0/1): ``alive`` (not
    moved out, not dead on or before ``on``), ``enrolled`` (our resident-scheme enrollment for the
    campaign year registered on or before ``on`` and not reversed by then), ``paid`` (an accepted
    payment made on or before ``on``, not reversed by then), ``subsidised`` (enrolled with a
    subsidy in the assessment, or enrolled by the bureau as fully subsidised), ``employee``
    (employee insurance 310, not enrolled with us), ``elsewhere`` (resident insurance in another
    region, neither of those), ``last_year`` (enrolled with us for the previous year); and
    ``subsidy_fen``, ``categories``, ``individual_fen`` and ``last_status`` (上年已参保 / 上年职工医保 /
    上年外地参保 / 上年未参保). ``columns`` selects some of them (default all): the database then
    computes only what the caller reads."""
    return _state_select(session, c, prefix, on, columns).subquery()


def _state_select(
    session: Session, c: Campaign, prefix: str, on: dt.date, columns: Sequence[str] | None
) -> Any:
    """The SELECT of :func:`resident_state` (a subquery there, a CTE in :func:`state_summary`).

    Shape, for speed (issue 18 item 7): one pass over the residents in scope, each joined to its
    assessment, its enrollments of this and last year (with the date each one's payment was
    reversed) and its payments for the campaign, grouped by resident (``max``/``min`` of
    per-row conditions, so a resident's several rows count once); the flags are then decided
    from those per-resident facts. The residents are read in their own order (their key) and
    each one's rows found by index, so both databases stream through them without sorting or
    hashing a million rows. A scope narrower than the campaign's region reads only its
    residents (an index range on their region code)."""
    lists = columns is None or bool({"last_status", "categories", "individual_fen"} & set(columns))
    year = c.benefit_year
    nd = _next_day(on)
    rev = _reversals(c)
    prev_rev = _reversals(c)
    whole = prefix == region_prefix(session, c.region_code)
    # the whole campaign's region is read in the table's order; a part of it through the index
    scoped = Resident.region_code.like(f"{prefix}%") if whole else in_prefix(Resident.region_code, prefix)
    ours = and_(Enrollment.source != "external", Enrollment.insurance_type == "390")
    ext = Enrollment.source == "external"
    this = Enrollment.benefit_year == year
    prev = and_(Enrollment.benefit_year == year - 1, Enrollment.status == "enrolled")
    live = and_(
        this,
        or_(Enrollment.status == "enrolled", and_(Enrollment.status == "cancelled", rev.c.reversed_at >= nd)),
    )
    in_force = and_(Payment.id.is_not(None), or_(Payment.status == "accepted", prev_rev.c.reversed_at >= nd))
    per = (
        select(
            Resident.id.label("rid"),
            Resident.region_code.label("village"),
            Resident.student,
            Resident.school_name,
            Resident.status,
            Resident.died_on,
            func.max(_flag(Resident.employee_insured.is_(True))).label("employee_insured"),
            func.max(Assessment.subsidy_category_code).label("subsidy_category"),
            func.max(Assessment.subsidy_fen).label("subsidy_fen"),
            func.max(Assessment.fiscal_fen).label("fiscal_fen"),
            *(
                (
                    func.max(Assessment.categories).label("categories"),
                    func.max(Assessment.individual_fen).label("individual_fen"),
                )
                if lists
                else ()
            ),
            func.max(_flag(and_(ours, live))).label("enrolled"),
            func.max(_flag(and_(ours, live, Enrollment.source == "subsidy"))).label("by_subsidy"),
            func.max(_flag(and_(ext, live, Enrollment.insurance_type == "310"))).label("ext_employee"),
            func.max(_flag(and_(ext, live, Enrollment.insurance_type == "390"))).label("ext_resident"),
            func.min(case((and_(this, ours), Enrollment.enrolled_on))).label("first_day"),
            func.max(_flag(and_(prev, ours))).label("last_ours"),
            *(
                (
                    func.max(_flag(and_(prev, Enrollment.insurance_type == "310"))).label("last_employee"),
                    func.max(_flag(and_(prev, ext, Enrollment.insurance_type == "390"))).label(
                        "last_elsewhere"
                    ),
                )
                if lists
                else ()
            ),
            func.max(_flag(in_force)).label("paid"),
        )
        .select_from(Resident)
        .outerjoin(Assessment, and_(Assessment.resident_id == Resident.id, Assessment.campaign_id == c.id))
        .outerjoin(
            Enrollment,
            and_(
                Enrollment.resident_id == Resident.id,
                Enrollment.benefit_year.in_((year - 1, year)),
                or_(and_(this, Enrollment.enrolled_on <= on), prev),
            ),
        )
        .outerjoin(rev, and_(rev.c.payment_id == Enrollment.payment_id, Enrollment.status == "cancelled"))
        .outerjoin(
            Payment,
            and_(
                Payment.resident_id == Resident.id,
                Payment.campaign_id == c.id,
                Payment.status.in_(("accepted", "refunded")),
                Payment.paid_on <= on,
            ),
        )
        .outerjoin(prev_rev, and_(prev_rev.c.payment_id == Payment.id, Payment.status == "refunded"))
        .where(scoped)
        .group_by(Resident.id)  # the resident's own columns depend on it (its key)
        .subquery("per")
    )
    enrolled = per.c.enrolled == 1
    employee = and_(not_(enrolled), or_(per.c.employee_insured == 1, per.c.ext_employee == 1))
    subsidy = func.coalesce(per.c.subsidy_fen, 0)
    last_ours = per.c.last_ours == 1
    cols: dict[str, Any] = {
        "rid": per.c.rid,
        "village": per.c.village,
        "school": case((per.c.student.is_not(None), per.c.school_name)),
        "subsidy_category": per.c.subsidy_category,
        "subsidy_pos": _flag(subsidy > 0),
        "fiscal_zero": _flag(func.coalesce(per.c.fiscal_fen, 0) == 0),
        "first_day": per.c.first_day,
        "alive": _flag(
            and_(
                per.c.status != "moved_out",
                not_(and_(per.c.status == "deceased", or_(per.c.died_on.is_(None), per.c.died_on <= on))),
                or_(per.c.died_on.is_(None), per.c.died_on > on),
            )
        ),
        "enrolled": _flag(enrolled),
        "paid": _flag(per.c.paid == 1),
        "subsidised": _flag(and_(enrolled, or_(per.c.by_subsidy == 1, subsidy > 0))),
        "employee": _flag(employee),
        "elsewhere": _flag(and_(not_(enrolled), not_(employee), per.c.ext_resident == 1)),
        "last_year": _flag(last_ours),
        "subsidy_fen": subsidy,
    }
    if lists:  # what the lists show besides the flags
        cols["categories"] = per.c.categories
        cols["individual_fen"] = per.c.individual_fen
        cols["last_status"] = case(
            (last_ours, "上年已参保"),
            (per.c.last_employee == 1, "上年职工医保"),
            (per.c.last_elsewhere == 1, "上年外地参保"),
            else_="上年未参保",
        )
    wanted = list(cols) if columns is None else list(columns)
    return select(*(cols[k].label(k) for k in wanted)).select_from(per)


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
    per_resident = resident_state(session, c, prefix, on, columns=[*names, "subsidy_fen"])
    group = [per_resident.c[k] for k in names]
    q = select(
        *group,
        func.count().label("n"),
        func.sum(per_resident.c.subsidy_fen).cast(BigInteger).label("subsidy_fen"),
    ).group_by(*group)
    rows = [
        tuple(_date_value(v) if k == "first_day" else v for k, v in zip(schema, r, strict=True))
        for r in session.execute(q)
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
    burn-up day in **one** SQL statement (one pass over the residents: :func:`resident_state`
    as a common table expression, grouped three ways). Kept on the session for the next report
    of the same (campaign, date, scope) until the session writes, so a request that asks for
    progress, burn-up, composition and funding counts once."""
    c = campaign_or_fail(session, campaign_id)
    prefix = effective_prefix(session, c, scope)
    key = (c.id, on, prefix)
    cache: dict[Any, StateSummary] = session.info.setdefault(_CACHE, {})
    if key in cache:
        return cache[key]
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
    if prefix is not None:
        names = ["village", *_CAT_KEYS[:3], "first_day", *FLAGS, "subsidy_fen"]
        st = _state_select(session, c, prefix, on, names).cte("st")
        n = func.count().label("n")
        fen = func.sum(st.c.subsidy_fen).cast(BigInteger).label("fen")
        text_, int_, day_ = null().cast(String), null().cast(Integer), null().cast(Date)
        counted = and_(st.c.alive == 1, st.c.enrolled == 1)
        vil_q = select(
            literal(0).label("part"), st.c.village, text_, int_, int_, day_, *(st.c[f] for f in FLAGS), n, fen
        ).group_by(st.c.village, *(st.c[f] for f in FLAGS))
        no_flags = [int_] * len(FLAGS)
        cat_keys = [st.c[k] for k in _CAT_KEYS]
        paid_only = [st.c.paid if f == "paid" else int_ for f in FLAGS]
        cat_q = (
            select(literal(1), text_, *cat_keys[:3], day_, *paid_only, n, fen)
            .where(counted)
            .group_by(*cat_keys)
        )
        day_q = (
            select(literal(2), text_, text_, int_, int_, st.c.first_day, *no_flags, n, fen)
            .where(counted, st.c.first_day.is_not(None))
            .group_by(st.c.first_day)
        )
        paid_at = FLAGS.index("paid")
        for r in session.execute(union_all(vil_q, cat_q, day_q)):
            part, village, category, pos, fz, first, *flags, count, fsum = r
            if part == 0:
                vil.append((village, *flags, count, fsum))
            elif part == 1:
                cat.append((category, pos, fz, flags[paid_at], count, fsum))
            else:
                day.append((_date_value(first), count))
    out = StateSummary(_frame(vil, vil_schema), _frame(cat, cat_schema), _frame(day, day_schema))
    _watch(session)
    cache[key] = out
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


# --- units ------------------------------------------------------------------------------------


def region_names(session: Session, prefix: str) -> dict[str, tuple[str, str, str | None]]:
    """code -> (name, level, parent) for every region under ``prefix`` (and its ancestors)."""
    rows = session.execute(
        select(Region.code, Region.name, Region.level, Region.parent_code).where(
            Region.code.like(f"{prefix[:6]}%")
        )
    ).all()
    return {code: (name, level, parent) for code, name, level, parent in rows}


def _ancestor(regions: dict[str, tuple[str, str, str | None]], code: str, level: str) -> str | None:
    seen = code
    while seen in regions:
        _name, lv, parent = regions[seen]
        if lv == level:
            return seen
        if parent is None:
            return None
        seen = parent
    return None


def with_unit(session: Session, prefix: str, status: pl.DataFrame, level: Level) -> pl.DataFrame:
    """``status`` (weighed: see :func:`grouped_status`) with a ``unit`` column: the school name
    (students only), or the region code of the resident's village, town or county (students
    count at their hukou village there)."""
    if level == "school":
        return status.filter(pl.col("school").is_not_null()).with_columns(unit=pl.col("school"))
    if level == "village":
        return status.with_columns(unit=pl.col("village"))
    regions = region_names(session, prefix)
    villages = status.get_column("village").unique().to_list()
    mapping = pl.DataFrame(
        {"village": villages, "unit": [_ancestor(regions, v, level) for v in villages]},
        schema={"village": pl.Utf8, "unit": pl.Utf8},
    )
    return status.join(mapping, on="village", how="left")


def unit_counts(status: pl.DataFrame) -> pl.DataFrame:
    """Per unit: registry (living residents), enrolled, paid, subsidised, employee, elsewhere,
    last year's enrolled (``status`` weighed: ``n`` residents per row)."""
    alive = status.filter(pl.col("alive"))
    n = pl.col("n")
    return (
        alive.group_by("unit")
        .agg(
            n.sum().alias("registry"),
            n.filter(pl.col("enrolled")).sum().alias("enrolled"),
            n.filter(pl.col("paid")).sum().alias("paid"),
            n.filter(pl.col("subsidised")).sum().alias("subsidised"),
            n.filter(pl.col("employee")).sum().alias("employee"),
            n.filter(pl.col("elsewhere")).sum().alias("elsewhere"),
            n.filter(pl.col("last_year")).sum().alias("last_year_enrolled"),
        )
        .sort("unit")
    )


# --- progress ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressRow:
    unit: str  # region code, or school name
    name: str
    registry: int  # living residents in the registry at the date
    enrolled: int
    paid: int
    subsidised: int
    employee: int
    elsewhere: int
    covered: int  # what is compared with the target: enrolled (+ employee if the task counts it)
    last_year_enrolled: int | None  # None when last year's enrollment was never imported
    progress: UnitProgress  # base, task, required, remaining, rate, completion, rank, change


@dataclass(frozen=True)
class ProgressReport:
    campaign_id: int
    on: dt.date
    level: Level
    scope: str
    target_rate: Decimal
    target_name: str | None
    counts_employee: bool
    rank_by: RankBy
    rows: tuple[ProgressRow, ...]  # in rank order
    total: ProgressRow | None


def policy_rate(c: Campaign, level: Level) -> Decimal | None:
    """The policy's target rate for the unit kind: ``students`` at school level, else ``all`` or
    ``general`` (a fraction: 99% -> 0.99)."""
    groups = ("students",) if level == "school" else ("all", "general")
    rates = [t for t in campaign_policy(c).model.targets.rates if t.group in groups and not t.categories]
    return rates[0].rate / 100 if rates else None


def _target(
    session: Session, c: Campaign, level: Level, target: str | None
) -> tuple[TargetSet | None, list[StoredTask]]:
    q = select(TargetSet).where(TargetSet.campaign_id == c.id, TargetSet.unit == level)
    if target is not None:
        q = select(TargetSet).where(TargetSet.campaign_id == c.id, TargetSet.name == target)
    ts = session.scalars(q.order_by(TargetSet.id)).first()
    if ts is None:
        if target is not None:
            raise InvalidInput(f"征缴批次{c.id}没有任务表{target}", f"campaign {c.id} has no target {target}")
        return None, []
    if ts.unit != level:
        raise InvalidInput(
            f"任务表{ts.name}按{ts.unit}下达，不能用于{level}",
            f"target {ts.name} is per {ts.unit}, not {level}",
        )
    return ts, stored_tasks(session, ts)


def progress(
    session: Session,
    campaign_id: int,
    *,
    on: dt.date,
    level: Level = "town",
    scope: str = "",
    target: str | None = None,
    target_rate: Decimal | None = None,
    count_employee: bool | None = None,
) -> ProgressReport:
    """Progress of every unit of ``level`` at ``on``, ranked, with a total row.

    Tasks and bases come from the target set loaded for this level (``target`` names one; by
    default the first loaded for the level), else bases are the living residents in the registry
    less those insured elsewhere (and, unless ``count_employee``, less employee-insured ones).
    ``target_rate`` defaults to the set's rate, then the policy's. ``count_employee`` defaults to
    whether the set's task counts employee insurance (濉溪 annex note 2)."""
    if level not in LEVELS:
        raise InvalidInput(f"层级须为{LEVELS}之一", f"level must be one of {LEVELS}")
    c = campaign_or_fail(session, campaign_id)
    ts, tasks = _target(session, c, level, target)
    rate = target_rate
    if rate is None and ts is not None and ts.rate is not None:
        rate = Decimal(ts.rate)
    if rate is None:
        rate = policy_rate(c, level)
    if rate is None and tasks:
        rate = Decimal(1)  # fixed tasks without a rate (黔江): the target is the whole task
    if rate is None:
        raise InvalidInput(
            "政策和任务表都没有该层级的目标参保率，请用 --rate 给出",
            "neither the policy nor a target set gives a target rate here; pass --rate",
            code="no_target_rate",
        )
    employee_counts = count_employee if count_employee is not None else bool(ts and ts.includes_employee)
    prefix = effective_prefix(session, c, scope)
    if level == "school":
        status = grouped_status(session, campaign_id, on, scope, ("school",))
    else:  # one pass by village; towns and the county roll up from it
        status = state_summary(session, campaign_id, on, scope).by_village
    counts = unit_counts(with_unit(session, prefix or "", status, level))
    names = region_names(session, prefix or c.region_code) if level != "school" else {}
    by_unit = {row["unit"]: row for row in counts.iter_rows(named=True) if row["unit"] is not None}
    units: list[tuple[str, str, dict[str, Any], int | None, int | None]] = []
    if tasks:
        for t in tasks:
            key = t.region_code or t.unit_name
            if prefix is not None and (level == "school" or key.startswith(prefix)):
                units.append((key, t.unit_name, by_unit.get(key, _zero()), t.base, t.task))
    else:
        for key, row in by_unit.items():
            units.append((key, names.get(key, (key, "", None))[0], row, None, None))
    kept: list[tuple[str, str, dict[str, Any], int]] = []
    uc: list[UnitCounts] = []
    known = last_year_known(session, c)
    for key, name, row, base, task in units:
        covered = int(row["enrolled"]) + (int(row["employee"]) if employee_counts else 0)
        reg_base = (
            int(row["registry"]) - int(row["elsewhere"]) - (0 if employee_counts else int(row["employee"]))
        )
        b = base if base is not None else reg_base
        if b <= 0:
            continue
        last = int(row["last_year_enrolled"]) if known else None
        uc.append(UnitCounts(key, b, covered, task, last))
        kept.append((key, name, row, covered))
    by: RankBy = "completion" if uc and all(u.task is not None for u in uc) else "rate"
    ranked = progress_table(uc, rate, rank_by=by) if uc else ()
    done = [
        _row(key, name, row, covered, p, known)
        for (key, name, row, covered), p in zip(kept, ranked, strict=True)
    ]
    done.sort(key=lambda r: (r.progress.rank or 0, r.unit))
    total: ProgressRow | None = None
    if uc:
        sums = {f: sum(int(row[f]) for _, _, row, _ in kept) for f in _COUNTED}
        total = _row("合计", "合计", sums, sum(cv for *_, cv in kept), progress_total(uc, rate), known)
    return ProgressReport(
        c.id, on, level, scope, rate, ts.name if ts else None, employee_counts, by, tuple(done), total
    )


_COUNTED = ("registry", "enrolled", "paid", "subsidised", "employee", "elsewhere", "last_year_enrolled")


def _zero() -> dict[str, Any]:
    return dict.fromkeys(_COUNTED, 0)


def last_year_known(session: Session, c: Campaign) -> bool:
    """Whether last year's enrollment is known for the campaign's region: some enrollment of the
    previous benefit year was recorded or imported there. Otherwise last year's figures are
    unknown (shown "—"), not zero."""
    prefix = region_prefix(session, c.region_code)
    q = select(Enrollment.id).where(
        Enrollment.benefit_year == c.benefit_year - 1, in_prefix(Enrollment.region_code, prefix)
    )
    return session.execute(q.limit(1)).first() is not None


def _row(key: str, name: str, row: dict[str, Any], covered: int, p: UnitProgress, known: bool) -> ProgressRow:
    return ProgressRow(
        unit=key,
        name=name,
        registry=int(row["registry"]),
        enrolled=int(row["enrolled"]),
        paid=int(row["paid"]),
        subsidised=int(row["subsidised"]),
        employee=int(row["employee"]),
        elsewhere=int(row["elsewhere"]),
        covered=covered,
        last_year_enrolled=int(row["last_year_enrolled"]) if known else None,
        progress=p,
    )


def burnup(session: Session, campaign_id: int, *, on: dt.date, scope: str = "") -> list[tuple[dt.date, int]]:
    """Cumulative enrolled (the same definition as :func:`progress`, at each date) per day on
    which the count changed, up to ``on``. Counted at ``on`` for the reversals: a point for an
    earlier day ``d`` counts enrollments registered by ``d`` that are still in force at ``on``."""
    daily = state_summary(session, campaign_id, on, scope).by_day.sort("first_day")
    points: list[tuple[dt.date, int]] = []
    running = 0
    for day, n in daily.iter_rows():
        running += int(n)
        points.append((day, running))
    return points


def composition(session: Session, campaign_id: int, *, on: dt.date, scope: str = "") -> dict[str, int]:
    """Enrolled at ``on`` by subsidy category (its Chinese name; ``普通居民`` without a subsidy)."""
    from urrbmi.policy.identities import all_identities

    counted = state_summary(session, campaign_id, on, scope).by_category  # alive and enrolled
    counts = counted.group_by("subsidy_category").agg(pl.col("n").sum())
    vocab = all_identities().by_code
    out: dict[str, int] = {}
    for code, n in counts.iter_rows():
        label = vocab[code].name if code in vocab else (code or "普通居民")
        out[label] = out.get(label, 0) + int(n)
    return out
