"""The ledger: the one module that writes enrollments (参保), their benefit periods (待遇享受期),
money owed back (refunds, 补发, top-ups) and the audit rows of these writes.

Every writer goes through here — a counter payment, a channel's file, a held payment accepted on
review, the fully subsidised enrolled by an assessment, a newborn following a guardian, an
enrollment known elsewhere, a department's 上年参保 list (file or review queue). Set-based: a
resident is a set of one.

- :func:`enroll` takes rows built in Python (a counter payment, a review decision): one
  multi-row ``INSERT … RETURNING`` for the enrollments and one for the benefit periods;
- :func:`enroll_from` takes a ``SELECT`` (a channel's file, an assessment, an import batch): one
  ``INSERT … SELECT`` for the enrollments and one for their benefit periods, whatever the size;
- :func:`cancel` cancels the enrollments a condition names (a refunded payment, a subsidy that
  no longer covers the whole contribution), optionally removing their benefit periods;
- :func:`owe` records money owed back or in addition (``refunds``, status pending).

The guards stay in the database: one live enrollment per resident and benefit year across our
campaigns (partial unique index, migration 0011) and one accepted payment per resident and
campaign. :func:`enroll` and :func:`enroll_from` let a violation raise (the caller's savepoint
re-runs, :func:`urrbmi.campaign.payments.apply_payments_raced`) unless asked to skip residents
already enrolled (``unless_enrolled``: the subsidised, who may have paid meanwhile).
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    SelectBase,
    String,
    Table,
    and_,
    cast,
    exists,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from urrbmi.db import dialect
from urrbmi.db.models import (
    Base,
    BenefitPeriod,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    InsuranceType,
    Refund,
    RefundStatus,
)
from urrbmi.registry import audit


def cast_table(model: type[Base]) -> Table:
    return typing.cast(Table, model.__table__)


ENROLLED = EnrollmentStatus.ENROLLED.value
EACH = "each"  # audit_key of enroll: one audit row per enrollment, keyed by its id


class NewEnrollment(NamedTuple):
    """One enrollment to write; a benefit period too when ``start_on`` is given."""

    campaign_id: int | None
    resident_id: int
    benefit_year: int
    region_code: str
    enrolled_on: dt.date
    start_on: dt.date | None = None
    end_on: dt.date | None = None
    payment_id: int | None = None
    insurance_type: str = InsuranceType.RESIDENT.value


# the columns a SELECT given to enroll_from must name (start_on/end_on NULL: no benefit period)
COLUMNS = (
    "campaign_id",
    "resident_id",
    "benefit_year",
    "region_code",
    "insurance_type",
    "payment_id",
    "enrolled_on",
    "start_on",
    "end_on",
)
_ENROLLMENT_COLUMNS = [*COLUMNS[:7], "status", "source"]
_PERIOD_COLUMNS = ["enrollment_id", "resident_id", "start_on", "end_on"]
_ENROLLMENTS = cast_table(Enrollment)
_PERIODS = cast_table(BenefitPeriod)


def enrolled_for_year(resident_id: Any, benefit_year: Any) -> ColumnElement[bool]:
    """A live enrollment of one of our campaigns for the resident and year (what the partial
    unique index allows once)."""
    e = aliased(Enrollment)
    return exists().where(
        e.resident_id == resident_id,
        e.benefit_year == benefit_year,
        e.status == ENROLLED,
        e.campaign_id.is_not(None),
    )


def _audit(
    session: Session, actor: str, key: str | int | None, action: str, new: Mapping[str, Any] | None
) -> None:
    if key is not None:
        audit.record(session, actor, "enrollments", key, action, None, dict(new or {}))


def enroll(
    session: Session,
    rows: Sequence[NewEnrollment],
    *,
    source: EnrollmentSource,
    actor: str,
    audit_key: str | int | None,
    audit_new: Mapping[str, Any] | None = None,
) -> list[int]:
    """Write ``rows`` as live enrollments of ``source`` with their benefit periods; returns the
    enrollment ids in the order of ``rows``. ``audit_key``: the audit row's key (:data:`EACH`:
    one row per enrollment keyed by its id; None: the caller's own audit row covers the write,
    e.g. the payment's)."""
    if not rows:
        return []
    values = [
        {
            "campaign_id": r.campaign_id,
            "resident_id": r.resident_id,
            "benefit_year": r.benefit_year,
            "region_code": r.region_code,
            "insurance_type": r.insurance_type,
            "payment_id": r.payment_id,
            "enrolled_on": r.enrolled_on,
            "status": ENROLLED,
            "source": source.value,
        }
        for r in rows
    ]
    stmt = insert(Enrollment).returning(Enrollment.id, sort_by_parameter_order=True)
    if len(values) == 1:
        got = [session.execute(stmt.values(values[0])).scalar_one()]
    else:
        got = list(session.scalars(stmt, values))
    periods = [
        {"enrollment_id": i, "resident_id": r.resident_id, "start_on": r.start_on, "end_on": r.end_on}
        for i, r in zip(got, rows, strict=True)
        if r.start_on is not None
    ]
    if periods:
        session.execute(insert(BenefitPeriod), periods)
    if audit_key == EACH:  # one row per enrollment, keyed by its id (the audit log scopes it)
        for i in got:
            _audit(session, actor, i, "insert", {"source": source.value} | dict(audit_new or {}))
    else:
        new = {"source": source.value, "enrolled": len(got)} | dict(audit_new or {})
        _audit(session, actor, audit_key, "insert", new)
    return got


