"""The scalar policy engine: one resident, one policy, one answer with its reasons.

Pure: no I/O, no clock, no database. Every step appends an explanation :class:`Step` citing the
clause it applied. Where the policy records a gap, the engine raises :class:`PolicyGap` naming it.

Date conventions (docs/decisions.md):
- "N日内" from an event: the event day is not counted (民法典 第二百零一条), so "90 days from
  birth" ends on birth + 90 days.
- A waiting period of N days: benefits start N days after the payment date.
- A waiting period of N months: the same day of the month N months later (month-end clamped).
- "次月起": the first day of the next month. "缴费次日起": the day after payment.
"""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal
from functools import cache, lru_cache

from dateutil.relativedelta import relativedelta

from urrbmi import money
from urrbmi.errors import (
    InvalidInput,
    MissingInput,
    NoBenefitPeriod,
    OutsideWindow,
    PolicyGap,
)
from urrbmi.money import ZERO
from urrbmi.policy import schema as s
from urrbmi.policy.categories import Vocabulary
from urrbmi.policy.loaded import LoadedPolicy, percent_of
from urrbmi.policy.resident import ResidentInput
from urrbmi.policy.result import BenefitLimits, Quote, Step

# an amount's text and shortest form depend on its value only, and a policy has few amounts: kept
# (a quote formats about ten; the in-process quote target is ≤ 50 µs, issue 17.6)
fmt = lru_cache(maxsize=4096)(money.fmt)
canonical = lru_cache(maxsize=4096)(money.canonical)

CLASS_ZH = {
    "adult": "成年人",
    "minor": "未成年人",
    "student": "在校学生",
    "college_student": "高校大学生",
    "resident": "城乡居民",
}


class _Ctx:
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


# --- conditions --------------------------------------------------------------------------


@cache
def _codes(voc: Vocabulary, names: tuple[str, ...]) -> frozenset[str]:
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


def _holds(ctx: _Ctx, c: s.Condition) -> bool:
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
    if cats is not None and not _codes(ctx.policy.vocabulary, cats).intersection(ctx.codes):
        return False
    if c.categories_all is not None and not _codes(ctx.policy.vocabulary, c.categories_all) <= set(ctx.codes):
        return False
    return not (c.residence is not None and (r.residence or "hukou") not in c.residence)


