"""A quote as plain Chinese for a village agent (``urrbmi quote --explain``)."""

from __future__ import annotations

from urrbmi.money import fmt
from urrbmi.policy.engine import CLASS_ZH, RESIDENCE_ZH
from urrbmi.policy.result import Quote, Step

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
    ]
    if q.reduction:  # two stages: the reduction, then the assistance on what remains
        lines.append(f"减免：{fmt(q.reduction)}元")
        lines.append(
            f"资助（减免后）：{fmt(q.subsidy - q.reduction)}元"
            + (f"（{q.subsidy_category}）" if q.subsidy_category else "")
        )
    else:
        lines.append(
            f"资助：{fmt(q.subsidy)}元" + (f"（{q.subsidy_category}）" if q.subsidy_category else "")
        )
    lines.append(f"个人应缴：{fmt(q.individual_payment)}元")
    if q.fiscal_portion_due:
        lines.append(f"另须补缴财政补助部分：{fmt(q.fiscal_portion_due)}元")
    if q.other_premiums:
        lines.append(f"同时缴纳的其他保费：{fmt(q.other_premiums)}元")
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
