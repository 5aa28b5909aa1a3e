"""A resident's state at a date (参保状态), defined once: :func:`resident_state`.

The one SQL definition (docs/targets.md, "Enrolled") that every count, list, bulletin, funding and
incentive report reads, and the scope helpers it is filtered by. Its grouped queries are
:mod:`urrbmi.targets.state_queries`; the roll-up to towns and the county
:mod:`urrbmi.targets.units`; the progress report :mod:`urrbmi.targets.standing`; the arithmetic
(required count, rank, change) :mod:`urrbmi.targets.progress`. All are importable from
:mod:`urrbmi.targets.counting`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

import polars as pl
from sqlalchemy import (
    and_,
    case,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session

from urrbmi.db.dialect import china_day
from urrbmi.db.models import Assessment, Campaign, Enrollment, Payment, Refund, RefundStatus, Resident
from urrbmi.errors import InvalidInput
from urrbmi.targets.store import region_prefix

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
    """Per payment, the China-time date of the first refund or cancellation that reverses it
    (``reversed_day``: the payment, and the enrollment it bought, stop counting that day)."""
    return (
        select(Refund.payment_id, china_day(func.min(Refund.created_at)).label("reversed_day"))
        .where(Refund.campaign_id == c.id, Refund.kind.in_(REVERSING), Refund.status != "void")
        .group_by(Refund.payment_id)
        .subquery()
    )


def money_events(c: Campaign) -> Any:
    """**The** definition of the individual contributions collected (个人缴费实收) for campaign
    ``c``, as the days the money a resident paid changes: (``rid``, ``day``, ``fen``), each
    payment (accepted, or refunded later) on the day it was made, and, less, each payment's done
    refunds and cancellations on the China-time day the last of them was created (they count once
    all are done). Collected at ``on`` = the ``fen`` of the days up to ``on``."""
    done = (
        select(
            Refund.payment_id,
            func.sum(Refund.amount_fen).label("done_fen"),
            china_day(func.max(Refund.created_at)).label("done_day"),
        )
        .where(Refund.campaign_id == c.id, Refund.kind.in_(REVERSING), Refund.status == RefundStatus.PAID)
        .group_by(Refund.payment_id)
        .subquery("done")
    )
    counted = and_(Payment.campaign_id == c.id, Payment.status.in_(("accepted", "refunded")))
    made = select(
        Payment.resident_id.label("rid"), Payment.paid_on.label("day"), Payment.amount_fen.label("fen")
    ).where(counted)
    back = (
        select(Payment.resident_id, done.c.done_day, -done.c.done_fen)
        .join(done, done.c.payment_id == Payment.id)
        .where(counted)
    )
    return made.union_all(back).subquery("money")


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
    ``subsidy_fen``, ``due`` (an amount due in the campaign's assessment, 0/1) with ``due_fen``,
    ``categories``, ``individual_fen`` and ``last_status`` (上年已参保 / 上年职工医保 /
    上年外地参保 / 上年未参保). ``columns`` selects some of them (default all): the database then
    computes only what the caller reads."""
    return _state_select(session, c, prefix, on, columns).subquery()


def _state_select(
    session: Session,
    c: Campaign,
    prefix: str,
    on: dt.date | None,
    columns: Sequence[str] | None,
    *,
    days: Any = None,
) -> Any:
    """The SELECT of :func:`resident_state` (a subquery there, a CTE in :func:`state_summary`).

    Shape, for speed (issue 18 item 7): one pass over the residents in scope, each joined to its
    assessment, its enrollments of this and last year (with the date each one's payment was
    reversed) and its payments for the campaign, grouped by resident (``max``/``min`` of
    per-row conditions, so a resident's several rows count once); the flags are then decided
    from those per-resident facts. The residents are read in their own order (their key) and
    each one's rows found by index, so both databases stream through them without sorting or
    hashing a million rows. A scope narrower than the campaign's region reads only its
    residents (an index range on their region code).

    ``days`` (instead of ``on``): a subquery of (``rid``, ``day``) pairs; the state of each of
    those residents is then evaluated at each of its days, with ``day`` as a column beside
    ``rid`` (the state kept as data, :mod:`urrbmi.targets.cohorts`, is this definition evaluated on
    the days where a resident's inputs change)."""
    lists = columns is None or bool({"last_status", "categories", "individual_fen"} & set(columns))
    year = c.benefit_year
    at: Any = days.c.day if days is not None else on
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
        or_(Enrollment.status == "enrolled", and_(Enrollment.status == "cancelled", rev.c.reversed_day > at)),
    )
    in_force = and_(Payment.id.is_not(None), or_(Payment.status == "accepted", prev_rev.c.reversed_day > at))
    per = (
        select(
            *((days.c.day.label("day"),) if days is not None else ()),
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
            func.max(_flag(Assessment.status == "due")).label("due"),
            func.max(case((Assessment.status == "due", Assessment.total_due_fen))).label("due_fen"),
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
        .select_from(Resident if days is None else days.join(Resident, Resident.id == days.c.rid))
        .outerjoin(Assessment, and_(Assessment.resident_id == Resident.id, Assessment.campaign_id == c.id))
        .outerjoin(
            Enrollment,
            and_(
                Enrollment.resident_id == Resident.id,
                Enrollment.benefit_year.in_((year - 1, year)),
                or_(and_(this, Enrollment.enrolled_on <= at), prev),
            ),
        )
        .outerjoin(rev, and_(rev.c.payment_id == Enrollment.payment_id, Enrollment.status == "cancelled"))
        .outerjoin(
            Payment,
            and_(
                Payment.resident_id == Resident.id,
                Payment.campaign_id == c.id,
                Payment.status.in_(("accepted", "refunded")),
                Payment.paid_on <= at,
            ),
        )
        .outerjoin(prev_rev, and_(prev_rev.c.payment_id == Payment.id, Payment.status == "refunded"))
        .where(scoped)
        # the resident's own columns depend on its key
        .group_by(Resident.id, *((days.c.day,) if days is not None else ()))
        .subquery("per")
    )
    at = per.c.day if days is not None else on
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
                not_(and_(per.c.status == "deceased", or_(per.c.died_on.is_(None), per.c.died_on <= at))),
                or_(per.c.died_on.is_(None), per.c.died_on > at),
            )
        ),
        "enrolled": _flag(enrolled),
        "paid": _flag(per.c.paid == 1),
        "subsidised": _flag(and_(enrolled, or_(per.c.by_subsidy == 1, subsidy > 0))),
        "employee": _flag(employee),
        "elsewhere": _flag(and_(not_(enrolled), not_(employee), per.c.ext_resident == 1)),
        "last_year": _flag(last_ours),
        "subsidy_fen": subsidy,
        "due": per.c.due,
        "due_fen": func.coalesce(per.c.due_fen, 0),
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
    if days is not None:
        cols["day"] = per.c.day
    wanted = list(cols) if columns is None else list(columns)
    return select(*(cols[k].label(k) for k in wanted)).select_from(per)
