"""The sections of a policy summary (:mod:`urrbmi.policy.summary`), each printed only when the
policy has it: eligibility, standards, fiscal subsidy, subsidised groups, periods and waits,
benefits, targets."""

from __future__ import annotations

from urrbmi.money import fmt
from urrbmi.policy import schema as s
from urrbmi.policy.engine import CLASS_ZH, RESIDENCE_ZH
from urrbmi.policy.summary_out import (
    _CLASS_EN,
    _GROUP_ZH,
    _RESIDENCE_EN,
    _START,
    _START_EN,
    _UNIT_ZH,
    _cond,
    _Out,
    _rule_en,
    _rule_zh,
    _yuan,
)


def _eligibility_section(o: _Out, m: s.Policy) -> None:
    el = m.eligibility
    o.section("参保对象", "Who is covered")
    names = _RESIDENCE_EN if o.en else RESIDENCE_ZH
    text = o.t("或", " or ").join(names[x] for x in el.residence)
    if el.students_any_residence:
        text += o.t("；在校学生不受户籍限制", "; students whatever their residence")
    o.item(text, el)


def _standards_section(o: _Out, m: s.Policy) -> None:
    o.section("人员类别与个人缴费标准", "Classes and individual contribution standards")
    for pc in m.person_classes:
        label = pc.label if not o.en else f"{pc.label} ({_CLASS_EN.get(pc.code, pc.code)})"
        cond = _cond(o, pc.when) if pc.when else ""
        o.item(label + (o.t(f"（{cond}）", f" [{cond}]") if cond else ""), pc)
        for tier in m.tiers:
            std = m.standards[pc.code][tier]
            tier_txt = o.t(f"{tier}档", f"tier {tier}") if len(m.tiers) > 1 else ""
            o.item(
                o.t(
                    f"  {tier_txt}{fmt(std.amount)}元/人·年",
                    f"  {tier_txt} {fmt(std.amount)} yuan per person a year",
                ),
                std,
            )
    if m.individual_average:
        ia = m.individual_average
        inc = o.t(f"（新增{fmt(ia.increase)}元）", f" (up {fmt(ia.increase)})") if ia.increase else ""
        o.item(
            o.t(
                f"人均个人缴费{fmt(ia.amount)}元{inc}",
                f"average individual contribution {fmt(ia.amount)} yuan{inc}",
            ),
            ia,
        )


def _fiscal_section(o: _Out, m: s.Policy) -> None:
    o.section("财政补助", "Fiscal subsidy")
    fs = m.fiscal_subsidy
    if isinstance(fs, s.Gap):
        o.item(o.t("【未规定】", "[not stated] ") + fs.gap, fs)
    else:
        parts = "＋".join(f"{x.label}{fmt(x.amount)}" for x in fs.split)
        inc = o.t(f"（新增{fmt(fs.increase)}元）", f" (up {fmt(fs.increase)})") if fs.increase else ""
        o.item(
            o.t(
                f"{fs.year_label}年人均{fmt(fs.amount)}元{inc}",
                f"{fs.year_label}: {fmt(fs.amount)} yuan per person{inc}",
            )
            + (f" = {parts}" if parts else ""),
            fs,
        )
    if m.financing_total:
        ft = m.financing_total
        o.item(
            o.t(
                f"筹资标准每人{fmt(ft.amount)}元 = 财政{fmt(ft.fiscal)} + 个人{fmt(ft.individual)}",
                f"financing {fmt(ft.amount)} yuan per person = fiscal {fmt(ft.fiscal)} + "
                f"individual {fmt(ft.individual)}",
            ),
            ft,
        )


def _subsidy_section(o: _Out, m: s.Policy) -> None:
    p = o.p
    if not m.subsidies:
        return
    o.section("资助参保", "Subsidised enrollment")
    for sub in m.subsidies:
        if sub.rule is not None:
            rule_txt = _rule_en(sub.rule) if o.en else _rule_zh(p, sub.rule)
        else:
            rule_txt = o.t("；", "; ").join(
                f"tier {t}: {_rule_en(r)}" if o.en else f"{t}档{_rule_zh(p, r)}"
                for t, r in sorted((sub.by_tier or {}).items())
            )
        funder = o.t(f"；资金：{sub.funder}", f"; funded by {sub.funder}") if sub.funder else ""
        when = o.t(f"（条件：{_cond(o, sub.when)}）", f" (if {_cond(o, sub.when)})") if sub.when else ""
        o.item(f"{sub.notice_name}{o.t('：', ': ')}{rule_txt}{funder}{when}", sub)
        if sub.departments:
            dep = sub.departments
            who = o.t("；", "; ").join(
                o.t(f"{k}由{v}认定", f"{k} by {v}") for k, v in dep.certified_by.items()
            )
            fund = o.t(f"；{dep.funded_by}资助", f"; funded by {dep.funded_by}") if dep.funded_by else ""
            o.item(o.t("  认定：", "  certified: ") + who + fund, dep)
    mi = m.multiple_identities
    as_of = (
        o.t("按缴费时身份", "identity at payment")
        if mi.as_of == "payment"
        else o.t(
            f"按{mi.reference_label or ''}{mi.reference_date}的身份",
            f"identity on {mi.reference_date}" + (f" ({mi.reference_label})" if mi.reference_label else ""),
        )
    )
    o.item(
        o.t(
            f"多重身份：就高不就低，不叠加（{as_of}）",
            f"several identities: the highest subsidy applies, never summed ({as_of})",
        ),
        mi,
    )
    ic = m.identity_change
    if isinstance(ic, s.Gap):
        o.item(o.t("缴费后身份变化：【未规定】", "identity change after payment: [not stated] ") + ic.gap, ic)
    else:
        o.item(
            o.t("缴费后身份变化：不再差额资助", "identity change after payment: no top-up")
            if ic.rule == "no_difference"
            else o.t("缴费后新认定身份：补差资助", "identity certified after payment: top-up"),
            ic,
        )


