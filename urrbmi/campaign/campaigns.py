"""Campaigns and the bridge from registry rows to the policy engine.

A campaign is one jurisdiction's collection for one benefit year under one policy, pinned to the
policy file's content hash (``policy_version``): if the file changes afterwards, the campaign
refuses to quote until it is re-pinned, so amounts already on rosters cannot drift silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from urrbmi.batch.convert import canonical_categories
from urrbmi.db.locks import lock_for_transaction
from urrbmi.db.models import (
    LEVEL_DIGITS,
    Campaign,
    Enrollment,
    EnrollmentStatus,
    InsuranceType,
    Region,
    Resident,
)
from urrbmi.errors import InvalidInput, UrrbmiError
from urrbmi.money import to_fen
from urrbmi.policy import LoadedPolicy, ResidentInput, load_policy, quote
from urrbmi.policy.engine import birth_thresholds, canonical_birth, history_key
from urrbmi.registry import audit
from urrbmi.registry.errors import CampaignOverlap, NotFound, PolicyChanged
from urrbmi.registry.regions import contains, get_region, prefix


def create_campaign(session: Session, policy_id: str, region_code: str, *, actor: str) -> Campaign:
    """Open a campaign for ``region_code`` under a policy; the region must lie in the policy's
    jurisdiction, and no other campaign of the benefit year may cover any of it (the same
    region, one above it or one under it)."""
    policy = load_policy(policy_id)
    region = get_region(session, region_code)
    j = policy.model.jurisdiction
    jcode = j.code
    # the jurisdiction's significant digits (a prefecture 652300 covers 6523xx); a town-level
    # notice that only gives its county's 6-digit code covers that county's codes
    jprefix = None if jcode is None else jcode[: LEVEL_DIGITS[j.level]]
    if jprefix is not None and not (region.code.startswith(jprefix) or contains(region, jcode or "")):
        raise InvalidInput(
            f"区划{region.code}（{region.name}）不在政策{policy.id}的适用范围"
            f"（{policy.model.jurisdiction.name}，{jcode}）内",
            f"region {region.code} is outside policy {policy.id}'s jurisdiction ({jcode})",
        )
    # one campaign per region and benefit year, along the region tree: a town's campaign and its
    # county's would collect from the same residents. Under the lock a concurrent creation for the
    # same year waits, then sees this one (urrbmi.db.locks)
    lock_for_transaction(session, "campaign.create", policy.benefit_year)
    clash = overlapping_campaign(session, region, policy.benefit_year)
    if clash is not None:
        found, other = clash
        raise CampaignOverlap(
            f"{policy.benefit_year}年度已有征缴批次{found.id}（{other.name}，{other.code}），"
            f"与{region.name}（{region.code}）的范围重叠；同一地区同一待遇年度只能开设一个征缴批次",
            f"campaign {found.id} ({other.name}, {other.code}) of benefit year {policy.benefit_year} "
            f"overlaps region {region.code} ({region.name}); one campaign per region and benefit year",
        )
    c = Campaign(
        region_code=region.code,
        benefit_year=policy.benefit_year,
        policy_id=policy.id,
        policy_version=policy.version,
        created_at=audit.now(),
    )
    session.add(c)
    session.flush()
    audit.record(
        session,
        actor,
        "campaigns",
        c.id,
        "insert",
        None,
        {"region": region.code, "year": c.benefit_year, "policy": policy.id, "version": policy.version},
    )
    return c


def overlapping_campaign(
    session: Session, region: Region, benefit_year: int
) -> tuple[Campaign, Region] | None:
    """A campaign of ``benefit_year`` whose region is ``region``, above it or under it."""
    mine = prefix(region)
    rows = session.execute(
        select(Campaign, Region)
        .join(Region, Region.code == Campaign.region_code)
        .where(Campaign.benefit_year == benefit_year)
        .order_by(Campaign.id)
    ).all()
    for c, other in rows:  # campaigns are few: one per region and year
        theirs = prefix(other)
        if theirs.startswith(mine) or mine.startswith(theirs):
            return c, other
    return None


def list_campaigns(session: Session) -> list[Campaign]:
    """Every campaign, oldest first (they are few: one per region and benefit year); the API
    filters them by the caller's scope (:func:`urrbmi.access.scope.visible_campaigns`)."""
    return list(session.scalars(select(Campaign).order_by(Campaign.id)))


