"""The engine's answer for one resident (the quote command's output)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the explanation: the rule applied, its result and the clause it comes from."""

    step: str  # machine name: eligibility, person_class, standard, subsidy, window, benefit_start…
    rule: str  # the rule in Chinese, as a village agent would read it
    cite: str  # document number (or title) and clause, e.g. "昌州医保发〔2022〕12号 三（二）"
    value: str | None = None  # the step's result as text (amount, date, class)
    assumed: str | None = None  # set when the value is a documented choice, not the notice's words

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "rule": self.rule, "cite": self.cite}
        if self.value is not None:
            out["value"] = self.value
        if self.assumed is not None:
            out["assumed"] = self.assumed
        return out


@dataclass(frozen=True, slots=True)
class BenefitLimits:
    """Benefit caps and the critical-illness deductible that apply to this resident (yuan)."""

    outpatient_cap: Decimal | None
    inpatient_cap: Decimal | None
    critical_illness_deductible: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "outpatient_cap": self.outpatient_cap,
            "inpatient_cap": self.inpatient_cap,
            "critical_illness_deductible": self.critical_illness_deductible,
        }


@dataclass(frozen=True, slots=True)
class Quote:
    policy: str
    person_class: str
    tier: int
    standard: Decimal
    subsidy: Decimal
    subsidy_category: str | None
    subsidy_funder: str | None
    individual_payment: Decimal
    fiscal_portion_due: Decimal
    total_due: Decimal
    benefit_start: dt.date
    benefit_end: dt.date
    waiting_days: int
    window: str  # code of the payment window / pathway that applied
    benefit_limits: BenefitLimits
    explanation: tuple[Step, ...] = field(default=())
    reduction: Decimal = Decimal(0)  # first stage: the standard reduced for a group (减免)
    other_premiums: Decimal = Decimal(0)  # premiums collected alongside (e.g. 长期护理保险)

    def stages(self) -> dict[str, Decimal]:
        """The amount due stage by stage: standard, reduction, assistance (the subsidy after
        the reduction), fiscal portion due, other premiums, total."""
        return {
            "standard": self.standard,
            "reduction": self.reduction,
            "assistance": self.subsidy - self.reduction,
            "fiscal_portion_due": self.fiscal_portion_due,
            "other_premiums": self.other_premiums,
            "total_due": self.total_due,
        }

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON contract (money as Decimal, dates as ISO strings)."""
        return {
            "policy": self.policy,
            "person_class": self.person_class,
            "tier": self.tier,
            "standard": self.standard,
            "subsidy": self.subsidy,
            "subsidy_category": self.subsidy_category,
            "subsidy_funder": self.subsidy_funder,
            "individual_payment": self.individual_payment,
            "fiscal_portion_due": self.fiscal_portion_due,
            "total_due": self.total_due,
            "benefit_start": self.benefit_start.isoformat(),
            "benefit_end": self.benefit_end.isoformat(),
            "waiting_days": self.waiting_days,
            "window": self.window,
            "benefit_limits": self.benefit_limits.as_dict(),
            "stages": self.stages(),
            "explanation": [s.as_dict() for s in self.explanation],
        }
