"""When benefits run: the benefit period (by cohort, class or policy), the start rule of a pathway
(next day, next month, N-day or N-month waits, exemptions) and the national continuity rule from
2025 (国办发〔2024〕38号), for the scalar engine (:mod:`urrbmi.policy.engine`).

Date conventions (docs/decisions.md):
- A waiting period of N days: benefits start N days after the payment date.
- A waiting period of N months: the same day of the month N months later (month-end clamped).
- "次月起": the first day of the next month. "缴费次日起": the day after payment.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

from urrbmi.policy import schema as s
from urrbmi.policy.conditions import Ctx, holds
from urrbmi.policy.loaded import LoadedPolicy


def period(ctx: Ctx, pc: s.PersonClass) -> tuple[dt.date, dt.date]:
    bp = ctx.policy.model.benefit_period
    for cohort in bp.cohorts:
        if holds(ctx, cohort.when):
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


def _start(ctx: Ctx, rule: s.StartRule, period_start: dt.date) -> tuple[dt.date, int]:
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
    ctx: Ctx, cont: s.Continuity, rule: s.StartRule, period_start: dt.date
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


def benefit_start(ctx: Ctx, pw: s.Pathway, period_start: dt.date) -> tuple[dt.date, int]:
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
            if holds(ctx, ex.when):
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