def enroll_from(
    session: Session,
    rows: SelectBase,
    *,
    source: EnrollmentSource,
    actor: str,
    audit_key: str | int | None,
    audit_new: Mapping[str, Any] | None = None,
    unless_enrolled: bool = False,
    analyze_after: bool = False,
    with_periods: bool = True,
) -> int:
    """Write the rows of a ``SELECT`` naming :data:`COLUMNS` as live enrollments of ``source``,
    with a benefit period each where ``start_on`` is not NULL; returns how many were enrolled.
    ``unless_enrolled``: skip residents already enrolled for the year by a campaign (else the
    unique index refuses the statement). ``analyze_after``: a big write (thousands): let
    PostgreSQL's planner see the new enrollments before joining them to their periods. The audit
    row is written only when something was. ``with_periods=False``: the rows have none (reports
    from elsewhere), the second statement is not sent."""
    s = rows.subquery("s")
    pick = select(
        s.c.campaign_id,
        s.c.resident_id,
        s.c.benefit_year,
        s.c.region_code,
        s.c.insurance_type,
        s.c.payment_id,
        s.c.enrolled_on,
        literal(ENROLLED, String()),
        literal(source.value, String()),
    )
    if unless_enrolled:
        pick = pick.where(~enrolled_for_year(s.c.resident_id, s.c.benefit_year))
    n = dialect.write_count(session, insert(_ENROLLMENTS).from_select(_ENROLLMENT_COLUMNS, pick))
    if n and analyze_after:
        dialect.analyze(session, "enrollments")
    if n and with_periods:
        # the periods of the enrollments just written: the live one of the campaign for the
        # resident and year (unique), still without a period
        e = aliased(Enrollment)
        b = aliased(BenefitPeriod)
        session.execute(
            insert(_PERIODS).from_select(
                _PERIOD_COLUMNS,
                select(e.id, e.resident_id, s.c.start_on, s.c.end_on)
                .join(
                    e,
                    and_(
                        e.resident_id == s.c.resident_id,
                        e.benefit_year == s.c.benefit_year,
                        e.campaign_id == s.c.campaign_id,
                        e.status == ENROLLED,
                        e.source == source.value,
                    ),
                )
                .where(s.c.start_on.is_not(None), ~exists().where(b.enrollment_id == e.id)),
            )
        )
    if n:
        _audit(
            session,
            actor,
            audit_key,
            "insert",
            {"source": source.value, "enrolled": n} | dict(audit_new or {}),
        )
    return n