def get_campaign(session: Session, campaign_id: int | None = None) -> Campaign:
    """A campaign by id; without an id, the only campaign (an error if there are several)."""
    if campaign_id is not None:
        c = session.get(Campaign, campaign_id)
        if c is None:
            raise NotFound(f"找不到征缴批次{campaign_id}", f"no campaign {campaign_id}")
        return c
    found = list(session.scalars(select(Campaign).order_by(Campaign.id).limit(2)))
    if len(found) != 1:
        raise InvalidInput(
            "请用 --campaign 指定征缴批次编号"
            if found
            else "还没有征缴批次，请先运行 urrbmi campaign create",
            "give --campaign ID" if found else "no campaign yet: run `urrbmi campaign create`",
        )
    return found[0]


def campaign_policy(c: Campaign) -> LoadedPolicy:
    """The campaign's policy, refused if its file changed since the campaign was pinned."""
    policy = load_policy(c.policy_id)
    if policy.version != c.policy_version:
        raise PolicyChanged(
            f"政策{c.policy_id}的文件已变更（版本{c.policy_version}→{policy.version}），"
            f"征缴批次{c.id}的应缴金额可能不同；请核对后用 urrbmi campaign repin 重新确认",
            f"policy {c.policy_id} changed since campaign {c.id} was created "
            f"({c.policy_version} -> {policy.version}); check and run `urrbmi campaign repin`",
        )
    return policy


def repin(session: Session, c: Campaign, *, actor: str) -> str:
    """Accept the policy file as it is now (after a reviewed change); returns the new version."""
    policy = load_policy(c.policy_id)
    old = c.policy_version
    c.policy_version = policy.version
    audit.record(session, actor, "campaigns", c.id, "repin", {"version": old}, {"version": policy.version})
    return policy.version


def identity_day(policy: LoadedPolicy, paid_on: dt.date) -> dt.date:
    """The day identities count on: the payment day, or the policy's reference date."""
    mi = policy.model.multiple_identities
    if mi.as_of == "reference_date" and mi.reference_date is not None:
        return mi.reference_date
    return paid_on


# --- residents as the engine sees them ------------------------------------------------------

Profile = tuple[Any, ...]  # the ResidentInput fields, hashable: the quote cache key


def profile_columns(benefit_year: int, campaign_id: int) -> list[Any]:
    """Columns of ``residents`` the engine needs, plus computed flags: whether the guardian
    is enrolled for the benefit year, whether the resident is enrolled anywhere other than
    this campaign for the same year (another region, or insurance type 310), and the facts of
    the benefit year: graduating this year (``graduation_year``), a migrant worker back for this
    year's Spring Festival (``returning_migrant_year``)."""
    guardian_enr = aliased(Enrollment)
    other = aliased(Enrollment)
    guardian_enrolled = exists().where(
        guardian_enr.resident_id == Resident.guardian_id,
        guardian_enr.benefit_year == benefit_year,
        guardian_enr.status == EnrollmentStatus.ENROLLED,
    )
    elsewhere = exists().where(
        other.resident_id == Resident.id,
        other.benefit_year == benefit_year,
        other.status == EnrollmentStatus.ENROLLED,
        and_(other.campaign_id.is_distinct_from(campaign_id)),
    )
    # the enrollment history the national rule from 2025 reads (国办发〔2024〕38号): the last
    # earlier benefit year enrolled in resident insurance (ours, imported or reported)
    history = aliased(Enrollment)
    last_insured = (
        select(func.max(history.benefit_year))
        .where(
            history.resident_id == Resident.id,
            history.benefit_year < benefit_year,
            history.status == EnrollmentStatus.ENROLLED,
            history.insurance_type == InsuranceType.RESIDENT.value,
        )
        .scalar_subquery()
    )
    return [
        Resident.id,
        Resident.birth_date,
        Resident.residence,
        Resident.student,
        Resident.employee_insured,
        Resident.employee_insurance_ended_on,
        Resident.employee_insurance_years,
        Resident.status,
        Resident.died_on,
        guardian_enrolled.label("guardian_enrolled"),
        elsewhere.label("elsewhere"),
        case((Resident.graduation_year == benefit_year, True), else_=False).label("graduating"),
        case((Resident.returning_migrant_year == benefit_year, True), else_=False).label("returning_migrant"),
        last_insured.label("last_insured"),
    ]


def exclusion(row: Any, on: dt.date) -> str | None:
    """Why a resident is not to be collected from (None: collect)."""
    if row.employee_insured:
        return "employee_insurance"
    if row.status == "deceased" or (row.died_on is not None and row.died_on <= on):
        return "deceased"
    if row.status == "moved_out":
        return "moved_out"
    if row.elsewhere:
        return "enrolled_elsewhere"
    return None


