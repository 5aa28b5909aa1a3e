"""The tier (缴费档次 一档/二档) each resident chooses, and the campaign's settings.

Notices with two tiers (Fengdu/Shetan, Qianjiang, Suixi lists one) let each resident choose; the
choice is stored per campaign in ``resident_tiers``. Residents who have not chosen are assessed
at the campaign's ``default_tier`` (1 unless configured). Choosing a tier re-assesses that
resident at once (the roster and payment checks then use the new amount); it is refused once
the resident has paid (cancel the payment first).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi import clock, ids
from urrbmi.campaign.assess import AssessSummary, assess
from urrbmi.campaign.campaigns import campaign_policy
from urrbmi.db.models import (
    Assessment,
    Campaign,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    ResidentTier,
)
from urrbmi.errors import InvalidInput
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict, NotFound
from urrbmi.registry.regions import get_region, prefix
from urrbmi.registry.residents import get_resident


def _check_tier(c: Campaign, tier: int) -> None:
    tiers = tuple(campaign_policy(c).model.tiers)
    if tier not in tiers:
        raise InvalidInput(
            f"政策{c.policy_id}没有{tier}档（可选：{'、'.join(str(t) for t in tiers)}档）",
            f"policy {c.policy_id} has no tier {tier} (tiers: {', '.join(str(t) for t in tiers)})",
        )


def choose_tier(
    session: Session,
    c: Campaign,
    id_number: str,
    tier: int,
    *,
    actor: str,
    on: dt.date | None = None,
    scope: str = "",
) -> AssessSummary:
    """Record the resident's chosen tier and re-assess them (as of their current assessment's
    day, else ``on``, else today). ``scope``: region-code prefix the actor may act on."""
    _check_tier(c, tier)
    r = get_resident(session, id_number)
    region = get_region(session, c.region_code)
    if not r.region_code.startswith(prefix(region)) or not r.region_code.startswith(scope):
        raise NotFound(
            f"居民{ids.mask(r.id_number)}不在征缴批次{c.id}的范围内",
            f"resident {ids.mask(r.id_number)} is not in campaign {c.id}'s area",
        )
    enrolled = session.scalars(
        select(Enrollment.source).where(
            Enrollment.campaign_id == c.id,
            Enrollment.resident_id == r.id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
        )
    ).first()
    if enrolled is not None and enrolled != EnrollmentSource.SUBSIDY:
        raise Conflict(
            f"居民{ids.mask(r.id_number)}已参保缴费，不能再改档次；请先撤销缴费",
            f"resident {ids.mask(r.id_number)} has paid; cancel the payment before changing the tier",
        )
    row = session.get(ResidentTier, (c.id, r.id))
    old = None if row is None else {"tier": row.tier}
    today = clock.today()
    if row is None:
        session.add(
            ResidentTier(campaign_id=c.id, resident_id=r.id, tier=tier, chosen_on=today, chosen_by=actor)
        )
    else:
        row.tier, row.chosen_on, row.chosen_by = tier, today, actor
    session.flush()
    audit.record(
        session,
        actor,
        "resident_tiers",
        f"{c.id}:{r.id}",
        "choose",
        old,
        {"tier": tier, "id_number": r.id_number},
    )
    as_of = session.scalars(
        select(Assessment.as_of).where(Assessment.campaign_id == c.id, Assessment.resident_id == r.id)
    ).first()
    return assess(session, c, as_of or on or today, actor=actor, residents=[r.id])


def configure(
    session: Session,
    c: Campaign,
    *,
    default_tier: int | None = None,
    enroll_subsidised: bool | None = None,
    actor: str,
) -> Campaign:
    """Change the campaign's default tier and whether fully subsidised residents are enrolled at
    assessment (takes effect at the next assessment)."""
    old = {"default_tier": c.default_tier, "enroll_subsidised": c.enroll_subsidised}
    if default_tier is not None:
        _check_tier(c, default_tier)
        c.default_tier = default_tier
    if enroll_subsidised is not None:
        c.enroll_subsidised = enroll_subsidised
    session.flush()
    audit.record(
        session,
        actor,
        "campaigns",
        c.id,
        "configure",
        old,
        {"default_tier": c.default_tier, "enroll_subsidised": c.enroll_subsidised},
    )
    return c
