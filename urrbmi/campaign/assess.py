"""Assessment: what every resident of the campaign's region owes (or why they owe nothing).

Set-based (docs/batch.md, "Campaign assessment"):

1. one SQL query reads the region's residents with everything the engine needs (their
   identities on the identity day aggregated into one text column, their chosen tier, whether
   they are enrolled here or elsewhere, their current assessment's identities) into a Polars
   DataFrame (``COPY … TO STDOUT`` on PostgreSQL);
2. exclusions and the pricing profiles are computed in Polars: the residents to collect from
   reduce to their distinct profiles (a few hundred per county);
3. the scalar engine quotes each profile once (answer, explanation, error message) and every
   resident takes its profile's answer by a join: one engine, so nothing to cross-check
   (docs/decisions.md, "A rule kind is written once");
4. old rows are deleted and the new ones written with COPY (one ``executemany`` on SQLite);
   fully subsidised residents are enrolled (``source='subsidy'``) with set-based SQL.

Steps 1–3 are :mod:`urrbmi.campaign.assess_frame` (reading and pricing frames, no writes); this
module runs them, writes the rows and keeps the subsidised enrolled (step 4).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    SelectBase,
    String,
    and_,
    bindparam,
    literal,
    not_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from urrbmi.campaign import ledger
from urrbmi.campaign.assess_frame import changed_since_assessed, price_frame, read_residents
from urrbmi.campaign.campaigns import Pricer, campaign_policy, identity_day
from urrbmi.db.bulk import bulk_insert
from urrbmi.db.frames import is_postgres, write_frame
from urrbmi.db.models import (
    Assessment,
    Campaign,
    Enrollment,
    EnrollmentSource,
    Explanation,
    InsuranceType,
    Resident,
)
from urrbmi.registry import audit
from urrbmi.registry.regions import get_region, prefix


@dataclass
class AssessSummary:
    assessed: int = 0
    due: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    distinct_quotes: int = 0
    enrolled_subsidised: int = 0  # enrollments created (source='subsidy')
    unenrolled_subsidised: int = 0  # subsidy enrollments cancelled: they now owe money
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "assessed": self.assessed,
            "due": self.due,
            "excluded": dict(self.excluded),
            "errors": dict(self.errors),
            "distinct_quotes": self.distinct_quotes,
            "enrolled_subsidised": self.enrolled_subsidised,
            "unenrolled_subsidised": self.unenrolled_subsidised,
        }


def assess(
    session: Session,
    c: Campaign,
    as_of: dt.date,
    *,
    tier: int | None = None,
    actor: str,
    chunk: int = 10_000,
    progress: Callable[[int], None] | None = None,
    only_changed: bool = False,
    residents: Sequence[int] | None = None,
) -> AssessSummary:
    """(Re)assess the residents of the campaign's region as if paying on ``as_of``.

    Each resident's tier is the one they chose (``resident_tiers``), else ``tier`` if given,
    else the campaign's ``default_tier``. Residents enrolled in this campaign by a payment (or
    with a guardian, or imported) keep their assessment: what they paid stands (identity changes
    after payment go through :func:`urrbmi.campaign.changes.identity_changes`). Residents
    enrolled because a subsidy covers everything (``source='subsidy'``) are assessed again only
    if their identities changed; if they now owe money their enrollment is cancelled.

    ``only_changed``: only residents whose identities on the identity day differ from their
    assessment's, and residents never assessed: the monthly re-assessment after the departments' lists.
    ``residents``: only these resident ids (one resident's change). ``chunk`` is unused (kept
    for callers of the former chunked version)."""
    import time

    clock = time.perf_counter()
    policy = campaign_policy(c)
    day = identity_day(policy, as_of)
    summary = AssessSummary()
    if is_postgres(session) and residents is None:
        # bulk loads leave the planner's statistics stale
        session.execute(text("ANALYZE residents, memberships, enrollments, assessments, resident_tiers"))
    frame = read_residents(session, c, day, only=residents, changed_only=only_changed)
    summary.seconds["read"] = time.perf_counter() - clock
    changed = changed_since_assessed()
    keep = pl.col("enrolled_by").is_not_null() & (
        (pl.col("enrolled_by") != EnrollmentSource.SUBSIDY.value) | ~changed
    )
    frame = frame.filter(~keep)
    if only_changed:
        frame = frame.filter(changed)
    clock = time.perf_counter()
    pricer = Pricer(policy)
    rows = price_frame(c, pricer, frame, as_of, c.default_tier if tier is None else tier)
    summary.seconds["engine"] = time.perf_counter() - clock
    clock = time.perf_counter()
    known = set(session.scalars(select(Explanation.hash)))
    new_expl = [
        {"hash": pr.explanation_hash, "steps": list(pr.explanation)}
        for pr in {p.explanation_hash: p for p in pricer.cache.values() if p.explanation_hash}.values()
        if pr.explanation_hash not in known
    ]
    bulk_insert(session, Explanation, new_expl)
    if not only_changed and residents is None:
        # residents who left the region since the last run (paid ones keep their row)
        session.execute(
            text(_LEFT), {"cid": c.id, "prefix": prefix(get_region(session, c.region_code)) + "%"}
        )
    # rows replaced in place (no delete): unchanged keys are not checked again
    rerun = frame["a_categories"].is_not_null().any()
    write_frame(session, "assessments", rows, upsert_on=("campaign_id", "resident_id") if rerun else ())
    summary.seconds["write"] = time.perf_counter() - clock
    clock = time.perf_counter()
    summary.assessed = rows.height
    counts = rows.group_by("status", "reason").len().iter_rows()
    for status, reason, n in counts:
        if status == "due":
            summary.due += n
        elif status == "excluded":
            summary.excluded[reason] += n
        else:
            summary.errors[reason] += n
    summary.distinct_quotes = pricer.quotes
    partial = only_changed or residents is not None
    summary.enrolled_subsidised, summary.unenrolled_subsidised = sync_subsidised(
        session, c, as_of, actor=actor, only=rows["resident_id"].to_list() if partial else None
    )
    summary.seconds["enroll"] = time.perf_counter() - clock
    if progress is not None:
        progress(rows.height)
    audit.record(
        session,
        actor,
        "assessments",
        f"campaign:{c.id}",
        "reassess" if only_changed or residents is not None else "assess",
        None,
        summary.as_dict() | {"as_of": as_of.isoformat()},
    )
    return summary


def reassess_changed(session: Session, c: Campaign, as_of: dt.date, *, actor: str) -> AssessSummary:
    """Re-assess only the residents whose identities changed since their assessment."""
    return assess(session, c, as_of, actor=actor, only_changed=True)


_LEFT = """
DELETE FROM assessments WHERE campaign_id = :cid
  AND EXISTS (SELECT 1 FROM residents r
              WHERE r.id = assessments.resident_id AND r.region_code NOT LIKE :prefix)
  AND NOT EXISTS (SELECT 1 FROM enrollments e
                  WHERE e.campaign_id = :cid AND e.resident_id = assessments.resident_id
                    AND e.status = 'enrolled' AND e.source <> 'subsidy')
