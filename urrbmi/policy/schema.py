"""The schema of a policy file: one local notice (通知) for one jurisdiction and benefit year.

Every rule carries ``cite``: the clause of the notice it comes from (``"三（二）"`` refers to the
file's main document; ``"doc_key:clause"`` to another document listed under ``documents``).
Where the notice is silent or defers to other documents, the rule is written as a *gap*
(``kind: gap`` or a ``gap:`` object) and the engine refuses to compute it, naming the gap.
Where the system makes a documented choice the notice does not state, the rule carries
``assumed:`` with the reason; explanations show it.

Unknown keys are rejected everywhere (``extra="forbid"``), so a misspelt field is an error
naming the file, line and field (see :mod:`urrbmi.policy.loader`).

The models are in three modules by concern — :mod:`~urrbmi.policy.schema_base` (building blocks,
conditions), :mod:`~urrbmi.policy.schema_pay` (who pays what) and
:mod:`~urrbmi.policy.schema_time` (when benefits run) — and all are importable from here; this
module adds benefits, targets and the policy itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from urrbmi.policy.schema_base import (
    Cited,
    Condition,
    Document,
    Gap,
    Jurisdiction,
    Money,
    Percent,
    StudentKind,
    Tier,
    _Model,
)
from urrbmi.policy.schema_pay import (
    Amount,
    AmountRule,
    Departments,
    FinancingTotal,
    FiscalSubsidy,
    FullRule,
    FundingShare,
    GapRule,
    IdentitiesFile,
    Identity,
    IdentityChange,
    IndividualAverage,
    ListValue,
    MultipleIdentities,
    NoneRule,
    OtherPremium,
    PaymentRule,
    PercentRule,
    PersonClass,
    PremiumWaiver,
    Reduction,
    Rule,
    StandardRef,
    Subsidy,
)
from urrbmi.policy.schema_time import (
    AfterLastWindow,
    BenefitPeriod,
    ClassPeriod,
    CohortPeriod,
    Continuity,
    Eligibility,
    FiscalPortionExemption,
    Pathway,
    StartRule,
    WaitingExemption,
)

__all__ = [
    "AfterLastWindow", "Amount", "AmountRule", "BenefitPeriod", "Benefits", "Cited", "ClassPeriod",
    "CohortPeriod", "Condition", "Continuity", "CriticalIllness", "Departments", "Document",
    "Eligibility", "FinancingTotal", "FiscalPortionExemption", "FiscalSubsidy", "FullRule",
    "FundingShare", "Gap", "GapRule", "IdentitiesFile", "Identity", "IdentityChange",
    "IndividualAverage", "Jurisdiction", "Limit", "ListValue", "Milestone", "Money",
    "MultipleIdentities", "NoneRule", "Note", "OtherPremium", "Pathway", "PaymentRule", "Percent",
    "PercentRule", "PersonClass", "Policy", "PopulationBase", "PremiumWaiver", "ReducedDeductible",
    "Reduction", "Rule", "StagedDeadline", "StandardRef", "StartRule", "StudentKind", "Subsidy",
    "SubsidySchedule", "Target", "Targets", "Tier", "WaitingExemption", "all_conditions",
]  # fmt: skip


# --- benefits ------------------------------------------------------------------------------


class Limit(Cited):
    amount: Money | None = None
    by_tier: dict[int, Money] | None = None
    previous: Money | None = None
    effective_from: dt.date | None = None

    @model_validator(mode="after")
    def _one(self) -> Limit:
        if (self.amount is None) == (self.by_tier is None):
            raise ValueError("give exactly one of 'amount' or 'by_tier'")
        return self


class ReducedDeductible(Cited):
    amount: Money
    categories: tuple[str, ...]


class CriticalIllness(_Model):
    funding_per_capita: Amount | None = None
    funding_year_label: int | None = None
    deductible: Limit | None = None
    reduced_deductible: ReducedDeductible | None = None


class Benefits(_Model):
    outpatient_cap: Limit | Gap | None = None
    inpatient_cap: Limit | Gap | None = None
    inpatient_fund_ratio: Annotated[Decimal, Field(ge=0, le=100)] | None = None
    inpatient_fund_ratio_cite: str | None = None
    critical_illness: CriticalIllness | None = None


# --- targets and schedule -------------------------------------------------------------


class Target(Cited):
    group: Literal["all", "general", "students", "low_income"]
    unit: Literal["county", "town", "village", "school"]
    rate: Percent
    categories: tuple[str, ...] = ()
    within_window: str | None = None  # pathway code, e.g. centralized


class StagedDeadline(Cited):
    group: str  # label, e.g. 困难群众
    categories: tuple[str, ...] = ()  # empty: everyone
    by: dt.date


class PopulationBase(Cited):
    source: str
    as_of: dt.date | None = None
    as_of_label: str | None = None  # e.g. 2020年末


class Targets(_Model):
    rates: tuple[Target, ...] = ()
    staged_deadlines: tuple[StagedDeadline, ...] = ()
    population_base: PopulationBase | None = None
    task_total: Amount | None = None  # persons, not money
    incentive_per_person: Amount | None = None
    annex: str | None = None  # name of the annex table data file, if any


class Milestone(Cited):
    code: str
    label: str
    start: dt.date | None = None
    end: dt.date | None = None
    day_of_month: int | None = Field(default=None, ge=1, le=31)


class Note(Cited):
    topic: str
    text: str


# --- the policy --------------------------------------------------------------------------


class Policy(_Model):
    schema_version: Literal[1]
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")  # e.g. suixi-2022
    extends: str | None = None
    jurisdiction: Jurisdiction
    benefit_year: int = Field(ge=2000, le=2100)
    documents: dict[str, Document]
    rounding: Literal["half_up", "half_even", "down"] = "half_up"

    eligibility: Eligibility
    tiers: tuple[Tier, ...] = (1,)
    person_classes: tuple[PersonClass, ...] = Field(min_length=1)
    standards: dict[str, dict[int, Amount]]
    individual_average: IndividualAverage | None = None
    fiscal_subsidy: FiscalSubsidy | Gap
    financing_total: FinancingTotal | None = None
    other_premiums: tuple[OtherPremium, ...] = ()
    continuity: Continuity | None = None

    identities: tuple[Identity, ...] = ()  # the notice's own identities (open vocabulary)
    reductions: tuple[Reduction, ...] = ()
    subsidies_cite: str  # the clause that lists the subsidised groups
    subsidies: tuple[Subsidy, ...] = ()
    multiple_identities: MultipleIdentities
    identity_change: IdentityChange | Gap

    benefit_period: BenefitPeriod
    pathways: tuple[Pathway, ...] = Field(min_length=1)
    after_last_window: AfterLastWindow
    waiting_exemptions: tuple[WaitingExemption, ...] = ()
    fiscal_portion_exemptions: tuple[FiscalPortionExemption, ...] = ()

    # defaults made without validation: Benefits() would build the deferred validators (and load
    # pydantic's plugin machinery) at import, a third of a one-resident quote's CPU (issue 17.6)
    benefits: Benefits = Benefits.model_construct()
    targets: Targets = Targets.model_construct()
    milestones: tuple[Milestone, ...] = ()
    notes: tuple[Note, ...] = ()
    gaps: tuple[Gap, ...] = ()  # gaps that no computed rule covers, listed for readers


class SubsidySchedule(_Model):
    """A year's subsidised-enrollment schedule (资助参保类别及标准) known without its full notice:
    e.g. the 2021 column of Qianjiang's 附件2, which gives categories, departments and rules but
    not that year's contribution standards. Used for year-over-year comparisons; it cannot price
    anyone (a campaign needs a full :class:`Policy`). Standards may be gaps."""

    schema_version: Literal[1]
    kind: Literal["subsidy_schedule"]
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    jurisdiction: Jurisdiction
    benefit_year: int = Field(ge=2000, le=2100)
    documents: dict[str, Document]
    rounding: Literal["half_up", "half_even", "down"] = "half_up"
    tiers: tuple[Tier, ...] = (1,)
    class_labels: dict[str, str]  # person class code -> label, e.g. resident: 城乡居民
    standards: dict[str, dict[int, Amount | Gap]]
    subsidies_cite: str
    subsidies: tuple[Subsidy, ...] = Field(min_length=1)
    gaps: tuple[Gap, ...] = ()


def all_conditions(node: object) -> Iterator[Condition]:
    """Every :class:`Condition` anywhere in a policy model (or part of one)."""
    if isinstance(node, Condition):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from all_conditions(getattr(node, name))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from all_conditions(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from all_conditions(item)