def birth_thresholds(policy: LoadedPolicy) -> tuple[dt.date, ...]:
    """The birth dates :func:`_holds` compares a birth date with (``born_before``,
    ``born_on_or_after``), sorted. Written here, beside ``_holds``: a condition that reads the
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


# --- steps ---------------------------------------------------------------------------------


def _eligibility(ctx: _Ctx) -> None:
    el = ctx.policy.model.eligibility
    res = ctx.r.residence
    if res is None:
        return
    if res in el.residence or (el.students_any_residence and ctx.r.student is not None):
        ctx.step("eligibility", f"参保对象：{_residence_zh(el)}", el.cite, res, el.assumed)
        return
    raise InvalidInput(
        f"不属于本政策参保对象：{_residence_zh(el)}（{ctx.policy.cite(el.cite)}）",
        f"not covered by this policy: residence {res!r} is not among {list(el.residence)}",
    )


RESIDENCE_ZH = {"hukou": "本地户籍", "permit": "持本地居住证", "none": "无本地户籍和居住证的人员"}


def _residence_zh(el: s.Eligibility) -> str:
    text = "或".join(RESIDENCE_ZH[x] for x in el.residence)
    return text + ("；在校学生不受户籍限制" if el.students_any_residence else "")


def _person_class(ctx: _Ctx) -> s.PersonClass:
    assumed: list[str] = []  # choices of the classes tested on the way count too
    for pc in ctx.policy.model.person_classes:
        if pc.assumed:
            assumed.append(pc.assumed)
        if pc.when is None or _holds(ctx, pc.when):
            text = "；".join(dict.fromkeys(assumed)) or None
            ctx.step("person_class", f"人员类别：{pc.label}", pc.cite, pc.code, text)
            return pc
    raise AssertionError("the last person class has no condition")  # checked at load


def _pathway(ctx: _Ctx) -> s.Pathway:
    model = ctx.policy.model
    for pw in model.pathways:
        if _holds(ctx, pw.when):
            ctx.step("pathway", pw.label, pw.cite, pw.code, pw.assumed)
            return pw
    first = min((p.when.paid_from for p in model.pathways if p.when.paid_from), default=None)
    paid = ctx.r.paid_on
    if first is not None and paid < first:
        raise OutsideWindow(
            f"缴费日期{paid}早于本政策最早的缴费期（{first}起）",
            f"payment on {paid} is before the first window of this policy (opens {first})",
        )
    al = model.after_last_window
    if al.kind == "gap":
        raise ctx.gap(al.text, al.cite, f"no payment rule matches a payment on {paid}")
    raise OutsideWindow(
        f"缴费日期{paid}不在本政策允许的任何缴费期内：{al.text}（{ctx.policy.cite(al.cite)}）",
        f"payment on {paid} is outside every window this policy allows",
    )


def _standard(ctx: _Ctx, pc: s.PersonClass, tier: int) -> Decimal:
    amount = ctx.policy.standard(pc.code, tier)
    assert amount is not None  # every class has every tier (checked at load)
    ctx.step(
        "standard",
        f"{pc.label}{tier}档个人缴费标准" if len(ctx.policy.model.tiers) > 1 else f"{pc.label}个人缴费标准",
        amount.cite,
        fmt(amount.amount),
        amount.assumed,
    )
    return amount.amount


def _reductions(ctx: _Ctx, standard: Decimal) -> Decimal:
    total = ZERO
    for red in ctx.policy.model.reductions:
        if _holds(ctx, red.when):
            cut = percent_of(red.percent, standard - total, ctx.policy.rounding)
            total += cut
            ctx.step("reduction", f"{red.label}：减{fmt(red.percent)}%", red.cite, fmt(cut), red.assumed)
    return total


def _rule_amount(
    ctx: _Ctx, sub: s.Subsidy, tier: int, pc: s.PersonClass, base: Decimal
) -> tuple[Decimal, str] | None:
    """The subsidy one rule gives this resident, with a description; None for kind none."""
    rule = sub.rule if sub.rule is not None else (sub.by_tier or {})[tier]
    cite = sub.cite_by_tier.get(tier, sub.cite)
    if isinstance(rule, s.GapRule):
        raise ctx.gap(f"{sub.notice_name}的资助标准（{rule.gap}）", cite, f"subsidy of {sub.id}")
    if isinstance(rule, s.NoneRule):
        return None
    if isinstance(rule, s.FullRule):
        return base, "全额资助"
    if isinstance(rule, s.AmountRule):
        amt = rule.by_class[pc.code] if rule.by_class else rule.amount
        assert amt is not None
        return amt, f"定额资助{fmt(amt)}元"
    if isinstance(rule, s.PaymentRule):
        pay = rule.by_class[pc.code] if rule.by_class else rule.amount
        assert pay is not None
        return max(base - pay, ZERO), f"个人缴费{fmt(pay)}元，其余资助"
    std = ctx.policy.standard(rule.of.person_class, rule.of.tier)
    assert std is not None
    amt = percent_of(rule.percent, std.amount, ctx.policy.rounding)
    return amt, f"按{rule.of.tier}档标准{fmt(std.amount)}元的{fmt(rule.percent)}%资助{fmt(amt)}元"


def _subsidy(
    ctx: _Ctx, pc: s.PersonClass, tier: int, base: Decimal
) -> tuple[Decimal, str | None, str | None]:
    """Highest identity wins (就高不就低): the largest subsidy among the resident's categories."""
    policy = ctx.policy
    voc = policy.vocabulary
    best: tuple[Decimal, s.Subsidy, str, str] | None = None
    mi = policy.model.multiple_identities
    if ctx.codes and mi.reference_date is not None:
        day = f"{mi.reference_label}（{mi.reference_date}）" if mi.reference_label else str(mi.reference_date)
        text = f"身份认定时点：以{day}的身份为准，不以缴费之日的身份为准"
        ctx.step("identity_date", text, mi.cite, mi.reference_date.isoformat(), mi.assumed)
    for code in sorted(ctx.codes, key=policy.rule_order):  # ties go to the rule listed first
        cat = voc.by_code[code]
        sub = policy.subsidy_by_category.get(code)
        if sub is None:
            ctx.step(
                "subsidy",
                f"本通知未对“{cat.name}”规定参保资助",
                policy.model.subsidies_cite,
                "0",
            )
            continue
        name = sub.names.get(cat.name, sub.notice_name)
        if sub.when is not None and not _holds(ctx, sub.when):
            ctx.step(
                "subsidy", f"{name}：本人不符合资助条件（{_cond_zh(sub.when)}）", sub.cite, "0", sub.assumed
            )
            continue
        got = _rule_amount(ctx, sub, tier, pc, base)
        cite = sub.cite_by_tier.get(tier, sub.cite)
        if got is None:
            rule = sub.rule if sub.rule is not None else (sub.by_tier or {})[tier]
            reason = rule.reason if isinstance(rule, s.NoneRule) else ""
            ctx.step("subsidy", f"{name}：不予资助（{reason}）", cite, "0")
            continue
        amount, how = got
        capped = min(amount, base)
        note = f"{name}：{how}" + (f"，以应缴{fmt(base)}元为限" if capped < amount else "")
        ctx.step("subsidy_candidate", note, cite, fmt(capped), sub.assumed)
        if best is None or capped > best[0]:
            best = (capped, sub, name, cite)
    if best is None:
        return ZERO, None, None
    amount, sub, name, cite = best
    if len(ctx.codes) > 1:
        ctx.step("subsidy", f"多重身份按就高不就低原则，按“{name}”资助", mi.cite, fmt(amount))
    else:
        ctx.step("subsidy", f"按“{name}”资助", cite, fmt(amount))
    return amount, name, sub.funder