def _start_key(rule: s.StartRule) -> str:
    return "wait_days_next_day" if rule.day_count == "next_day" else rule.kind


def _continuity(o: _Out, m: s.Policy) -> None:
    c = m.continuity
    if c is None:
        return
    text = o.t(
        f"未在集中参保期内参保或未连续参保：固定待遇等待期{c.fixed_months}个月；每多断保1年增加"
        f"{c.months_per_lapse_year}个月；每修复缴费1年减少变动等待期{c.months_off_per_repaired_year}个月；"
        + ("自缴费之日起算" if c.counted_from == "payment" else "自待遇享受期起始日起算"),
        f"outside the window or after a lapse: fixed wait {c.fixed_months} months; "
        f"+{c.months_per_lapse_year} per further year of lapse; -{c.months_off_per_repaired_year} per "
        f"repaired year; counted from the {'payment' if c.counted_from == 'payment' else 'period start'}",
    )
    if c.lapsed_wait_in:
        labels = {pw.code: pw.label for pw in m.pathways}
        text += o.t("（断保人员在", " (lapsed residents also wait in ") + "、".join(
            labels[code] for code in c.lapsed_wait_in
        )
        text += o.t("中缴费也适用）", ")")
    o.item(text, c)


def _periods_section(o: _Out, m: s.Policy) -> None:
    o.section("缴费期与待遇享受", "Payment windows and benefit periods")
    bp = m.benefit_period
    o.item(o.t(f"待遇享受期：{bp.start}至{bp.end}", f"benefit period: {bp.start} to {bp.end}"), bp)
    for code, cp in bp.by_class.items():
        grad = (
            o.t(f"（当年毕业延至{cp.graduating_end}）", f" (graduates: to {cp.graduating_end})")
            if cp.graduating_end
            else ""
        )
        label = _CLASS_EN.get(code, code) if o.en else CLASS_ZH.get(code, code)
        o.item(f"{label}：{cp.start}至{cp.end}{grad}", cp)
    for cohort in bp.cohorts:
        span = o.t(f"（共{cohort.months}个月）", f" ({cohort.months} months)") if cohort.months else ""
        o.item(f"{cohort.label}：{cohort.start}至{cohort.last_day()}{span}", cohort)
    for pw in m.pathways:
        fmt_args = {"days": pw.start.days, "months": pw.start.months}
        start = (_START_EN if o.en else _START)[_start_key(pw.start)].format(**fmt_args)
        extra = o.t("；须补缴财政补助部分", "; pays the fiscal portion") if pw.fiscal_portion_due else ""
        extra += o.t("；本人不单独缴费", "; no own contribution") if pw.contribution_waived else ""
        extra += (
            o.t("；可早于待遇享受期起始日（跨年度）", "; may start before the benefit period (across years)")
            if pw.before_period
            else ""
        )
        text = o.t(f"{pw.label}：{start}享受待遇{extra}", f"{pw.label}: benefits {start}{extra}")
        o.item(text, pw)
        if pw.start.assumed and pw.start.assumed != pw.assumed:
            o.assumed(pw.start.assumed)
    _continuity(o, m)
    al = m.after_last_window
    o.item(
        (o.t("【未规定】", "[not stated] ") if al.kind == "gap" else o.t("截止：", "deadline: ")) + al.text,
        al,
    )
    for ex in m.waiting_exemptions:
        start = (_START_EN if o.en else _START)[_start_key(ex.start)].format(
            days=ex.start.days, months=ex.start.months
        )
        o.item(
            o.t(
                f"不设等待期：{ex.label}（{start}享受）", f"no waiting period: {ex.label} (benefits {start})"
            ),
            ex,
        )
        if ex.start.assumed and ex.start.assumed != ex.assumed:
            o.assumed(ex.start.assumed)
    for fx in m.fiscal_portion_exemptions:
        o.item(
            o.t(
                f"免补缴财政补助部分：{'、'.join(fx.categories)}（{fx.funder}）",
                f"fiscal portion not charged: {'、'.join(fx.categories)} ({fx.funder})",
            ),
            fx,
        )


