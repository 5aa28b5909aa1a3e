"""Assessment: what every resident of the campaign's region owes (or why they owe nothing).

Set-based: residents are read in id order in chunks (keyset pagination, one query per chunk for
the residents and one for their identities), priced in-process with a cache per distinct profile,
and written with multi-row inserts. Nothing here is one ORM round trip per resident.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from urrbmi.campaign.campaigns import (
    Pricer,
    campaign_policy,
    exclusion,
    identity_day,
    profile,
    profile_columns,
)
from urrbmi.db.bulk import bulk_insert
from urrbmi.db.models import Assessment, Campaign, Enrollment, Explanation, Membership, Resident
from urrbmi.registry import audit
from urrbmi.registry.regions import get_region, prefix
from urrbmi.registry.residents import valid_on


@dataclass
class AssessSummary:
    assessed: int = 0
    due: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    distinct_quotes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "assessed": self.assessed,
            "due": self.due,
            "excluded": dict(self.excluded),
            "errors": dict(self.errors),
            "distinct_quotes": self.distinct_quotes,
        }


def assess(
    session: Session,
    c: Campaign,
    as_of: dt.date,
    *,
    tier: int = 1,
    actor: str,
    chunk: int = 10_000,
    progress: Callable[[int], None] | None = None,
) -> AssessSummary:
    """(Re)assess every resident of the campaign's region as if paying on ``as_of``.

    Residents already enrolled in this campaign keep their assessment (what they paid stands);
    everyone else is assessed afresh."""
    policy = campaign_policy(c)
    region = get_region(session, c.region_code)
    day = identity_day(policy, as_of)
    enrolled_here = select(Enrollment.resident_id).where(
        Enrollment.campaign_id == c.id, Enrollment.status == "enrolled"
    )
    session.execute(
        delete(Assessment).where(Assessment.campaign_id == c.id, Assessment.resident_id.not_in(enrolled_here))
    )
    if session.get_bind().dialect.name == "postgresql":
        # bulk loads leave the planner's statistics stale (it then scans every resident per chunk)
        session.execute(text("ANALYZE residents, memberships, enrollments"))
    kept = set(session.scalars(select(Assessment.resident_id).where(Assessment.campaign_id == c.id)))
    known = set(session.scalars(select(Explanation.hash)))
    pricer = Pricer(policy)
    summary = AssessSummary()
    base = (
        select(*profile_columns(c.benefit_year, c.id))
        .where(Resident.region_code.startswith(prefix(region)))
        .order_by(Resident.id)
        .limit(chunk)
    )
    last = 0
    while True:
        rows = session.execute(base.where(Resident.id > last)).all()
        if not rows:
            break
        lo, last = rows[0].id, rows[-1].id
        cats: dict[int, list[str]] = defaultdict(list)
        for rid, code in session.execute(
            select(Membership.resident_id, Membership.category_code).where(
                Membership.resident_id.between(lo, last), valid_on(day)
            )
        ):
            cats[rid].append(code)
        out: list[dict[str, Any]] = []
        new_expl: list[dict[str, Any]] = []
        for row in rows:
            if row.id in kept:  # enrolled here: their assessment stands
                continue
            codes = tuple(sorted(set(cats.get(row.id, ()))))
            rec: dict[str, Any] = {
                "campaign_id": c.id,
                "resident_id": row.id,
                "policy_version": c.policy_version,
                "as_of": as_of,
                "categories": ",".join(codes),
                "tier": tier,
            }
            why = exclusion(row, as_of)
            if why is not None:
                rec |= {"status": "excluded", "reason": why}
                summary.excluded[why] += 1
            else:
                pr = pricer.price(profile(row, codes, tier, as_of))
                if pr.error_code is not None:
                    rec |= {"status": "error", "reason": pr.error_code, "message": pr.message}
                    summary.errors[pr.error_code] += 1
                else:
                    rec |= {
                        "status": "due",
                        "person_class": pr.person_class,
                        "standard_fen": pr.standard_fen,
                        "subsidy_fen": pr.subsidy_fen,
                        "subsidy_category": pr.subsidy_category,
                        "individual_fen": pr.individual_fen,
                        "fiscal_fen": pr.fiscal_fen,
                        "total_due_fen": pr.total_due_fen,
                        "benefit_start": pr.benefit_start,
                        "benefit_end": pr.benefit_end,
                        "window": pr.window,
                        "explanation_hash": pr.explanation_hash,
                    }
                    summary.due += 1
                    if pr.explanation_hash not in known:
                        known.add(pr.explanation_hash or "")
                        new_expl.append({"hash": pr.explanation_hash, "steps": list(pr.explanation)})
            out.append(rec)
        if new_expl:
            bulk_insert(session, Explanation, new_expl)
        bulk_insert(session, Assessment, _complete(out))
        summary.assessed += len(out)
        if progress is not None:
            progress(len(out))
    summary.distinct_quotes = pricer.quotes
    audit.record(session, actor, "assessments", f"campaign:{c.id}", "assess", None, summary.as_dict())
    return summary


_OPTIONAL = (
    "reason",
    "message",
    "person_class",
    "standard_fen",
    "subsidy_fen",
    "subsidy_category",
    "individual_fen",
    "fiscal_fen",
    "total_due_fen",
    "benefit_start",
    "benefit_end",
    "window",
    "explanation_hash",
)


def _complete(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row with the same keys, so the driver can batch them into one multi-row insert."""
    for r in rows:
        for k in _OPTIONAL:
            r.setdefault(k, None)
    return rows