def _fiscal_portion(ctx: _Ctx, pw: s.Pathway) -> Decimal:
    if not pw.fiscal_portion_due:
        return ZERO
    model = ctx.policy.model
    for ex in model.fiscal_portion_exemptions:
        if _codes(ctx.policy.vocabulary, ex.categories).intersection(ctx.codes):
            ctx.step(
                "fiscal_portion",
                f"逾期缴费应补缴财政补助部分，本人所属群体由{ex.funder}统筹落实",
                ex.cite,
                "0",
                ex.assumed,
            )
            return ZERO
    fs = model.fiscal_subsidy
    if isinstance(fs, s.Gap):
        raise ctx.gap(f"财政补助标准（{fs.gap}）", fs.cite, "the fiscal subsidy amount")
    ctx.step(
        "fiscal_portion",
        f"{pw.label}：不享受财政补助，须个人缴纳人均财政补助{fmt(fs.amount)}元",
        pw.cite,
        fmt(fs.amount),
        fs.assumed,
    )
    return fs.amount


def _other_premiums(ctx: _Ctx) -> tuple[Decimal, list[str]]:
    """Premiums collected alongside: each where its condition holds, unless a waiver does."""
    total = ZERO
    charged: list[str] = []
    for op in ctx.policy.model.other_premiums:
        if op.when is not None and not _holds(ctx, op.when):
            ctx.step(
                "other_premium",
                f"{op.label}：本人不在缴纳范围（{_cond_zh(op.when)}）",
                op.cite,
                "0",
                op.assumed,
            )
            continue
        waiver = next((w for w in op.waivers if _holds(ctx, w.when)), None)
        if waiver is not None:
            by = f"，由{waiver.funder}代缴" if waiver.funder else ""
            ctx.step("other_premium", f"{op.label}：{waiver.label}免缴{by}", waiver.cite, "0", waiver.assumed)
            continue
        total += op.amount
        charged.append(op.label)
        ctx.step("other_premium", f"同时缴纳{op.label}", op.cite, fmt(op.amount), op.assumed)
    return total, charged


def _cond_zh(c: s.Condition) -> str:
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


def _period(ctx: _Ctx, pc: s.PersonClass) -> tuple[dt.date, dt.date]:
    bp = ctx.policy.model.benefit_period
    for cohort in bp.cohorts:
        if _holds(ctx, cohort.when):
            end = cohort.last_day()
            span = f"，共{cohort.months}个月" if cohort.months else ""
            text = f"{cohort.label}待遇享受期"
            ctx.step("benefit_period", text, cohort.cite, f"{cohort.start}至{end}{span}", cohort.assumed)
            return cohort.start, end
    cp = bp.by_class.get(pc.code)
    if cp is None:
        ctx.step("benefit_period", "待遇享受期", bp.cite, f"{bp.start}至{bp.end}", bp.assumed)
        return bp.start, bp.end
    end = cp.end
    if ctx.r.graduating and cp.graduating_end is not None:
        end = cp.graduating_end
        ctx.step("benefit_period", "当年毕业的大学生待遇享受期延长", cp.cite, f"至{end}")
    else:
        ctx.step("benefit_period", f"{pc.label}学年度待遇享受期", cp.cite, f"{cp.start}至{end}")
    return cp.start, end


