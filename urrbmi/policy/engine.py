"""The scalar policy engine: one resident, one policy, one answer with its reasons.

Pure: no I/O, no clock, no database. Every step appends an explanation :class:`Step` citing the
clause it applied. Where the policy records a gap, the engine raises :class:`PolicyGap` naming it.
Here: the order of the steps and the money (pathway, class, standard, reductions, subsidies, the
fiscal part, other premiums, limits); conditions are :mod:`urrbmi.policy.conditions`, benefit
periods and start dates :mod:`urrbmi.policy.timing`.

Date conventions (docs/decisions.md):
- "N日内" from an event: the event day is not counted (民法典 第二百零一条), so "90 days from
  birth" ends on birth + 90 days.
- A waiting period of N days: benefits start N days after the payment date.
- A waiting period of N months: the same day of the month N months later (month-end clamped).
- "次月起": the first day of the next month. "缴费次日起": the day after payment.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from urrbmi import money
from urrbmi.errors import InvalidInput, NoBenefitPeriod, OutsideWindow
from urrbmi.money import ZERO
from urrbmi.policy import schema as s
from urrbmi.policy.conditions import (
    Ctx,
    age_thresholds,
    birth_thresholds,
    canonical_birth,
    codes_of,
    cond_zh,
    holds,
)
from urrbmi.policy.loaded import LoadedPolicy, percent_of
from urrbmi.policy.resident import ResidentInput
from urrbmi.policy.result import BenefitLimits, Quote
from urrbmi.policy.timing import benefit_start, history_key, lapse_years, period

# names callers import from here (the engine before the split, issue 16)
__all__ = ["CLASS_ZH", "RESIDENCE_ZH", "age_thresholds", "birth_thresholds", "canonical_birth"]
__all__ += ["history_key", "lapse_years", "quote"]

fmt = lru_cache(maxsize=4096)(money.fmt)
canonical = lru_cache(maxsize=4096)(money.canonical)

CLASS_ZH = {
    "adult": "成年人",
    "minor": "未成年人",
    "student": "在校学生",
    "college_student": "高校大学生",
    "resident": "城乡居民",
}


# --- steps ---------------------------------------------------------------------------------


def _eligibility(ctx: Ctx) -> None:
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


def _person_class(ctx: Ctx) -> s.PersonClass:
    assumed: list[str] = []  # choices of the classes tested on the way count too
    for pc in ctx.policy.model.person_classes:
        if pc.assumed:
            assumed.append(pc.assumed)
        if pc.when is None or holds(ctx, pc.when):
            text = "；".join(dict.fromkeys(assumed)) or None
            ctx.step("person_class", f"人员类别：{pc.label}", pc.cite, pc.code, text)
            return pc
    raise AssertionError("the last person class has no condition")  # checked at load


def _pathway(ctx: Ctx) -> s.Pathway:
    model = ctx.policy.model
    for pw in model.pathways:
        if holds(ctx, pw.when):
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


def _standard(ctx: Ctx, pc: s.PersonClass, tier: int) -> Decimal:
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


def _reductions(ctx: Ctx, standard: Decimal) -> Decimal:
    total = ZERO
    for red in ctx.policy.model.reductions:
        if holds(ctx, red.when):
            cut = percent_of(red.percent, standard - total, ctx.policy.rounding)
            total += cut
            ctx.step("reduction", f"{red.label}：减{fmt(red.percent)}%", red.cite, fmt(cut), red.assumed)
    return total


def _rule_amount(
    ctx: Ctx, sub: s.Subsidy, tier: int, pc: s.PersonClass, base: Decimal
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


def _subsidy(ctx: Ctx, pc: s.PersonClass, tier: int, base: Decimal) -> tuple[Decimal, str | None, str | None]:
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
        if sub.when is not None and not holds(ctx, sub.when):
            ctx.step(
                "subsidy", f"{name}：本人不符合资助条件（{cond_zh(sub.when)}）", sub.cite, "0", sub.assumed
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


def _fiscal_portion(ctx: Ctx, pw: s.Pathway) -> Decimal:
    if not pw.fiscal_portion_due:
        return ZERO
    model = ctx.policy.model
    for ex in model.fiscal_portion_exemptions:
        if codes_of(ctx.policy.vocabulary, ex.categories).intersection(ctx.codes):
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


def _other_premiums(ctx: Ctx) -> tuple[Decimal, list[str]]:
    """Premiums collected alongside: each where its condition holds, unless a waiver does."""
    total = ZERO
    charged: list[str] = []
    for op in ctx.policy.model.other_premiums:
        if op.when is not None and not holds(ctx, op.when):
            ctx.step(
                "other_premium",
                f"{op.label}：本人不在缴纳范围（{cond_zh(op.when)}）",
                op.cite,
                "0",
                op.assumed,
            )
            continue
        waiver = next((w for w in op.waivers if holds(ctx, w.when)), None)
        if waiver is not None:
            by = f"，由{waiver.funder}代缴" if waiver.funder else ""
            ctx.step("other_premium", f"{op.label}：{waiver.label}免缴{by}", waiver.cite, "0", waiver.assumed)
            continue
        total += op.amount
        charged.append(op.label)
        ctx.step("other_premium", f"同时缴纳{op.label}", op.cite, fmt(op.amount), op.assumed)
    return total, charged


def _limits(ctx: Ctx, tier: int) -> BenefitLimits:
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
        if rd is not None and codes_of(ctx.policy.vocabulary, rd.categories).intersection(ctx.codes):
            deductible = rd.amount
    return BenefitLimits(pick(b.outpatient_cap), pick(b.inpatient_cap), deductible)


def quote(policy: LoadedPolicy, r: ResidentInput) -> Quote:
    """Quote one resident under one policy."""
    ctx = Ctx(policy, r)
    model = policy.model
    if r.tier not in model.tiers:
        raise InvalidInput(
            f"本政策没有{r.tier}档（可选档次：{'、'.join(map(str, model.tiers))}）",
            f"this policy has no tier {r.tier} (tiers: {', '.join(map(str, model.tiers))})",
        )
    _eligibility(ctx)
    pw = _pathway(ctx)
    pc = _person_class(ctx)
    period_start, period_end = period(ctx, pc)
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
    start, waiting = benefit_start(ctx, pw, period_start)
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
