"""Readable Chinese renderings: a policy's summary with citations (here; its words in
:mod:`~urrbmi.policy.summary_out`, its sections in :mod:`~urrbmi.policy.summary_sections`), and
a quote's explanation for a village agent (:func:`explain_quote`, in :mod:`~urrbmi.policy.explain`)."""

from __future__ import annotations

from urrbmi.money import fmt
from urrbmi.policy.explain import explain_quote
from urrbmi.policy.loaded import LoadedPolicy
from urrbmi.policy.summary_out import _cond, _Out
from urrbmi.policy.summary_sections import (
    _benefits_section,
    _eligibility_section,
    _fiscal_section,
    _periods_section,
    _standards_section,
    _subsidy_section,
    _targets_section,
)

__all__ = ["explain_quote", "policy_summary"]


def policy_summary(p: LoadedPolicy, lang: str = "zh") -> str:
    """Every section the policy has, with citations and every ``assumed`` mark; a section the
    policy lacks is omitted (gaps the notice leaves are shown as 【未规定】). ``lang``: zh or en;
    the notice's own names (groups, pathways) stay as the notice writes them."""
    m = p.model
    o = _Out(p, lang)
    doc = m.documents["main"]
    o.add(
        o.t(
            f"{m.jurisdiction.name} {m.benefit_year}年度城乡居民基本医疗保险政策（{m.id}）",
            f"{m.jurisdiction.name}: resident medical insurance policy, benefit year "
            f"{m.benefit_year} ({m.id})",
        )
    )
    issued = f" {doc.issued_on}" if doc.issued_on else ""
    o.add(o.t("依据：", "Source: ") + f"{doc.number or ''}《{doc.title}》{doc.issuer}{issued}")
    for key, d in m.documents.items():
        if key != "main":
            o.add(o.t("相关文件：", "Related: ") + f"{d.number or ''}《{d.title}》{d.issuer}")
    o.add(o.t("版本：", "Version: ") + p.version)
    o.add("")

    _eligibility_section(o, m)
    _standards_section(o, m)
    _fiscal_section(o, m)
    if m.reductions:
        o.section("减免", "Reductions")
        for red in m.reductions:
            who = _cond(o, red.when)
            o.item(
                o.t(
                    f"{red.label}：{who}个人缴费减{fmt(red.percent)}%",
                    f"{red.label}: {who} pay {fmt(red.percent)}% less",
                ),
                red,
            )
    if m.other_premiums:
        o.section("同时缴纳的其他保费", "Other premiums collected with it")
        for op in m.other_premiums:
            o.item(
                o.t(
                    f"{op.label}：{fmt(op.amount)}元/人·年",
                    f"{op.label}: {fmt(op.amount)} yuan per person a year",
                )
                + (
                    o.t(f"（缴纳范围：{_cond(o, op.when)}）", f" (who pays: {_cond(o, op.when)})")
                    if op.when
                    else ""
                ),
                op,
            )
            for w in op.waivers:
                by = o.t(f"，由{w.funder}代缴", f", paid by {w.funder}") if w.funder else ""
                o.item(o.t(f"  免缴：{w.label}{by}", f"  waived: {w.label}{by}"), w)
    _subsidy_section(o, m)
    _periods_section(o, m)
    _benefits_section(o, m)
    _targets_section(o, m)
    if m.milestones:
        o.section("工作安排", "Schedule")
        for ms in m.milestones:
            when = (
                (f"{ms.start}至{ms.end or ''}" if ms.start is not None else f"{ms.end}前")
                if ms.start is not None or ms.end is not None
                else o.t(f"每月{ms.day_of_month}日", f"day {ms.day_of_month}")
            )
            o.item(f"{ms.label}：{when}", ms)
    if m.gaps:
        o.section("通知未规定事项", "Matters the notice leaves open")
        for g in m.gaps:
            o.item(g.gap, g)
    if m.notes:
        o.add(o.t("附：其他条款", "Notes"))
        for n in m.notes:
            o.item(f"{n.topic}：{n.text}", n)
    return "\n".join(o.lines)