def _start(ctx: _Ctx, rule: s.StartRule, period_start: dt.date) -> tuple[dt.date, int]:
    paid = ctx.r.paid_on
    if rule.kind == "period_start":
        return period_start, 0
    if rule.kind == "birth_date":
        assert ctx.born is not None  # newborn conditions require it
        return ctx.born, 0
    if rule.kind == "payment_day":
        return paid, 0
    if rule.kind == "next_day":
        return paid + dt.timedelta(days=1), 0
    if rule.kind == "next_month":
        return (paid.replace(day=1) + relativedelta(months=1)), 0
    if rule.kind == "month_after_next":
        return (paid.replace(day=1) + relativedelta(months=2)), 0
    if rule.kind == "wait_days":
        assert rule.days is not None
        extra = 1 if rule.day_count == "next_day" else 0
        return paid + dt.timedelta(days=rule.days + extra), rule.days
    assert rule.months is not None
    start = paid + relativedelta(months=rule.months)
    return start, (start - paid).days


_START_ZH = {
    "period_start": "自待遇享受期起始日起享受待遇",
    "birth_date": "自出生之日起享受待遇",
    "payment_day": "自缴费之日起享受待遇",
    "next_day": "自缴费次日起享受待遇",
    "next_month": "自缴费次月起享受待遇",
    "month_after_next": "自缴费次月的次月起享受待遇",
    "wait_days": "设待遇等待期{n}日（{count}为第1日），第{after}日即{date}起享受待遇",
    "wait_months": "设待遇等待期{n}个月",
    "continuity_wait": "按国家规定设待遇等待期",
}


def lapse_years(history: tuple[int, ...] | None, year: int) -> int:
    """Years without insurance right before benefit year ``year`` (0: continuous, or no
    earlier enrollment known)."""
    before = [y for y in history or () if y < year]
    return year - 1 - max(before) if before else 0


def history_key(policy: LoadedPolicy, last_insured: int | None) -> int | None:
    """The last benefit year a resident was insured as the engine reads it (the enrollment
    history reduced to what :func:`lapse_years` looks at): None when the policy has no
    continuity rule or the resident was insured the year before (no lapse), so residents
    without a lapse share one pricing profile."""
    if policy.model.continuity is None or last_insured is None:
        return None
    return last_insured if lapse_years((last_insured,), policy.benefit_year) else None


def _continuity(
    ctx: _Ctx, cont: s.Continuity, rule: s.StartRule, period_start: dt.date
) -> tuple[dt.date, int]:
    r = ctx.r
    lapse = lapse_years(r.insured_years, ctx.policy.benefit_year)
    variable = max(0, (lapse - 1) * cont.months_per_lapse_year)
    repaired = min(variable, r.repaired_years * cont.months_off_per_repaired_year)
    months = cont.fixed_months + variable - repaired
    base = r.paid_on if cont.counted_from == "payment" else max(r.paid_on, period_start)
    start = base + relativedelta(months=months)
    why = "未连续参保" if lapse else "未在集中参保期内参保"
    text = f"{why}，固定待遇等待期{cont.fixed_months}个月"
    if lapse:
        text += f"；断保{lapse}年，变动待遇等待期{variable}个月"
        if repaired:
            text += f"，修复缴费{r.repaired_years}年减{repaired}个月"
    frm = "缴费之日" if base == r.paid_on else "待遇享受期起始日"
    text += f"；共{months}个月，自{frm}起算，{start}起享受待遇"
    ctx.step("benefit_start", text, cont.cite, start.isoformat(), cont.assumed or rule.assumed)
    return start, (start - r.paid_on).days