def _benefits_section(o: _Out, m: s.Policy) -> None:
    b = m.benefits
    items: list[tuple[str, s.Cited | None]] = []
    for zh, en, lim in (
        ("普通门诊年度最高支付限额", "outpatient annual cap", b.outpatient_cap),
        ("住院年度最高支付限额", "inpatient annual cap", b.inpatient_cap),
    ):
        label = o.t(zh, en)
        if isinstance(lim, s.Gap):
            items.append((label + o.t("：【未规定】", ": [not stated] ") + lim.gap, lim))
        elif isinstance(lim, s.Limit):
            val = (
                _yuan(o, lim.amount)
                if lim.amount is not None
                else "，".join(
                    o.t(f"{t}档{fmt(v)}元", f"tier {t} {fmt(v)} yuan")
                    for t, v in sorted((lim.by_tier or {}).items())
                )
            )
            prev = (
                o.t(f"（原{fmt(lim.previous)}元）", f" (was {fmt(lim.previous)})")
                if (lim.previous is not None)
                else ""
            )
            since = (
                o.t(f"，{lim.effective_from}起", f", from {lim.effective_from}")
                if (lim.effective_from)
                else ""
            )
            items.append((label + o.t("：", ": ") + f"{val}{prev}{since}", lim))
    ci = b.critical_illness
    if ci and ci.funding_per_capita:
        year = f"{ci.funding_year_label}年" if ci.funding_year_label else ""
        items.append(
            (
                o.t(
                    f"{year}大病保险人均筹资：{fmt(ci.funding_per_capita.amount)}元",
                    f"critical illness funding per person: {fmt(ci.funding_per_capita.amount)} yuan",
                ),
                ci.funding_per_capita,
            )
        )
    if ci and ci.deductible and ci.deductible.amount is not None:
        items.append(
            (
                o.t(
                    f"大病保险起付线：{fmt(ci.deductible.amount)}元",
                    f"critical illness deductible: {fmt(ci.deductible.amount)} yuan",
                ),
                ci.deductible,
            )
        )
    if ci and ci.reduced_deductible:
        rd = ci.reduced_deductible
        items.append(
            (
                o.t(
                    f"{'、'.join(rd.categories)}大病保险起付线：{fmt(rd.amount)}元",
                    f"critical illness deductible for {'、'.join(rd.categories)}: {fmt(rd.amount)} yuan",
                ),
                rd,
            )
        )
    ratio_cite = None
    if b.inpatient_fund_ratio is not None:
        text = o.t(
            f"住院统筹基金支付比例：{fmt(b.inpatient_fund_ratio)}%",
            f"inpatient fund share: {fmt(b.inpatient_fund_ratio)}%",
        )
        items.append((text, None))
        ratio_cite = b.inpatient_fund_ratio_cite
    if not items:
        return  # no empty heading: a notice silent on benefits has no benefits section
    o.section("待遇", "Benefits")
    for text, rule in items:
        o.item(text, rule, None if rule is not None else ratio_cite)


def _targets_section(o: _Out, m: s.Policy) -> None:
    t = m.targets
    if not (t.rates or t.staged_deadlines or t.task_total or t.incentive_per_person or t.population_base):
        return
    o.section("目标任务", "Targets")
    for r in t.rates:
        group = _GROUP_ZH.get(r.group, r.group)
        unit = _UNIT_ZH.get(r.unit, r.unit)
        o.item(
            o.t(
                f"参保率目标（{group}，以{unit}为单位）：{fmt(r.rate)}%",
                f"enrollment rate target ({r.group}, per {r.unit}): {fmt(r.rate)}%",
            ),
            r,
        )
    for d in t.staged_deadlines:
        o.item(o.t(f"{d.by}前完成：{d.group}", f"by {d.by}: {d.group}"), d)
    if t.population_base:
        pb = t.population_base
        when = pb.as_of_label or (str(pb.as_of) if pb.as_of else "")
        o.item(o.t(f"任务基数：{when}{pb.source}", f"base: {pb.source} {when}"), pb)
    if t.task_total:
        o.item(
            o.t(
                f"参保任务数：{fmt(t.task_total.amount)}人",
                f"enrollment task: {fmt(t.task_total.amount)} persons",
            ),
            t.task_total,
        )
    if t.incentive_per_person:
        o.item(
            o.t(
                f"超额完成奖励：{fmt(t.incentive_per_person.amount)}元/人",
                f"incentive: {fmt(t.incentive_per_person.amount)} yuan per person above target",
            ),
            t.incentive_per_person,
        )


# the steps whose value is a code: the rule's text already names the choice in Chinese
