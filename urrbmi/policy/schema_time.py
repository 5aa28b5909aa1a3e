"""The policy schema, when benefits run: pathways into the benefit year and their start rules,
waiting exemptions, benefit periods (by class and cohort), eligibility and the national
continuity rule from 2025."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from dateutil.relativedelta import relativedelta
from pydantic import Field, model_validator

from urrbmi.policy.schema_base import Cited, Condition

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
    by_class: dict[str, ClassPeriod] = {}  # noqa: RUF012 (pydantic copies defaults)
    cohorts: tuple[CohortPeriod, ...] = ()


class Eligibility(Cited):
    residence: tuple[Literal["hukou", "permit", "none"], ...]
    students_any_residence: bool = False


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
