"""The words of a policy summary (:mod:`urrbmi.policy.summary`): the output with numbered sections,
citations and ``assumed`` marks in one language (:class:`_Out`), rules, conditions and amounts in
Chinese or English."""

from __future__ import annotations

from decimal import Decimal

from urrbmi.money import fmt
from urrbmi.policy import schema as s
from urrbmi.policy.engine import CLASS_ZH, RESIDENCE_ZH
from urrbmi.policy.loaded import LoadedPolicy

_START = {
    "period_start": "待遇期起始日起",
    "birth_date": "出生之日起",
    "payment_day": "缴费当日起",
    "next_day": "缴费次日起",
    "next_month": "缴费次月起",
    "month_after_next": "缴费次月的次月起",
    "wait_days": "缴费后满{days}日起",
    "wait_months": "缴费后满{months}个月起",
    "wait_days_next_day": "缴费次日起满{days}日后",
    "continuity_wait": "按国家规定的待遇等待期后",
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


def _rule_en(rule: s.Rule) -> str:
    if isinstance(rule, s.FullRule):
        return "subsidised in full"
    if isinstance(rule, s.AmountRule | s.PaymentRule):
        head = "subsidy of" if isinstance(rule, s.AmountRule) else "pays"
        if rule.by_class:
            return f"{head}: " + ", ".join(
                f"{_CLASS_EN.get(k, k)} {fmt(v)} yuan" for k, v in rule.by_class.items()
            )
        assert rule.amount is not None
        return f"{head} {fmt(rule.amount)} yuan"
    if isinstance(rule, s.PercentRule):
        stated = f" (= {fmt(rule.stated)} yuan)" if rule.stated is not None else ""
        label = _CLASS_EN.get(rule.of.person_class, rule.of.person_class)
        return f"{fmt(rule.percent)}% of the tier {rule.of.tier} standard of {label}{stated}"
    if isinstance(rule, s.NoneRule):
        return f"no subsidy ({rule.reason})"
    return f"[not stated] {rule.gap}"


def _money_or_gap(value: Decimal | None) -> str:
    return "—" if value is None else f"{fmt(value)}元"


_NUM = "一二三四五六七八九十"

_START_EN = {
    "period_start": "from the start of the benefit period",
    "birth_date": "from the date of birth",
    "payment_day": "from the day of payment",
    "next_day": "from the day after payment",
    "next_month": "from the month after payment",
    "month_after_next": "from the second month after payment",
    "wait_days": "{days} days after payment",
    "wait_months": "{months} months after payment",
    "wait_days_next_day": "{days} days counted from the day after payment",
    "continuity_wait": "after the national waiting period",
}
_CLASS_EN = {
    "adult": "adults",
    "minor": "minors",
    "student": "students",
    "college_student": "college students",
    "resident": "residents",
}
_RESIDENCE_EN = {"hukou": "local hukou", "permit": "local residence permit", "none": "neither"}
_GROUP_ZH = {"all": "全体", "general": "一般居民", "students": "学生", "low_income": "低收入人口"}
_UNIT_ZH = {"county": "县（区）", "town": "乡镇（街道）", "village": "村（社区）", "school": "学校"}


class _Out:
    """Lines of a summary in one language, with sections numbered as they appear."""

    def __init__(self, p: LoadedPolicy, lang: str) -> None:
        self.p, self.en, self.n = p, lang == "en", 0
        self.lines: list[str] = []

    def t(self, zh: str, en: str) -> str:
        return en if self.en else zh

    def add(self, text: str) -> None:
        self.lines.append(text)

    def section(self, zh: str, en: str) -> None:
        self.n += 1
        head = f"{self.n}. {en}" if self.en else f"{_NUM[self.n - 1]}、{zh}"
        self.add(head)

    def item(self, text: str, rule: s.Cited | None = None, cite: str | None = None) -> None:
        """One line, its citation, and the rule's ``assumed`` mark on the line below."""
        clause = cite if cite is not None else rule.cite if rule is not None else None
        self.add(f"  {text}" + (f"  〔{self.p.cite(clause)}〕" if clause else ""))
        if rule is not None and rule.assumed:
            self.assumed(rule.assumed)

    def assumed(self, text: str) -> None:
        self.add(
            self.t(f"    ※ 系统选择（非通知原文）：{text}", f"    * assumed (not in the notice): {text}")
        )


def _yuan(o: _Out, v: Decimal) -> str:
    return o.t(f"{fmt(v)}元", f"{fmt(v)} yuan")


def _cond(o: _Out, c: s.Condition) -> str:
    """The parts of a condition an officer needs to read (categories, residence, birth dates)."""
    parts: list[str] = []
    if c.categories_any:
        parts.append("、".join(c.categories_any))
    if c.categories_all:
        parts.append(o.t("同时为", "all of ") + o.t("和", " and ").join(c.categories_all))
    on = f"（{c.age_on}）" if c.age_on else ""
    if c.age_at_least is not None:
        parts.append(o.t(f"年满{c.age_at_least}周岁{on}", f"aged {c.age_at_least} or over{on}"))
    if c.age_below is not None:
        parts.append(o.t(f"未满{c.age_below}周岁{on}", f"under {c.age_below}{on}"))
    if c.residence:
        names = _RESIDENCE_EN if o.en else RESIDENCE_ZH
        parts.append(o.t("或", " or ").join(names[x] for x in c.residence))
    if c.born_on_or_after:
        parts.append(o.t(f"{c.born_on_or_after}及以后出生", f"born on or after {c.born_on_or_after}"))
    if c.born_before:
        parts.append(o.t(f"{c.born_before}前出生", f"born before {c.born_before}"))
    if c.student:
        parts.append(o.t("学生", "students"))
    return o.t("，", ", ").join(parts)