EXCLUSION_ZH = {
    "employee_insurance": "已参加职工医保",
    "deceased": "已死亡",
    "moved_out": "已迁出",
    "enrolled_elsewhere": "已在其他地区或险种参保",
}


def profile(row: Any, categories: tuple[str, ...], tier: int, paid_on: dt.date) -> Profile:
    ended = row.employee_insurance_ended_on
    return (
        row.birth_date,
        categories,
        tier,
        row.student,
        paid_on,
        row.residence,
        bool(row.guardian_enrolled),
        ended,
        float(row.employee_insurance_years or 0) if ended is not None else None,
        bool(row.graduating),
        bool(row.returning_migrant),
        row.last_insured,
    )


def resident_input(p: Profile) -> ResidentInput:
    born, cats, tier, student, paid_on, residence, guardian, ended, years, graduating, returning, last = p
    data: dict[str, Any] = {
        "birth_date": born,
        "categories": cats,
        "tier": tier,
        "student": student,
        "paid_on": paid_on,
        "residence": residence,
        "guardian_enrolled": guardian,
        "graduating": graduating,
        "returning_migrant_worker": returning,
    }
    if ended is not None:
        data["employee_insurance"] = {"ended_on": ended, "years": years}
    if last is not None:
        data["insured_years"] = (last,)  # all lapse_years reads (engine.history_key)
    return ResidentInput.parse(data)


@dataclass(frozen=True, slots=True)
class Priced:
    """A quote reduced to what the ledger stores (or the engine's refusal)."""

    error_code: str | None = None
    message: str | None = None
    person_class: str | None = None
    standard_fen: int | None = None
    subsidy_fen: int | None = None
    subsidy_category: str | None = None
    individual_fen: int | None = None
    fiscal_fen: int | None = None
    total_due_fen: int | None = None
    benefit_start: dt.date | None = None
    benefit_end: dt.date | None = None
    window: str | None = None
    explanation_hash: str | None = None
    explanation: tuple[dict[str, Any], ...] = ()


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal | dt.date):
        return str(value)
    raise TypeError(type(value))


def birth_boundaries(policy: LoadedPolicy) -> tuple[dt.date, ...]:
    """The birth dates the policy's conditions compare with (the engine's own list)."""
    return birth_thresholds(policy)


class Pricer:
    """Quotes profiles under one policy, remembering each distinct profile's answer.

    The engine looks at a birth date only through comparisons with the policy's boundary dates
    (``born_before`` / ``born_on_or_after``) and, for newborns, through the exact date in the
    benefit year. So a birth date well before the benefit year is replaced in the cache key by
    the first day of its interval between boundaries: a county's million residents then share a
    few hundred profiles instead of tens of thousands. (Tested: the canonical quote equals the
    exact one for random dates under every policy.)"""

    def __init__(self, policy: LoadedPolicy) -> None:
        self.policy = policy
        self.cache: dict[Profile, Priced] = {}
        self.quotes = 0

    def canonical_birth(self, born: dt.date) -> dt.date:
        return canonical_birth(self.policy, born)

    def price(self, p: Profile) -> Priced:
        p = (self.canonical_birth(p[0]), *p[1:-1], history_key(self.policy, p[-1]))
        found = self.cache.get(p)
        if found is None:
            found = self._price(p)
            self.cache[p] = found
        return found

    def _price(self, p: Profile) -> Priced:
        self.quotes += 1
        try:
            r = resident_input(p)
            # identities in the batch engine's tie-break order (docs/decisions.md), so both
            # engines name the same winning category when two subsidies are equal
            r = r.model_copy(update={"categories": canonical_categories(self.policy, r.categories)})
            q = quote(self.policy, r)
        except UrrbmiError as exc:
            return Priced(error_code=exc.code, message=f"{exc.zh} / {exc.en}"[:1000])
        steps = tuple(s.as_dict() for s in q.explanation)
        text = json.dumps(steps, ensure_ascii=False, sort_keys=True, default=_json_default)
        return Priced(
            person_class=q.person_class,
            standard_fen=to_fen(q.standard),
            subsidy_fen=to_fen(q.subsidy),
            subsidy_category=q.subsidy_category,
            individual_fen=to_fen(q.individual_payment),
            fiscal_fen=to_fen(q.fiscal_portion_due),
            total_due_fen=to_fen(q.total_due),
            benefit_start=q.benefit_start,
            benefit_end=q.benefit_end,
            window=q.window,
            explanation_hash=hashlib.sha256(text.encode()).hexdigest()[:32],
            explanation=steps,
        )
