"""The policy schema, who pays what: person classes and their standards, the fiscal subsidy and
financing, the identities a notice defines, subsidised enrollment (资助参保) and its rule kinds,
first-stage reductions, several identities, and premiums collected alongside."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from urrbmi.policy.schema_base import Cited, Condition, Money, Percent, Tier, _Model


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
    # per-category name in the notice, where it differs
    names: dict[str, str] = {}  # noqa: RUF012 (pydantic copies defaults)
    rule: Rule | None = None  # same rule in every tier
    by_tier: dict[int, Rule] | None = None
    funder: str | None = None  # 资助资金来源, where the notice names it
    cite_by_tier: dict[int, str] = {}  # noqa: RUF012 (pydantic copies defaults)
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
