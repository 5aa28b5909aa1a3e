"""Readable Chinese renderings: a policy's summary with citations, and a quote's explanation
for a village agent."""

from __future__ import annotations

from decimal import Decimal

from urrbmi.money import fmt
from urrbmi.policy import schema as s
from urrbmi.policy.engine import CLASS_ZH, RESIDENCE_ZH
from urrbmi.policy.loader import LoadedPolicy
from urrbmi.policy.result import Quote, Step

_START = {
    "period_start": "待遇期起始日起",
    "birth_date": "出生之日起",
    "payment_day": "缴费当日起",
    "next_day": "缴费次日起",
    "next_month": "缴费次月起",
    "wait_days": "缴费后满{days}日起",
    "wait_months": "缴费后满{months}个月起",
}


def _rule_zh(p: LoadedPolicy, rule: s.Rule) -> str:
    if isinstance(rule, s.FullRule):
        return "全额资助"
    if isinstance(rule, s.AmountRule | s.PaymentRule):
        head = "定额资助" if isinstance(rule, s.AmountRule) else "个人缴费"
        if rule.by_class:
            return f"{head}：" + "，".join(
                f"{CLASS_ZH.get(k, k)}{fmt(v)}元" for k, v in rule.by_class.items()
            )
        assert rule.amount is not None
        return f"{head}{fmt(rule.amount)}元"
    if isinstance(rule, s.PercentRule):
        stated = f"（即{fmt(rule.stated)}元）" if rule.stated is not None else ""
        label = CLASS_ZH.get(rule.of.person_class, rule.of.person_class)
        return f"按{label}{rule.of.tier}档标准的{fmt(rule.percent)}%资助{stated}"
    if isinstance(rule, s.NoneRule):
        return f"不予资助（{rule.reason}）"
    return f"【未规定】{rule.gap}"


def _money_or_gap(value: Decimal | None) -> str:
    return "—" if value is None else f"{fmt(value)}元"


