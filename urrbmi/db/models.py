"""The registry and campaign ledger tables (SQLAlchemy 2 declarative).

Conventions:
- money is integer fen (``*_fen`` columns); Python code converts with :mod:`urrbmi.money`;
- the live ``residents`` table has one row per ID number (a unique index); earlier versions of a
  row live in ``resident_history``, never as extra rows with validity dates in the live table;
- receipt numbers come from the database (``receipts.receipt_no`` is an identity /
  AUTOINCREMENT key), never from "last + 1" in Python;
- codes stored as short strings are checked by CHECK constraints so both SQLite and PostgreSQL
  reject a misspelt status.

The schema is created by Alembic (``urrbmi/db/migrations``); a test checks the models and the
migrations agree.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; plain INTEGER on SQLite so that it is the rowid alias (autoincrement).
BigId = BigInteger().with_variant(Integer(), "sqlite")

LEVELS = ("province", "prefecture", "county", "town", "village")
# significant digits of a region code at each level (GB/T 2260 + 统计用区划代码)
LEVEL_DIGITS = {"province": 2, "prefecture": 4, "county": 6, "town": 9, "village": 12}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (CheckConstraint(_in("level", LEVELS), name="level"),)

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)


RESIDENCE = ("hukou", "permit", "none")
STUDENT = ("school", "college")
RESIDENT_STATUS = ("active", "deceased", "moved_out")

# SQLite keeps booleans as 0/1 and uses a partial index only for the query's own term
EMPLOYEE_INSURED: dict[str, Any] = {
    "postgresql_where": text("employee_insured"),
    "sqlite_where": text("employee_insured = 1"),
}


class Resident(Base):
    """One live row per person (unique 18-digit ID)."""

    __tablename__ = "residents"
    __table_args__ = (
        CheckConstraint(_in("residence", RESIDENCE), name="residence"),
        CheckConstraint(f"student IS NULL OR {_in('student', STUDENT)}", name="student"),
        CheckConstraint(_in("status", RESIDENT_STATUS), name="status"),
        CheckConstraint("sex IN ('M', 'F')", name="sex"),
        # the employee-insured in id order, for the duplicate-enrollments list (migration 0023)
        Index("ix_residents_employee_insured", "id", "region_code", **EMPLOYEE_INSURED),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    residence: Mapped[str] = mapped_column(String(8), default="hukou")  # hukou or residence permit
    student: Mapped[str | None] = mapped_column(String(8))
    school_name: Mapped[str | None] = mapped_column(String(200))
    employee_insured: Mapped[bool] = mapped_column(default=False)  # in 职工医保 now
    employee_insurance_ended_on: Mapped[dt.date | None] = mapped_column(Date)
    employee_insurance_years: Mapped[int | None] = mapped_column(Integer)
    # the year a college student graduates (丰都 三（三）: covered to 12-31 of that year; 0015)
    graduation_year: Mapped[int | None] = mapped_column(Integer)
    # the benefit year for which the resident is a migrant worker back for the Spring Festival
    # (濉溪 五: may pay until 02-28; 0015)
    returning_migrant_year: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="active")
    died_on: Mapped[dt.date | None] = mapped_column(Date)
    household_id: Mapped[str | None] = mapped_column(String(40), index=True)
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ResidentHistory(Base):
    """Earlier versions of a resident row (copied here before every change)."""

    __tablename__ = "resident_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    resident_id: Mapped[int] = mapped_column(BigId, index=True)  # no FK: survives a merge
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    row_version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    valid_from: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(200))


class Membership(Base):
    """A resident's identity (人员身份) as certified by a department for a period."""

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
        Index("ix_memberships_resident_category", "resident_id", "category_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # must be a resident: checked by triggers, not a foreign key (migration 0009). PostgreSQL checks
    # a key once per row, locking each resident row; the trigger checks a statement's rows at once.
    # Deleting a resident deletes its memberships (a trigger too).
    resident_id: Mapped[int] = mapped_column(BigId)
    category_code: Mapped[str] = mapped_column(String(40))
    source_department: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)  # inclusive; None: open
    batch_id: Mapped[str | None] = mapped_column(String(64), index=True)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("region_code", "benefit_year", name="uq_campaigns_region_year"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    benefit_year: Mapped[int] = mapped_column(Integer)
    policy_id: Mapped[str] = mapped_column(String(60))
    policy_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # tier (一档/二档) of residents who have not chosen one (resident_tiers)
    default_tier: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # enroll residents whose subsidy covers the whole amount when they are assessed (docs/registry.md)
    enroll_subsidised: Mapped[bool] = mapped_column(default=True, server_default=text("true"))


class ResidentTier(Base):
    """The tier (档次) a resident chose for a campaign; others get the campaign's default."""

    __tablename__ = "resident_tiers"
    __table_args__ = (CheckConstraint("tier IN (1, 2)", name="tier"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), primary_key=True)
    tier: Mapped[int] = mapped_column(Integer)
    chosen_on: Mapped[dt.date] = mapped_column(Date)
    chosen_by: Mapped[str] = mapped_column(String(100))


class Explanation(Base):
    """Quote explanations, stored once per distinct content (many residents share one)."""

    __tablename__ = "explanations"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    steps: Mapped[list[Any]] = mapped_column(JSON)


ASSESSMENT_STATUS = ("due", "excluded", "error")


class Assessment(Base):
    """The amount a resident owes in a campaign: the engine's quote, stored with the policy version.

    ``status`` is ``due`` (quoted), ``excluded`` (employee insurance, dead, enrolled elsewhere:
    ``reason`` says which) or ``error`` (the engine refused: ``reason`` is the error code, e.g.
    ``policy_gap``, and ``message`` its text)."""

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("campaign_id", "resident_id", name="uq_assessments_campaign_resident"),
        # covering the resident's state at a date (targets.counting; migration 0020)
        Index(
            "ix_assessments_state",
            "campaign_id",
            "resident_id",
            "subsidy_fen",
            "fiscal_fen",
            "subsidy_category_code",
        ),
        CheckConstraint(_in("status", ASSESSMENT_STATUS), name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # No foreign keys on campaign_id and explanation_hash (dropped in migration 0008): a million
    # rows are written with COPY and PostgreSQL checks each foreign key with one query per row
    # (measured: each of the two cost as much as the COPY itself). Both are written only by
    # urrbmi.campaign from rows read in the same transaction; resident_id keeps its key.
    campaign_id: Mapped[int] = mapped_column(BigId)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    policy_version: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(String(1000))
    categories: Mapped[str] = mapped_column(String(400), default="")  # sorted codes, comma-joined
    tier: Mapped[int] = mapped_column(Integer, default=1)
    person_class: Mapped[str | None] = mapped_column(String(40))
    standard_fen: Mapped[int | None] = mapped_column(BigInteger)
    subsidy_fen: Mapped[int | None] = mapped_column(BigInteger)
    subsidy_category: Mapped[str | None] = mapped_column(String(40))  # the notice's name
    subsidy_category_code: Mapped[str | None] = mapped_column(String(40))  # categories.yaml code
    individual_fen: Mapped[int | None] = mapped_column(BigInteger)
    fiscal_fen: Mapped[int | None] = mapped_column(BigInteger)
    total_due_fen: Mapped[int | None] = mapped_column(BigInteger)
    benefit_start: Mapped[dt.date | None] = mapped_column(Date)
    benefit_end: Mapped[dt.date | None] = mapped_column(Date)
    window: Mapped[str | None] = mapped_column(String(40))
    explanation_hash: Mapped[str | None] = mapped_column(String(64))  # explanations.hash (no FK)


class EnrollmentStatus(StrEnum):
    ENROLLED = "enrolled"
    CANCELLED = "cancelled"


class EnrollmentSource(StrEnum):
    """Who enrolled the resident (written only by :mod:`urrbmi.campaign.ledger`)."""

    PAYMENT = "payment"  # an accepted payment
    GUARDIAN = "guardian"  # a newborn following an enrolled guardian without paying
    EXTERNAL = "external"  # enrolled elsewhere, as the provincial platform reports it
    SUBSIDY = "subsidy"  # fully subsidised, enrolled by the bureau (nothing to pay)
    IMPORT = "import"  # loaded from another system (上年参保 list)


class InsuranceType(StrEnum):
    """险种 codes of the national medical insurance information platform."""

    EMPLOYEE = "310"  # 职工基本医疗保险
    RESIDENT = "390"  # 城乡居民基本医疗保险
    CRITICAL_ILLNESS = "392"  # 大病保险


INSURANCE_TYPES = tuple(s.value for s in InsuranceType)
ENROLLMENT_STATUS = tuple(s.value for s in EnrollmentStatus)
ENROLLMENT_SOURCE = tuple(s.value for s in EnrollmentSource)
ONE_PER_YEAR = "status = 'enrolled' AND campaign_id IS NOT NULL"
_OUTSIDE = text("status = 'enrolled' AND campaign_id IS NULL")
OUTSIDE_CAMPAIGNS: dict[str, Any] = {"postgresql_where": _OUTSIDE, "sqlite_where": _OUTSIDE}


class Enrollment(Base):
    """Enrollment (参保) of a resident for a benefit year: ours (campaign set) or one known to
    exist elsewhere (``source='external'``: another region, or insurance type 310)."""

    __tablename__ = "enrollments"
    __table_args__ = (
        CheckConstraint(_in("status", ENROLLMENT_STATUS), name="status"),
        CheckConstraint(_in("source", ENROLLMENT_SOURCE), name="source"),
        # one live enrollment per resident and benefit year across our campaigns (migration 0011);
        # rows without a campaign (external, import) are reports from elsewhere, outside it
        Index(
            "uq_enrollments_resident_year_live",
            "resident_id",
            "benefit_year",
            unique=True,
            sqlite_where=text(ONE_PER_YEAR),
            postgresql_where=text(ONE_PER_YEAR),
        ),
        Index("ix_enrollments_resident_year", "resident_id", "benefit_year"),
        # covering the resident's state at a date (targets.counting; migration 0020)
        Index(
            "ix_enrollments_state",
            "resident_id",
            "benefit_year",
            "enrolled_on",
            "status",
            "source",
            "insurance_type",
            "payment_id",
        ),
        Index("ix_enrollments_year_region", "benefit_year", "region_code"),
        # enrolled outside our campaigns: with at most one live campaign row (above), a resident
        # enrolled twice for a year has one (the duplicate-enrollments list; migration 0023)
        Index("ix_enrollments_outside_campaigns", "benefit_year", "resident_id", **OUTSIDE_CAMPAIGNS),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    benefit_year: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(12))
    insurance_type: Mapped[str] = mapped_column(
        String(3), default=InsuranceType.RESIDENT.value
    )  # 390 resident, 310 employee
    status: Mapped[str] = mapped_column(String(10), default=EnrollmentStatus.ENROLLED.value)
    source: Mapped[str] = mapped_column(String(10))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    enrolled_on: Mapped[dt.date] = mapped_column(Date)


class PaymentStatus(StrEnum):
    ACCEPTED = "accepted"  # enrolls the resident, has a receipt
    HELD = "held"  # waits for review (``hold_reason``)
    UNMATCHED = "unmatched"  # names an ID number the registry does not know
    REFUNDED = "refunded"  # given back (urrbmi.campaign.payments.cancel_payment)


PAYMENT_STATUS = tuple(s.value for s in PaymentStatus)
CHANNELS = ("cash", "pos", "wechat", "alipay", "unionpay", "bank", "tax")


class Payment(Base):
    """One payment as received. Only ``accepted`` payments enroll; ``held`` ones wait for review
    (``hold_reason``: amount_mismatch, already_paid, not_assessed); ``unmatched`` names an ID
    number the registry does not know."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("channel", "external_ref", name="uq_payments_channel_ref"),
        CheckConstraint(_in("status", PAYMENT_STATUS), name="status"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint("amount_fen >= 0", name="amount"),
        Index(
            "uq_payments_campaign_resident_accepted",
            "campaign_id",
            "resident_id",
            unique=True,
            sqlite_where=text("status = 'accepted'"),
            postgresql_where=text("status = 'accepted'"),
        ),
        Index("ix_payments_resident", "resident_id"),
        Index("ix_payments_state", "resident_id", "campaign_id", "status", "paid_on", "id"),  # migration 0020
        # the payments awaiting a person (the reconciliation's lists), a few among a million
        Index(
            "ix_payments_to_review",
            "campaign_id",
            "id",
            sqlite_where=text("status IN ('held', 'unmatched')"),
            postgresql_where=text("status IN ('held', 'unmatched')"),
        ),  # migration 0024
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    id_number: Mapped[str] = mapped_column(String(18))  # as paid (kept for unmatched rows)
    channel: Mapped[str] = mapped_column(String(10))
    external_ref: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    due_fen: Mapped[int | None] = mapped_column(BigInteger)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    hold_reason: Mapped[str | None] = mapped_column(String(20))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    batch_id: Mapped[str | None] = mapped_column(String(64), index=True)


class Receipt(Base):
    """Receipt numbers, issued by the database for accepted payments."""

    __tablename__ = "receipts"
    # never reuse a number, even after a delete
    __table_args__ = ({"sqlite_autoincrement": True},)

    receipt_no: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)


REFUND_KIND = ("refund", "top_up", "cancellation")


class RefundStatus(StrEnum):
    """The lifecycle of money after payment (docs/registry.md "Refunds and 补发")."""

    PENDING = "pending"  # created (cancel, accept with a difference, identity change)
    APPROVED = "approved"  # an officer other than the creator approved it
    REJECTED = "rejected"  # an officer refused it (with a reason): final
    SENT = "sent"  # written to a refund file for the paying channel (a batch)
    PAID = "paid"  # the channel reported it paid: final
    FAILED = "failed"  # the channel reported a failure: may be sent again or rejected
    VOID = "void"  # withdrawn by the system (kept for old rows)


REFUND_STATUS = tuple(s.value for s in RefundStatus)


class Refund(Base):
    """Money owed back (refund, 补发), owed in addition (top_up) or a cancelled payment."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint(_in("kind", REFUND_KIND), name="kind"),
        CheckConstraint(_in("status", REFUND_STATUS), name="status"),
        CheckConstraint("amount_fen >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    kind: Mapped[str] = mapped_column(String(12))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # the lifecycle (urrbmi.campaign.refunds); NULL until the step is taken
    created_by: Mapped[str | None] = mapped_column(String(100))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_reason: Mapped[str | None] = mapped_column(String(400))
    channel: Mapped[str | None] = mapped_column(String(10))
    batch_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    channel_ref: Mapped[str | None] = mapped_column(String(64))
    result_reason: Mapped[str | None] = mapped_column(String(200))


class BenefitPeriod(Base):
    __tablename__ = "benefit_periods"
    __table_args__ = (CheckConstraint("end_on >= start_on", name="period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date] = mapped_column(Date)


class AuditLog(Base):
    """Who changed what. ID numbers in ``old``/``new`` are masked (see registry.audit)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    table_name: Mapped[str] = mapped_column(String(40))
    row_key: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PaymentStaging(Base):
    """Rows of a bulk payment file, validated, before the set-based insert (emptied after)."""

    __tablename__ = "payment_staging"
    __table_args__ = (Index("ix_payment_staging_batch_ref", "batch_id", "external_ref"),)

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_ref: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(18))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    # worked out in Python before the set-based insert (the quote at paid_on)
    resident_id: Mapped[int | None] = mapped_column(BigInteger)
    due_fen: Mapped[int | None] = mapped_column(BigInteger)
    benefit_start: Mapped[dt.date | None] = mapped_column(Date)
    benefit_end: Mapped[dt.date | None] = mapped_column(Date)
    hold_reason: Mapped[str | None] = mapped_column(String(20))


# Tables of the other parts live in their own modules; import them so Base.metadata is complete.
from urrbmi.db import (  # noqa: E402,F401
    models_access,
    models_fieldwork,
    models_handover,
    models_imports,
    models_progress,
    models_schools,
    models_state,
    models_targets,
)
