"""Conditions of a policy on a resident, as the scalar engine reads them: what the engine knows
about the resident while it works (:class:`Ctx`), whether a condition holds, the birth dates a
condition compares with (for pricing profiles) and a condition in words."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal
from functools import cache

from dateutil.relativedelta import relativedelta

from urrbmi.errors import MissingInput, PolicyGap
from urrbmi.policy import schema as s
from urrbmi.policy.categories import Vocabulary
from urrbmi.policy.loaded import LoadedPolicy
from urrbmi.policy.resident import ResidentInput
from urrbmi.policy.result import Step


class Ctx:
    """What the engine knows about the resident while it works."""

    __slots__ = ("born", "codes", "policy", "r", "steps")

    def __init__(self, policy: LoadedPolicy, r: ResidentInput) -> None:
        self.policy = policy
        self.r = r
        self.born = r.born()
        voc = policy.vocabulary
        self.codes: tuple[str, ...] = tuple(dict.fromkeys(voc.code(c) for c in r.categories))
        self.steps: list[Step] = []

    def step(
        self, step: str, rule: str, cite: str, value: str | None = None, assumed: str | None = None
    ) -> None:
        self.steps.append(Step(step, rule, self.policy.cite(cite), value, assumed))

    def gap(self, what: str, cite: str, en: str) -> PolicyGap:
        where = self.policy.cite(cite)
        return PolicyGap(
            f"政策{self.policy.id}未规定：{what}（{where}）。请在政策文件中补充后再试",
            f"policy {self.policy.id} leaves this undefined: {en} ({where}); fill the gap in the policy file",
        )


@cache
def codes_of(voc: Vocabulary, names: tuple[str, ...]) -> frozenset[str]:
    """Category codes for names in a policy file (resolved once, then cached)."""
    return frozenset(voc.code(n) for n in names)


def age_thresholds(c: s.Condition, year: int) -> tuple[dt.date, ...]:
    """The birth dates an age band compares with: aged N or more on day D means born before
    D - N years + 1 day (``age_at_least`` first, then ``age_below``)."""
    on = c.age_on or dt.date(year, 1, 1)
    return tuple(
        on - relativedelta(years=n) + dt.timedelta(days=1)
        for n in (c.age_at_least, c.age_below)
        if n is not None
    )


def holds(ctx: Ctx, c: s.Condition) -> bool:
    r, born, year = ctx.r, ctx.born, ctx.policy.benefit_year
    if c.student is not None and (r.student or "none") not in c.student:
        return False
    if c.born_on_or_after is not None or c.born_before is not None:
        if born is None:
            raise MissingInput(
                "本政策按出生日期区分人员类别，请提供身份证号码或出生日期",
                "this policy distinguishes classes by birth date: give id_number or birth_date",
            )
        if c.born_on_or_after is not None and born < c.born_on_or_after:
            return False
        if c.born_before is not None and born >= c.born_before:
            return False
    if c.age_at_least is not None or c.age_below is not None:
        if born is None:
            raise MissingInput(
                "本政策按年龄区分，请提供身份证号码或出生日期",
                "this policy distinguishes residents by age: give id_number or birth_date",
            )
        bounds = iter(age_thresholds(c, year))
        if c.age_at_least is not None and born >= next(bounds):
            return False
        if c.age_below is not None and born < next(bounds):
            return False
    if c.new_student is not None and r.new_student != c.new_student:
        return False
    if c.paid_from is not None and r.paid_on < c.paid_from:
        return False
    if c.paid_to is not None and r.paid_on > c.paid_to:
        return False
    if c.returning_migrant_worker is not None and r.returning_migrant_worker != c.returning_migrant_worker:
        return False
    if c.newborn_within_days is not None or c.newborn_after_days is not None:
        if born is None or born.year > year or born < (c.newborn_born_from or dt.date(year, 1, 1)):
            return False
        if c.newborn_within_days is not None and (
            r.paid_on > born + dt.timedelta(days=c.newborn_within_days) or r.paid_on < born
        ):
            return False
        if c.newborn_after_days is not None and r.paid_on <= born + dt.timedelta(days=c.newborn_after_days):
            return False
    if c.newborn_guardian_enrolled is not None and (
        born is None or born.year != year or r.guardian_enrolled != c.newborn_guardian_enrolled
    ):
        return False
    if (
        c.employee_max_gap_months is not None
        or c.employee_min_gap_months is not None
        or c.employee_min_years is not None
        or c.employee_max_gap_days is not None
        or c.employee_min_gap_days is not None
    ):
        ei = r.employee_insurance
        if ei is None or r.paid_on < ei.ended_on:
            return False
        limit = ei.ended_on + relativedelta(months=c.employee_max_gap_months or 0)
        if c.employee_max_gap_months is not None and r.paid_on > limit:
            return False
        if c.employee_min_gap_months is not None and r.paid_on <= ei.ended_on + relativedelta(
            months=c.employee_min_gap_months
        ):
            return False
        if c.employee_min_years is not None and Decimal(str(ei.years)) < c.employee_min_years:
            return False
        gap = (r.paid_on - ei.ended_on).days
        if c.employee_max_gap_days is not None and gap > c.employee_max_gap_days:
            return False
        if c.employee_min_gap_days is not None and gap <= c.employee_min_gap_days:
            return False
    cats = c.categories_any
    if cats is not None and not codes_of(ctx.policy.vocabulary, cats).intersection(ctx.codes):
        return False
    if c.categories_all is not None and not codes_of(ctx.policy.vocabulary, c.categories_all) <= set(
        ctx.codes
    ):
        return False
    return not (c.residence is not None and (r.residence or "hukou") not in c.residence)


def birth_thresholds(policy: LoadedPolicy) -> tuple[dt.date, ...]:
    """The birth dates :func:`holds` compares a birth date with (``born_before``,
    ``born_on_or_after``), sorted. Written here, beside ``holds``: a condition that reads the
    birth date in a new way adds its dates here (or is exact, see :func:`canonical_birth`)."""
    key = (policy.id, policy.version, policy.path)
    got = _THRESHOLDS.get(key)
    if got is None:
        found: set[dt.date] = set()
        for c in s.all_conditions(policy.model):
            found.update(d for d in (c.born_before, c.born_on_or_after, c.newborn_born_from) if d is not None)
            found.update(age_thresholds(c, policy.benefit_year))
        got = _THRESHOLDS[key] = tuple(sorted(found))
    return got


_THRESHOLDS: dict[tuple[str, str, str], tuple[dt.date, ...]] = {}


def canonical_birth(policy: LoadedPolicy, born: dt.date) -> dt.date:
    """A birth date every quote treats as ``born``: the engine reads a birth date only through
    :func:`birth_thresholds` and, for newborns, as the exact date in the benefit year (births
    from 1 January of the year before are kept exact). So a date is replaced by the first day of
    its interval between thresholds and a county's residents share a few hundred pricing
    profiles (docs/decisions.md, "A rule kind is written once"; tested against exact quotes)."""
    exact_from = dt.date(policy.benefit_year - 1, 1, 1)
    if born >= exact_from:
        return born
    bounds = birth_thresholds(policy)
    k = bisect.bisect_right(bounds, born)
    rep = bounds[k - 1] if k else dt.date(1900, 1, 1)
    return rep if rep < exact_from else born


def cond_zh(c: s.Condition) -> str:
    """A condition in words (the parts the new rule kinds use)."""
    parts: list[str] = []
    if c.categories_all:
        parts.append("同时为" + "和".join(c.categories_all))
    if c.categories_any:
        parts.append("、".join(c.categories_any))
    on = f"（{c.age_on}）" if c.age_on else ""
    if c.age_at_least is not None:
        parts.append(f"年满{c.age_at_least}周岁{on}")
    if c.age_below is not None:
        parts.append(f"未满{c.age_below}周岁{on}")
    if c.student:
        parts.append("学生")
    return "，".join(parts) or "条件"