"""


# Fully subsidised: the engine says nothing is due because a subsidy covers it (not because the
# contribution is waived, as for a newborn following a guardian: that is source 'guardian').
def _free() -> ColumnElement[bool]:
    return and_(Assessment.status == "due", Assessment.total_due_fen == 0, Assessment.subsidy_fen > 0)


def _subsidised(c: Campaign, on: dt.date, scope: ColumnElement[bool]) -> SelectBase:
    """The campaign's fully subsidised residents as enrollments (with the assessment's period)."""
    return (
        select(
            Assessment.campaign_id.label("campaign_id"),
            Assessment.resident_id.label("resident_id"),
            literal(c.benefit_year, Integer()).label("benefit_year"),
            Resident.region_code.label("region_code"),
            literal(InsuranceType.RESIDENT.value, String()).label("insurance_type"),
            ledger.typed_null("int").label("payment_id"),
            literal(on, Date()).label("enrolled_on"),
            Assessment.benefit_start.label("start_on"),
            Assessment.benefit_end.label("end_on"),
        )
        .join(Resident, Resident.id == Assessment.resident_id)
        .where(Assessment.campaign_id == c.id, _free(), scope)
    )


def sync_subsidised(
    session: Session, c: Campaign, on: dt.date, *, actor: str, only: Sequence[int] | None = None
) -> tuple[int, int]:
    """Enroll the fully subsidised residents of the campaign (if the campaign says so) and cancel
    the subsidy enrollments of residents who now owe money (their benefit periods removed);
    returns (enrolled, cancelled). ``only``: just these residents (those a re-assessment wrote);
    None: the whole campaign. Residents a campaign already enrolled for the year (they paid, or
    another region enrolled them) are left alone: one enrollment per resident and year."""
    scope: ColumnElement[bool] = true()
    if only is not None:
        if not only:
            return 0, 0
        if len(only) <= 50_000:  # literal integers; beyond that a scan of the campaign is cheaper
            scope = Assessment.resident_id.in_(
                bindparam("only", [int(i) for i in only], expanding=True, literal_execute=True)
            )
    owes = select(Assessment.resident_id).where(Assessment.campaign_id == c.id, not_(_free()), scope)
    cancelled = ledger.cancel(
        session,
        and_(
            Enrollment.campaign_id == c.id,
            Enrollment.source == EnrollmentSource.SUBSIDY.value,
            Enrollment.resident_id.in_(owes),
        ),
        actor=actor,
        audit_key=None,  # the campaign's subsidy_sync row below
        drop_periods=True,
    )
    enrolled = 0
    if c.enroll_subsidised:
        enrolled = ledger.enroll_from(
            session,
            _subsidised(c, on, scope),
            source=EnrollmentSource.SUBSIDY,
            actor=actor,
            audit_key=None,
            unless_enrolled=True,
        )
    if enrolled or cancelled:
        audit.record(
            session,
            actor,
            "enrollments",
            f"campaign:{c.id}",
            "subsidy_sync",
            None,
            {"enrolled": enrolled, "cancelled": cancelled, "on": on.isoformat()},
        )
    return enrolled, cancelled