def cancel(
    session: Session,
    where: ColumnElement[bool],
    *,
    actor: str,
    audit_key: str | int | None,
    audit_new: Mapping[str, Any] | None = None,
    drop_periods: bool = False,
) -> int:
    """Cancel the live enrollments ``where`` names (a condition on ``Enrollment``); returns how
    many. ``drop_periods``: remove their benefit periods too (an enrollment that never should have
    been: a subsidy that no longer covers the contribution); else the period stays as a record of
    what was granted. The audit row is written only when something was cancelled."""
    live = and_(Enrollment.status == ENROLLED, where)
    if drop_periods:
        session.execute(
            _PERIODS.delete().where(BenefitPeriod.enrollment_id.in_(select(Enrollment.id).where(live)))
        )
    n = dialect.write_count(
        session, update(_ENROLLMENTS).where(live).values(status=EnrollmentStatus.CANCELLED.value)
    )
    if n:
        _audit(session, actor, audit_key, "cancel", {"cancelled": n} | dict(audit_new or {}))
    return n


def owe(
    session: Session,
    *,
    campaign_id: int,
    resident_id: int,
    payment_id: int | None,
    kind: str,
    amount_fen: int,
    reason: str,
    actor: str,
) -> None:
    """Record money owed back (``refund``: paid too much, 补发; ``cancellation``: a cancelled
    payment) or owed in addition (``top_up``), pending an officer's approval
    (:mod:`urrbmi.campaign.refunds` carries it on). The caller audits the decision behind it."""
    session.execute(
        insert(Refund).values(
            campaign_id=campaign_id,
            resident_id=resident_id,
            payment_id=payment_id,
            kind=kind,
            amount_fen=amount_fen,
            reason=reason,
            status=RefundStatus.PENDING.value,
            created_at=audit.now(),
            created_by=actor,
        )
    )


def typed_null(kind: str) -> Any:
    """A typed NULL column for a SELECT given to :func:`enroll_from` (a column it does not have)."""
    return cast(null(), Integer() if kind == "int" else Date())


__all__ = [
    "COLUMNS",
    "EACH",
    "NewEnrollment",
    "cancel",
    "enroll",
    "enroll_from",
    "enrolled_for_year",
    "owe",
    "typed_null",
]


def paid_enrollment_sql(payment: str) -> str:
    """PostgreSQL only: the data-modifying ``WITH`` items (``e``, ``b``) that enroll, with the
    benefit period, the resident paid for by the caller's CTE ``payment`` (one row; columns
    ``id``, ``campaign_id``, ``resident_id``, ``paid_on``), so a counter payment writes its
    enrollment in its own statement (:mod:`urrbmi.campaign.payment_counter`: one round trip
    instead of three). The same rows as :func:`enroll` with ``source=payment`` and
    ``audit_key=None`` (the payment's audit row covers them). A live enrollment of the resident
    for the year (the partial unique index) makes ``e`` empty instead of failing the statement:
    the caller checks ``e`` (columns ``id``, ``resident_id``, ``payment_id``) and takes its payment
    back. Bound parameters: ``:benefit_year``, ``:region_code``, ``:start_on``, ``:end_on`` (no
    period when NULL)."""
    return (
        "e AS (INSERT INTO enrollments (campaign_id, resident_id, benefit_year, region_code, "
        "insurance_type, payment_id, enrolled_on, status, source) "
        "SELECT campaign_id, resident_id, CAST(:benefit_year AS INTEGER), CAST(:region_code AS VARCHAR), "
        f"'{InsuranceType.RESIDENT.value}', id, paid_on, '{ENROLLED}', '{EnrollmentSource.PAYMENT.value}' "
        f"FROM {payment} ON CONFLICT DO NOTHING RETURNING id, resident_id, payment_id), "
        "b AS (INSERT INTO benefit_periods (enrollment_id, resident_id, start_on, end_on) "
        "SELECT id, resident_id, CAST(:start_on AS DATE), CAST(:end_on AS DATE) FROM e "
        "WHERE CAST(:start_on AS DATE) IS NOT NULL)"
    )