def _benefit_start(ctx: _Ctx, pw: s.Pathway, period_start: dt.date) -> tuple[dt.date, int]:
    rule = pw.start
    cont = ctx.policy.model.continuity
    lapsed = (
        cont is not None
        and pw.code in cont.lapsed_wait_in
        and lapse_years(ctx.r.insured_years, ctx.policy.benefit_year) > 0
    )
    exempt = False
    if rule.kind in ("wait_days", "wait_months", "continuity_wait") or lapsed:
        for ex in ctx.policy.model.waiting_exemptions:
            if _holds(ctx, ex.when):
                ctx.step("waiting_exemption", f"不设等待期：{ex.label}", ex.cite, None, ex.assumed)
                rule = ex.start
                exempt = True
                break
    if cont is not None and not exempt and (rule.kind == "continuity_wait" or lapsed):
        start, waiting = _continuity(ctx, cont, rule, period_start)
    else:
        start, waiting = _start(ctx, rule, period_start)
        count = "缴费次日" if rule.day_count == "next_day" else "缴费当日"
        after = (start - ctx.r.paid_on).days + (0 if rule.day_count == "next_day" else 1)
        text = _START_ZH[rule.kind].format(n=rule.days or rule.months, count=count, after=after, date=start)
        ctx.step("benefit_start", text, rule.cite, start.isoformat(), rule.assumed)
    if start < period_start and pw.before_period:
        text = f"自{start}起享受待遇，早于{period_start}的待遇享受期（跨年度参保）"
        ctx.step("benefit_start", text, pw.cite, str(start), pw.assumed)
    elif start < period_start:
        ctx.step("benefit_start", "早于待遇享受期的，自享受期起始日起", rule.cite, str(period_start))
        start = period_start
    return start, waiting


def _limits(ctx: _Ctx, tier: int) -> BenefitLimits:
    b = ctx.policy.model.benefits

    def pick(limit: s.Limit | s.Gap | None) -> Decimal | None:
        if not isinstance(limit, s.Limit):
            return None
        return limit.amount if limit.amount is not None else (limit.by_tier or {}).get(tier)

    deductible = None
    ci = b.critical_illness
    if ci is not None and ci.deductible is not None:
        deductible = pick(ci.deductible)
        rd = ci.reduced_deductible
        if rd is not None and _codes(ctx.policy.vocabulary, rd.categories).intersection(ctx.codes):
            deductible = rd.amount
    return BenefitLimits(pick(b.outpatient_cap), pick(b.inpatient_cap), deductible)


def quote(policy: LoadedPolicy, r: ResidentInput) -> Quote:
    """Quote one resident under one policy."""
    ctx = _Ctx(policy, r)
    model = policy.model
    if r.tier not in model.tiers:
        raise InvalidInput(
            f"本政策没有{r.tier}档（可选档次：{'、'.join(map(str, model.tiers))}）",
            f"this policy has no tier {r.tier} (tiers: {', '.join(map(str, model.tiers))})",
        )
    _eligibility(ctx)
    pw = _pathway(ctx)
    pc = _person_class(ctx)
    period_start, period_end = _period(ctx, pc)
    standard = _standard(ctx, pc, r.tier)
    waived = pw.contribution_waived
    if waived:
        ctx.step("standard", "本人不单独缴费", pw.cite, "0", pw.assumed)
        standard = ZERO
    reduction = _reductions(ctx, standard)
    subsidy, category, funder = _subsidy(ctx, pc, r.tier, standard - reduction)
    subsidy += reduction
    individual = standard - subsidy
    fiscal = ZERO if waived else _fiscal_portion(ctx, pw)
    others, charged = _other_premiums(ctx)
    total = individual + fiscal + others
    start, waiting = _benefit_start(ctx, pw, period_start)
    if start > period_end:
        raise NoBenefitPeriod(
            f"{r.paid_on}缴费后待遇起始日{start}晚于待遇享受期终止日{period_end}，无可享受的待遇期"
            f"（本通知未规定最终缴费截止日）",
            f"paying on {r.paid_on} gives a benefit start {start} after the period ends ({period_end})",
        )
    parts = ["个人应缴"]
    if pw.fiscal_portion_due and not waived:
        parts.append("应补缴财政补助部分")
    parts += charged
    ctx.step("total_due", "应缴合计 = " + " + ".join(parts), pw.cite, fmt(total))
    return Quote(
        policy=policy.id,
        person_class=pc.code,
        tier=r.tier,
        standard=canonical(standard),
        subsidy=canonical(subsidy),
        subsidy_category=category,
        subsidy_funder=funder,
        individual_payment=canonical(individual),
        fiscal_portion_due=canonical(fiscal),
        total_due=canonical(total),
        benefit_start=start,
        benefit_end=period_end,
        waiting_days=waiting,
        window=pw.code,
        benefit_limits=_limits(ctx, r.tier),
        explanation=tuple(ctx.steps),
        reduction=canonical(reduction),
        other_premiums=canonical(others),
    )
