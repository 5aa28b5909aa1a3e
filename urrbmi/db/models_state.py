"""A resident's state kept as data (issue 18 item 7): progress at any date without re-reading every
resident (migration 0022; docs/targets.md, "State kept as data").

- ``state_marks``: "this resident's state may have changed" for a campaign (``resident_id`` NULL:
  everything may have, after a write of more rows than is worth marking one by one). Written by
  database triggers on residents, enrollments, payments, refunds and assessments, in the writer's
  own transaction, so no write is missed whoever makes it; insert-only, so writers never wait on
  one another. Taken (deleted) by the reader that brings the state up to date.
- ``state_segments``: each resident's state on consecutive stretches of days: from ``day_from``
  up to (not including) ``day_to`` (NULL: from then on) the columns of
  :func:`urrbmi.targets.state.resident_state` are constant. Computed by that one definition,
  evaluated on the days where any of its inputs changes.
- ``state_cohorts``: the segments counted (``state_school_cohorts``: the students', by school
  too), as signed rows (``n`` residents, ``subsidy_fen``): a
  refresh adds the new segments of changed residents and subtracts their old ones; a compaction
  sums them up (``generation``). Progress at a date sums the rows whose stretch holds that date.
- ``state_builds``: campaigns whose segments are built, and the rows to compact.
- ``payment_totals`` (migration 0024): the payments counted by campaign, channel and status, as
  signed rows written by triggers on ``payments`` in the writer's transaction (insert-only, like
  the marks): the reconciliation's paid-by-channel figures without reading every payment.

Segments and cohorts also keep ``due`` (an amount due in the assessment) with ``due_fen``, and
``collected_fen``, the individual contributions collected by ``day_from``
(:func:`urrbmi.targets.state.money_events`), summed like ``subsidy_fen``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from urrbmi.db.models import Base, BigId

__all__ = [
    "NOW_DAY_KEYS",
    "NOW_KEYS",
    "STATE_COLUMNS",
    "STATE_SUMS",
    "PaymentTotal",
    "StateBuild",
    "StateCohort",
    "StateMark",
    "StateNowCohort",
    "StateNowDay",
    "StateSchoolCohort",
    "StateSegment",
]

# the columns of resident_state a segment keeps (keys, flags, the subsidy), in this order
STATE_COLUMNS = (
    "village",
    "school",
    "subsidy_category",
    "subsidy_pos",
    "fiscal_zero",
    "first_day",
    "categories",
    "alive",
    "enrolled",
    "paid",
    "subsidised",
    "employee",
    "elsewhere",
    "last_year",
    "due",
)
# the sums a segment and a cohort keep besides the count (migration 0024 added the last two)
STATE_SUMS = ("subsidy_fen", "due_fen", "collected_fen")
# the keys of the cohorts as they stand (migration 0024): every key but the school and the stretch of
# days, and the burn-up day apart, for those alive and enrolled
NOW_KEYS = tuple(k for k in STATE_COLUMNS if k not in ("school", "first_day"))
NOW_DAY_KEYS = ("village", "first_day", "alive", "enrolled")


class StateMark(Base):
    __tablename__ = "state_marks"
    __table_args__ = (Index("ix_state_marks_campaign", "campaign_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(Integer)  # no foreign key: written by triggers
    resident_id: Mapped[int | None] = mapped_column(BigInteger)


class _StateColumns:
    village: Mapped[str] = mapped_column(String(12))
    subsidy_category: Mapped[str | None] = mapped_column(String(40))
    subsidy_pos: Mapped[int] = mapped_column(SmallInteger)
    fiscal_zero: Mapped[int] = mapped_column(SmallInteger)
    first_day: Mapped[dt.date | None] = mapped_column(Date)
    categories: Mapped[str | None] = mapped_column(String(400))  # the assessment's identity codes
    alive: Mapped[int] = mapped_column(SmallInteger)
    enrolled: Mapped[int] = mapped_column(SmallInteger)
    paid: Mapped[int] = mapped_column(SmallInteger)
    subsidised: Mapped[int] = mapped_column(SmallInteger)
    employee: Mapped[int] = mapped_column(SmallInteger)
    elsewhere: Mapped[int] = mapped_column(SmallInteger)
    last_year: Mapped[int] = mapped_column(SmallInteger)
    day_from: Mapped[dt.date] = mapped_column(Date)
    day_to: Mapped[dt.date | None] = mapped_column(Date)
    subsidy_fen: Mapped[int] = mapped_column(BigInteger)
    due: Mapped[int] = mapped_column(SmallInteger, server_default="0")  # migration 0024
    due_fen: Mapped[int] = mapped_column(BigInteger, server_default="0")
    collected_fen: Mapped[int] = mapped_column(BigInteger, server_default="0")


class StateSegment(_StateColumns, Base):
    __tablename__ = "state_segments"
    # the lists' order (village, resident): a page is read from the index, not sorted
    __table_args__ = (Index("ix_state_segments_campaign_village", "campaign_id", "village", "resident_id"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    resident_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day_from: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    school: Mapped[str | None] = mapped_column(String(200))


class StateCohort(_StateColumns, Base):
    __tablename__ = "state_cohorts"
    __table_args__ = (Index("ix_state_cohorts_campaign_village", "campaign_id", "village"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    generation: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(BigInteger)


class StateSchoolCohort(_StateColumns, Base):
    """The cohorts of the students (segments with a school), by school as well: read only for
    progress by school, so the counts by village read fewer rows."""

    __tablename__ = "state_school_cohorts"
    __table_args__ = (Index("ix_state_school_cohorts_campaign_village", "campaign_id", "village"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    generation: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(BigInteger)
    school: Mapped[str] = mapped_column(String(200))


class _Counted:
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    generation: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(BigInteger)
    village: Mapped[str] = mapped_column(String(12))
    alive: Mapped[int] = mapped_column(SmallInteger)
    enrolled: Mapped[int] = mapped_column(SmallInteger)
    subsidy_fen: Mapped[int] = mapped_column(BigInteger)
    due_fen: Mapped[int] = mapped_column(BigInteger)
    collected_fen: Mapped[int] = mapped_column(BigInteger)


class StateNowCohort(_Counted, Base):
    """The open segments (``day_to`` NULL: the state from its last change on) counted by
    :data:`NOW_KEYS`: at a date on or after every segment's ``day_from`` (the build's
    ``horizon``, such as today), exactly the cohorts that hold it, in a few thousand rows."""

    __tablename__ = "state_now_cohorts"
    __table_args__ = (Index("ix_state_now_cohorts_campaign_village", "campaign_id", "village"),)

    subsidy_category: Mapped[str | None] = mapped_column(String(40))
    subsidy_pos: Mapped[int] = mapped_column(SmallInteger)
    fiscal_zero: Mapped[int] = mapped_column(SmallInteger)
    categories: Mapped[str | None] = mapped_column(String(400))
    paid: Mapped[int] = mapped_column(SmallInteger)
    subsidised: Mapped[int] = mapped_column(SmallInteger)
    employee: Mapped[int] = mapped_column(SmallInteger)
    elsewhere: Mapped[int] = mapped_column(SmallInteger)
    last_year: Mapped[int] = mapped_column(SmallInteger)
    due: Mapped[int] = mapped_column(SmallInteger)


class StateNowDay(_Counted, Base):
    """The open segments of residents alive and enrolled, counted by village and burn-up day
    (:data:`NOW_DAY_KEYS`): the burn-up as it stands."""

    __tablename__ = "state_now_days"
    __table_args__ = (Index("ix_state_now_days_campaign_village", "campaign_id", "village"),)

    first_day: Mapped[dt.date] = mapped_column(Date)


class StateBuild(Base):
    __tablename__ = "state_builds"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    built_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    generation: Mapped[int] = mapped_column(Integer)
    base_rows: Mapped[int] = mapped_column(BigInteger)  # cohort rows after the last compaction
    delta_rows: Mapped[int] = mapped_column(BigInteger)  # rows added since
    # on or after the last segment's day_from (migration 0024): from this day on, the cohorts as
    # they stand are the counts (it only grows between rebuilds, so it is never too early)
    horizon: Mapped[dt.date | None] = mapped_column(Date)


class PaymentTotal(Base):
    __tablename__ = "payment_totals"
    __table_args__ = (Index("ix_payment_totals_campaign", "campaign_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger)  # no foreign key: written by triggers
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    n: Mapped[int] = mapped_column(BigInteger)  # payments (signed)
    fen: Mapped[int] = mapped_column(BigInteger)  # their amounts (signed)