def policy_summary(p: LoadedPolicy) -> str:
    m = p.model
    doc = m.documents["main"]
    out: list[str] = []
    add = out.append
    add(f"{m.jurisdiction.name} {m.benefit_year}年度城乡居民基本医疗保险政策（{m.id}）")
    add(f"依据：{doc.number or ''}《{doc.title}》{doc.issuer}" + (
        f" {doc.issued_on}" if doc.issued_on else ""))
    add(f"版本：{p.version}")
    add("")
    add("一、个人缴费标准")
    for pc in m.person_classes:
        for tier in m.tiers:
            std = m.standards[pc.code][tier]
            tier_txt = f"{tier}档" if len(m.tiers) > 1 else ""
            add(f"  {pc.label}{tier_txt}：{fmt(std.amount)}元/人·年  〔{p.cite(std.cite)}〕")
        if pc.assumed:
            add(f"    ※ 系统选择：{pc.assumed}")
    add("二、财政补助")
    fs = m.fiscal_subsidy
    if isinstance(fs, s.Gap):
        add(f"  【未规定】{fs.gap}  〔{p.cite(fs.cite)}〕")
    else:
        parts = "＋".join(f"{x.label}{fmt(x.amount)}" for x in fs.split)
        add(f"  {fs.year_label}年人均{fmt(fs.amount)}元" + (f" = {parts}" if parts else "")
            + f"  〔{p.cite(fs.cite)}〕")
    if m.financing_total:
        ft = m.financing_total
        add(f"  筹资标准每人{fmt(ft.amount)}元 = 财政{fmt(ft.fiscal)} + 个人{fmt(ft.individual)}"
            f"  〔{p.cite(ft.cite)}〕")
    add("三、资助参保（多重身份：就高不就低）" if m.subsidies else "三、资助参保：无")
    for sub in m.subsidies:
        if sub.rule is not None:
            rule_txt = _rule_zh(p, sub.rule)
        else:
            rule_txt = "；".join(
                f"{t}档{_rule_zh(p, r)}" for t, r in sorted((sub.by_tier or {}).items())
            )
        funder = f"；资金：{sub.funder}" if sub.funder else ""
        add(f"  {sub.notice_name}：{rule_txt}{funder}  〔{p.cite(sub.cite)}〕")
        if sub.assumed:
            add(f"    ※ 系统选择：{sub.assumed}")
    add("四、缴费期与待遇享受")
    bp = m.benefit_period
    add(f"  待遇享受期：{bp.start}至{bp.end}  〔{p.cite(bp.cite)}〕")
    for code, cp in bp.by_class.items():
        grad = f"（当年毕业延至{cp.graduating_end}）" if cp.graduating_end else ""
        add(f"  {CLASS_ZH.get(code, code)}：{cp.start}至{cp.end}{grad}  〔{p.cite(cp.cite)}〕")
    for pw in m.pathways:
        start = _START[pw.start.kind].format(days=pw.start.days, months=pw.start.months)
        extra = "；须补缴财政补助部分" if pw.fiscal_portion_due else ""
        extra += "；本人不单独缴费" if pw.contribution_waived else ""
        add(f"  {pw.label}：{start}享受待遇{extra}  〔{p.cite(pw.cite)}〕")
    al = m.after_last_window
    add(("  【未规定】" if al.kind == "gap" else "  截止：") + f"{al.text}  〔{p.cite(al.cite)}〕")
    for ex in m.waiting_exemptions:
        add(f"  不设等待期：{ex.label}  〔{p.cite(ex.cite)}〕")
    for fx in m.fiscal_portion_exemptions:
        add(f"  免补缴财政补助部分：{'、'.join(fx.categories)}（{fx.funder}）  〔{p.cite(fx.cite)}〕")
    b = m.benefits
    add("五、待遇")
    for label, lim in (("普通门诊年度最高支付限额", b.outpatient_cap),
                       ("住院年度最高支付限额", b.inpatient_cap)):
        if isinstance(lim, s.Limit):
            val = _money_or_gap(lim.amount) if lim.by_tier is None else "，".join(
                f"{t}档{fmt(v)}元" for t, v in sorted(lim.by_tier.items()))
            prev = f"（原{fmt(lim.previous)}元）" if lim.previous is not None else ""
            add(f"  {label}：{val}{prev}  〔{p.cite(lim.cite)}〕")
    ci = b.critical_illness
    if ci:
        if ci.funding_per_capita:
            add(f"  大病保险人均筹资：{fmt(ci.funding_per_capita.amount)}元"
                f"  〔{p.cite(ci.funding_per_capita.cite)}〕")
        if ci.deductible and ci.deductible.amount is not None:
            add(f"  大病保险起付线：{fmt(ci.deductible.amount)}元  〔{p.cite(ci.deductible.cite)}〕")
        if ci.reduced_deductible:
            rd = ci.reduced_deductible
            add(f"  {'、'.join(rd.categories)}大病保险起付线：{fmt(rd.amount)}元"
                f"  〔{p.cite(rd.cite)}〕")
    t = m.targets
    if t.rates or t.staged_deadlines or t.task_total:
        add("六、目标任务")
        for r in t.rates:
            add(f"  参保率目标（{r.group}，以{r.unit}为单位）：{fmt(r.rate)}%  〔{p.cite(r.cite)}〕")
        for d in t.staged_deadlines:
            add(f"  {d.by}前完成：{d.group}  〔{p.cite(d.cite)}〕")
        if t.task_total:
            add(f"  参保任务数：{fmt(t.task_total.amount)}人  〔{p.cite(t.task_total.cite)}〕")
        if t.incentive_per_person:
            add(f"  超额完成奖励：{fmt(t.incentive_per_person.amount)}元/人"
                f"  〔{p.cite(t.incentive_per_person.cite)}〕")
    gaps = [g for g in m.gaps]
    if gaps:
        add("七、通知未规定事项")
        for g in gaps:
            add(f"  {g.gap}  〔{p.cite(g.cite)}〕")
    if m.notes:
        add("附：其他条款")
        for n in m.notes:
            add(f"  {n.topic}：{n.text}  〔{p.cite(n.cite)}〕")
    return "\n".join(out)


# the steps whose value is a code: the rule's text already names the choice in Chinese
_NAMED_BY_RULE = frozenset({"pathway", "person_class"})


def _shown_value(st: Step) -> str | None:
    """A step's value as an officer reads it (never a code)."""
    if st.value is None or st.step in _NAMED_BY_RULE:
        return None
    if st.step == "eligibility":
        return RESIDENCE_ZH.get(st.value, st.value)
    return st.value


def explain_quote(q: Quote) -> str:
    """The quote as plain Chinese for a village agent."""
    lines = [
        f"政策：{q.policy}",
        f"人员类别：{CLASS_ZH.get(q.person_class, q.person_class)}（{q.tier}档）",
        f"个人缴费标准：{fmt(q.standard)}元",
        f"资助：{fmt(q.subsidy)}元" + (f"（{q.subsidy_category}）" if q.subsidy_category else ""),
        f"个人应缴：{fmt(q.individual_payment)}元",
    ]
    if q.fiscal_portion_due:
        lines.append(f"另须补缴财政补助部分：{fmt(q.fiscal_portion_due)}元")
    lines.append(f"合计应缴：{fmt(q.total_due)}元")
    wait = f"（等待期{q.waiting_days}天）" if q.waiting_days else ""
    lines.append(f"待遇享受：{q.benefit_start} 至 {q.benefit_end}{wait}")
    lines.append("计算依据：")
    for i, st in enumerate(q.explanation, 1):
        value = _shown_value(st)
        val = f" → {value}" if value is not None else ""
        lines.append(f"  {i}. {st.rule}{val}  〔{st.cite}〕")
        if st.assumed:
            lines.append(f"     ※ 系统选择（非通知原文）：{st.assumed}")
    return "\n".join(lines)
