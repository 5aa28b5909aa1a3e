"""The schema of a policy file: one local notice (通知) for one jurisdiction and benefit year.

Every rule carries ``cite``: the clause of the notice it comes from (``"三（二）"`` refers to the
file's main document; ``"doc_key:clause"`` to another document listed under ``documents``).
Where the notice is silent or defers to other documents, the rule is written as a *gap*
(``kind: gap`` or a ``gap:`` object) and the engine refuses to compute it, naming the gap.
Where the system makes a documented choice the notice does not state, the rule carries
``assumed:`` with the reason; explanations show it.

Unknown keys are rejected everywhere (``extra="forbid"``), so a misspelt field is an error
naming the file, line and field (see :mod:`urrbmi.policy.loader`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Literal

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, model_validator

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=100)]
Tier = Annotated[int, Field(ge=1, le=2)]
StudentKind = Literal["school", "college", "none"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Cited(_Model):
    cite: str = Field(min_length=1)
    assumed: str | None = None


# --- documents and jurisdiction ----------------------------------------------------------


class Document(_Model):
    number: str | None = None  # 文号, e.g. 昌州医保发〔2022〕12号; None when the text gives none
    title: str
    issuer: str
    issued_on: dt.date | None = None
    source: str | None = None  # where the text was published


class Jurisdiction(_Model):
    name: str
    code: str | None = Field(default=None, pattern=r"^\d{6}(\d{3})?$")  # GB/T 2260 (+ town)
    level: Literal["province", "prefecture", "county", "town"]
    parent: str | None = None


class Gap(Cited):
    """A rule the notice leaves undefined or to other documents."""

    gap: str  # what is missing, in Chinese, e.g. 通知称“以文件规定为准”，未载明金额


# --- who pays which standard ---------------------------------------------------------------


class Condition(_Model):
    """Conditions on the resident and the payment; all present fields must hold."""

    student: tuple[StudentKind, ...] | None = None
    born_on_or_after: dt.date | None = None
    born_before: dt.date | None = None
    paid_from: dt.date | None = None
    paid_to: dt.date | None = None
    returning_migrant_worker: bool | None = None
    newborn_within_days: int | None = Field(default=None, ge=1)
    newborn_after_days: int | None = Field(default=None, ge=1)
    newborn_guardian_enrolled: bool | None = None
    # newborn conditions count births from this day (default: 1 January of the benefit year),
    # e.g. a newborn of the last quarter paying for the birth year and the next in one go
    newborn_born_from: dt.date | None = None
    employee_max_gap_months: int | None = Field(default=None, ge=0)
    employee_min_gap_months: int | None = Field(default=None, ge=0)  # gap strictly longer
    employee_min_years: Decimal | None = Field(default=None, ge=0)
    employee_max_gap_days: int | None = Field(default=None, ge=0)  # gap counted in days
    employee_min_gap_days: int | None = Field(default=None, ge=0)  # gap strictly longer
    categories_any: tuple[str, ...] | None = None
    categories_all: tuple[str, ...] | None = None  # holds every one (e.g. 低保对象 and 重度残疾人)
    residence: tuple[Literal["hukou", "permit", "none"], ...] | None = None
    # age bands beyond the fixed person classes: whole years of age on ``age_on`` (default: the
    # first day of the benefit year); combine with categories_any for "members over 60"
    age_at_least: int | None = Field(default=None, ge=0)
    age_below: int | None = Field(default=None, ge=1)
    age_on: dt.date | None = None
    # a student newly enrolled this academic year (入学新生), e.g. first-year college students
    new_student: bool | None = None


class PersonClass(Cited):
    code: Literal["adult", "minor", "student", "college_student", "resident"]
    label: str  # as the notice names the group, e.g. 未成年人和各类学生
    when: Condition | None = None


class Amount(Cited):
    amount: Money


class FundingShare(_Model):
    level: Literal["central", "provincial", "regional", "prefecture", "county", "district"]
    label: str  # 中央财政 / 自治区财政 / 县市财政
    amount: Money


class FiscalSubsidy(Cited):
    """Per-capita fiscal subsidy (人均财政补助标准) and its split by level of government."""

    amount: Money
    year_label: int  # the year the notice labels it with (money for benefit year N+1 is
    # often called "year N subsidy")
    increase: Money | None = None  # 新增
    split: tuple[FundingShare, ...] = ()

    @model_validator(mode="after")
    def _split_adds_up(self) -> FiscalSubsidy:
        if self.split and sum((s.amount for s in self.split), Decimal(0)) != self.amount:
            parts = " + ".join(str(s.amount) for s in self.split)
            raise ValueError(f"split {parts} does not add up to {self.amount}")
        return self


class FinancingTotal(Cited):
    """Total financing per person = fiscal subsidy + individual contribution (Suixi: 900)."""

    amount: Money
    fiscal: Money
    individual: Money

    @model_validator(mode="after")
    def _adds_up(self) -> FinancingTotal:
        if self.fiscal + self.individual != self.amount:
            raise ValueError(f"{self.fiscal} + {self.individual} != {self.amount}")
        return self


class IndividualAverage(Cited):
    """人均个人缴费 (a stated average across classes, not a standard anyone pays)."""

    amount: Money
    increase: Money | None = None


# --- identities the notice defines (open vocabulary) ------------------------------------------


class ListValue(_Model):
    """A department list (source key of imports/headers.yaml) and the category-column value
    that denotes the identity in it, e.g. ``{source: canlian, value: 三级}``."""

    source: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    value: str = Field(min_length=1)


class Identity(_Model):
    """A resident identity (人员身份) named by a notice. Either a new identity (``code``, with
    ``extends`` when it refines a package identity) or the notice's own wording of an existing
    one (``same_as``: its name and aliases become aliases of that identity)."""

    code: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,39}$")
    same_as: str | None = None  # a package identity (code, name or alias)
    extends: str | None = None  # the package identity a new one refines (inherits department)
    name: str = Field(min_length=1)  # as the notice names it
    en: str | None = None
    aliases: tuple[str, ...] = ()
    certified_by: str | None = None  # department key, e.g. canlian (see categories.yaml)
    low_income: bool | None = None
    lists: tuple[ListValue, ...] = ()
    cite: str | None = None

    @model_validator(mode="after")
    def _code_or_same_as(self) -> Identity:
        if (self.code is None) == (self.same_as is None):
            raise ValueError("give exactly one of 'code' (a new identity) or 'same_as'")
        if self.same_as is not None and (self.extends or self.certified_by or self.en):
            raise ValueError("'same_as' takes only name, aliases, lists and cite")
        if self.code is not None and self.certified_by is None and self.extends is None:
            raise ValueError("a new identity needs 'certified_by' (or 'extends')")
        return self


class IdentitiesFile(_Model):
    """``identities.yaml`` in a directory of URRBMI_POLICY_PATH: identities shared by every
    policy file of that directory (a jurisdiction's vocabulary)."""

    schema_version: Literal[1]
    identities: tuple[Identity, ...] = Field(min_length=1)


# --- subsidised enrollment (资助参保) --------------------------------------------------------


class StandardRef(_Model):
    person_class: str
    tier: Tier = 1


class FullRule(_Model):
    kind: Literal["full"]


class AmountRule(_Model):
    """A fixed subsidy amount (定额资助), for everyone or by person class."""

    kind: Literal["amount"]
    amount: Money | None = None
    by_class: dict[str, Money] | None = None


class PaymentRule(_Model):
    """A fixed individual payment (个人缴费X元); the subsidy is the rest of the standard."""

    kind: Literal["payment"]
    amount: Money | None = None
    by_class: dict[str, Money] | None = None
    stated_subsidy: dict[str, Money] | None = None  # the subsidy the notice states, checked


class PercentRule(_Model):
    """A percentage of a named standard (一档标准的90%); ``stated`` is the amount the notice
    gives in brackets, checked when the policy is loaded."""

    kind: Literal["percent"]
    percent: Percent
    of: StandardRef
    stated: Money | None = None


class NoneRule(_Model):
    """The notice explicitly gives this group no subsidy."""

    kind: Literal["none"]
    reason: str


class GapRule(_Model):
    kind: Literal["gap"]
    gap: str


Rule = Annotated[
    FullRule | AmountRule | PaymentRule | PercentRule | NoneRule | GapRule,
    Field(discriminator="kind"),
]


class Departments(Cited):
    """Who certifies a group (认定部门) and which department funds its enrollment (参保资助部门),
    as a notice's table names them (Qianjiang 附件2)."""

    certified_by: dict[str, str]  # category (national name or alias) -> department
    funded_by: str | None = None


class Subsidy(Cited):
    id: str
    categories: tuple[str, ...] = Field(min_length=1)  # national names or aliases
    notice_name: str  # the group as the notice names it
    names: dict[str, str] = {}  # per-category name in the notice, where it differs
    rule: Rule | None = None  # same rule in every tier
    by_tier: dict[int, Rule] | None = None
    funder: str | None = None  # 资助资金来源, where the notice names it
    cite_by_tier: dict[int, str] = {}
    departments: Departments | None = None
    when: Condition | None = None  # the rule applies only where this also holds (e.g. over 60)

    @model_validator(mode="after")
    def _one_rule(self) -> Subsidy:
        if (self.rule is None) == (self.by_tier is None):
            raise ValueError("give exactly one of 'rule' or 'by_tier'")
        return self


class Reduction(Cited):
    """A first-stage reduction of the standard for a group (e.g. halved), before subsidies."""

    id: str
    label: str
    when: Condition
    percent: Percent


class MultipleIdentities(Cited):
    """Several identities: the highest subsidy wins. Identities count as on the payment day,
    or (``as_of: reference_date``) as on a day the notice names (身份认定时点), e.g. the day
    the department's list is drawn (名单在册之日, ``reference_label``)."""

    rule: Literal["highest"]  # 就高不就低; never summed
    as_of: Literal["payment", "reference_date"] = "payment"
    reference_date: dt.date | None = None
    reference_label: str | None = None  # how the notice names the day, e.g. 民政部门名单在册之日

    @model_validator(mode="after")
    def _date(self) -> MultipleIdentities:
        if (self.as_of == "reference_date") != (self.reference_date is not None):
            raise ValueError("'reference_date' goes with as_of: reference_date, and only with it")
        if self.reference_label is not None and self.reference_date is None:
            raise ValueError("'reference_label' names the reference_date")
        return self


class IdentityChange(Cited):
    """What happens when identity changes after payment."""

    rule: Literal["no_difference", "retro_subsidy"]


# --- windows, benefit periods, waiting periods ------------------------------------------


class StartRule(Cited):
    kind: Literal[
        "period_start",
        "birth_date",
        "payment_day",
        "next_day",
        "next_month",
        "month_after_next",
        "wait_days",
        "wait_months",
        "continuity_wait",
    ]
    days: int | None = Field(default=None, ge=1)
    months: int | None = Field(default=None, ge=1)
    # how the days of a wait_days period are counted: "payment_day" (the payment day is day 1;
    # benefits from payment + N days) or "next_day" (the day after payment is day 1; from
    # payment + N + 1 days)
    day_count: Literal["payment_day", "next_day"] = "payment_day"

    @model_validator(mode="after")
    def _params(self) -> StartRule:
        if self.day_count != "payment_day" and self.kind != "wait_days":
            raise ValueError("'day_count' goes with kind wait_days")
        if (self.kind == "wait_days") != (self.days is not None):
            raise ValueError("'days' goes with kind wait_days, and only with it")
        if (self.kind == "wait_months") != (self.months is not None):
            raise ValueError("'months' goes with kind wait_months, and only with it")
        return self


class Pathway(Cited):
    """One way into the benefit year: a payment window, a late band, a newborn or transfer
    rule. Pathways are tried in order; the first whose conditions hold applies."""

    code: str
    label: str
    when: Condition
    start: StartRule
    fiscal_portion_due: bool = False
    contribution_waived: bool = False  # e.g. a newborn following an enrolled guardian
    # benefits from the start rule's day even before the benefit period (a newborn paying for
    # the birth year too, covered from birth across the year boundary); otherwise a start
    # before the period is moved to the period's start
    before_period: bool = False


class AfterLastWindow(Cited):
    """What to say when a payment matches no pathway."""

    kind: Literal["deadline", "gap"]
    text: str


class WaitingExemption(Cited):
    label: str
    when: Condition
    start: StartRule


class FiscalPortionExemption(Cited):
    categories: tuple[str, ...]
    funder: str


class ClassPeriod(Cited):
    start: dt.date
    end: dt.date
    graduating_end: dt.date | None = None


class CohortPeriod(Cited):
    """The benefit period of a cohort (e.g. first-year college students covered from
    1 September for 16 months): the first cohort whose conditions hold sets the period, before
    ``by_class`` and the policy's period. The period ends on ``end``, or ``months`` after
    ``start`` (the day before)."""

    label: str  # as the notice names the cohort, e.g. 新入学大学生
    when: Condition
    start: dt.date
    end: dt.date | None = None
    months: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_end(self) -> CohortPeriod:
        if (self.end is None) == (self.months is None):
            raise ValueError("a cohort period gives 'end' or 'months', one of them")
        if self.last_day() < self.start:
            raise ValueError("a cohort period ends before it starts")
        return self

    def last_day(self) -> dt.date:
        if self.end is not None:
            return self.end
        assert self.months is not None
        return self.start + relativedelta(months=self.months) - dt.timedelta(days=1)


class BenefitPeriod(Cited):
    start: dt.date
    end: dt.date
    by_class: dict[str, ClassPeriod] = {}
    cohorts: tuple[CohortPeriod, ...] = ()


class Eligibility(Cited):
    residence: tuple[Literal["hukou", "permit", "none"], ...]
    students_any_residence: bool = False


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


class PremiumWaiver(Cited):
    """A group for whom a premium collected alongside is waived (paid by someone else)."""

    label: str  # as the notice names the group
    when: Condition
    funder: str | None = None  # who pays it instead, where the notice names it


class OtherPremium(Cited):
    code: str
    label: str
    amount: Money
    when: Condition | None = None  # only residents for whom this holds pay it (e.g. adults)
    waivers: tuple[PremiumWaiver, ...] = ()  # the first waiver that holds: nothing to pay


class Continuity(Cited):
    """The national waiting-period rule from 2025 (国办发〔2024〕38号): a fixed wait for those
    who enroll outside the centralized window or after a lapse, a variable part of
    ``months_per_lapse_year`` for each year of lapse beyond the first, and
    ``months_off_per_repaired_year`` off the variable part for each year of contributions
    paid to repair the lapse. Computed from the resident's enrollment history (the benefit
    years they were insured: ``insured_years``) and ``repaired_years``."""

    fixed_months: int = Field(default=3, ge=0)
    months_per_lapse_year: int = Field(default=1, ge=0)
    months_off_per_repaired_year: int = Field(default=1, ge=0)
    # pathways (codes) where a resident who lapsed waits even when paying in time
    lapsed_wait_in: tuple[str, ...] = ()
    # the wait runs from the payment, or from the benefit period's start when paid before it
    counted_from: Literal["payment", "period_start"] = "payment"


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

    benefits: Benefits = Benefits()
    targets: Targets = Targets()
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
