"""The checks a policy file passes after its schema: every class has a standard in every tier,
every identity is known (file:line when not), every bracketed amount the notice states equals what
the rule computes, every citation names a listed document, pathway codes are unique; the result
is a :class:`~urrbmi.policy.loaded.LoadedPolicy`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from urrbmi.errors import PolicyFileError
from urrbmi.policy import schema as s
from urrbmi.policy.identities import policy_vocabulary, resolve_in
from urrbmi.policy.loaded import ROUNDING, LoadedPolicy, percent_of


def _fail(path: Path, zh: str, en: str) -> PolicyFileError:
    return PolicyFileError(f"{path}：{zh}", f"{path}: {en}")


def _cites(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "cite" and isinstance(v, str):
                yield v
            elif k == "cite_by_tier" and isinstance(v, dict):
                yield from (str(x) for x in v.values())
            else:
                yield from _cites(v)
    elif isinstance(node, list | tuple):
        for v in node:
            yield from _cites(v)


def check(model: s.Policy, path: Path, version: str, trees: list[tuple[Path, CommentedMap]]) -> LoadedPolicy:
    voc = policy_vocabulary(model, path, trees)
    if "main" not in model.documents:
        raise _fail(path, "documents 必须含 main（主文件）", "documents must have a 'main' entry")
    for cite in _cites(model.model_dump()):
        key, sep, _ = cite.partition(":")
        if sep and key not in model.documents:
            raise _fail(path, f"引用“{cite}”指向未列出的文件{key}", f"cite {cite!r}: unknown document")

    codes = tuple(c.code for c in model.person_classes)
    if len(set(codes)) != len(codes):
        raise _fail(path, "person_classes 有重复", "duplicate person class")
    if model.person_classes[-1].when is not None:
        raise _fail(
            path, "最后一个人员类别不得带条件（兜底类别）", "the last person class must have no 'when'"
        )
    rounding = ROUNDING[model.rounding]
    for code in codes:
        for tier in model.tiers:
            if model.standards.get(code, {}).get(tier) is None:
                raise _fail(
                    path,
                    f"缺少{code}类人员{tier}档缴费标准",
                    f"no standard for class {code} tier {tier}",
                )
    for key in model.standards:
        if key not in codes:
            raise _fail(path, f"standards 中的{key}不是人员类别", f"standards: unknown class {key}")
    for key in model.benefit_period.by_class:
        if key not in codes:
            raise _fail(path, f"benefit_period.by_class：未知类别{key}", f"unknown class {key}")

    by_cat: dict[str, s.Subsidy] = {}
    rank: dict[str, tuple[int, int]] = {}
    for index, sub in enumerate(model.subsidies):
        for position, name in enumerate(sub.categories):
            cat = resolve_in(voc, name, trees)
            rank.setdefault(cat.code, (index, position))
            if cat.code in by_cat:
                raise _fail(
                    path,
                    f"身份{cat.name}出现在两条资助规则中（{by_cat[cat.code].id}、{sub.id}）",
                    f"category {cat.code} in two subsidies ({by_cat[cat.code].id}, {sub.id})",
                )
            by_cat[cat.code] = sub
        for n in sub.names:
            resolve_in(voc, n, trees)
        rules = {t: sub.rule for t in model.tiers} if sub.rule else dict(sub.by_tier or {})
        if set(rules) != set(model.tiers):
            raise _fail(path, f"资助{sub.id}：by_tier 应覆盖档次{model.tiers}", f"{sub.id}: by_tier ≠ tiers")
        for tier, rule in rules.items():
            _check_rule(path, model, sub.id, tier, rule, codes, rounding)

    names: list[str] = []
    earliest = dt.date(model.benefit_year - 1, 1, 1)  # births the engine reads exactly
    for cond in s.all_conditions(model):
        if cond.newborn_born_from is not None and cond.newborn_born_from < earliest:
            raise _fail(
                path,
                f"newborn_born_from {cond.newborn_born_from} 早于上一年度1月1日（{earliest}）",
                f"newborn_born_from {cond.newborn_born_from} is before {earliest}",
            )
        names.extend(cond.categories_any or ())
        names.extend(cond.categories_all or ())
    for fx in model.fiscal_portion_exemptions:
        names.extend(fx.categories)
    ci = model.benefits.critical_illness
    if ci and ci.reduced_deductible:
        names.extend(ci.reduced_deductible.categories)
    for t in model.targets.rates:
        names.extend(t.categories)
    for d in model.targets.staged_deadlines:
        names.extend(d.categories)
    for n in names:
        resolve_in(voc, n, trees)

    pcodes = [p.code for p in model.pathways]
    if len(set(pcodes)) != len(pcodes):
        raise _fail(path, "pathways 代码重复", "duplicate pathway code")
    starts = [p.start for p in model.pathways] + [w.start for w in model.waiting_exemptions]
    if model.continuity is None and any(st.kind == "continuity_wait" for st in starts):
        raise _fail(
            path,
            "起始规则 continuity_wait 需要 continuity（国家2025年等待期规则）一节",
            "start kind continuity_wait needs a 'continuity' section",
        )
    if model.continuity is not None:
        for pcode in model.continuity.lapsed_wait_in:
            if pcode not in pcodes:
                raise _fail(
                    path, f"continuity.lapsed_wait_in：未知缴费途径{pcode}", f"unknown pathway {pcode}"
                )
    return LoadedPolicy(model, str(path), version, by_cat, codes, rank, voc)


def _check_rule(
    path: Path,
    model: s.Policy,
    sub_id: str,
    tier: int,
    rule: s.FullRule | s.AmountRule | s.PaymentRule | s.PercentRule | s.NoneRule | s.GapRule,
    codes: tuple[str, ...],
    rounding: str,
) -> None:
    where = f"subsidies.{sub_id}（{tier}档）"
    if isinstance(rule, s.AmountRule | s.PaymentRule):
        if (rule.amount is None) == (rule.by_class is None):
            raise _fail(path, f"{where}：amount 与 by_class 须二选一", f"{where}: amount xor by_class")
        if rule.by_class is not None and set(rule.by_class) != set(codes):
            raise _fail(path, f"{where}：by_class 应覆盖全部人员类别{codes}", f"{where}: by_class ≠ {codes}")
    if isinstance(rule, s.PaymentRule) and rule.stated_subsidy:
        for code, stated in rule.stated_subsidy.items():
            std = model.standards[code][tier].amount
            pay = rule.by_class[code] if rule.by_class else rule.amount
            assert pay is not None
            if std - pay != stated:
                raise _fail(
                    path,
                    f"{where}：{code}标准{std}减个人缴费{pay}为{std - pay}，与通知所列资助{stated}不符",
                    f"{where}: {std} - {pay} = {std - pay}, but the notice states {stated}",
                )
    if isinstance(rule, s.PercentRule):
        base = model.standards.get(rule.of.person_class, {}).get(rule.of.tier)
        if base is None:
            raise _fail(path, f"{where}：基准标准不存在", f"{where}: base standard does not exist")
        got = percent_of(rule.percent, base.amount, rounding)
        if rule.stated is not None and got != rule.stated:
            raise _fail(
                path,
                f"{where}：{base.amount}×{rule.percent}%={got}，与通知所列{rule.stated}不符",
                f"{where}: {base.amount} x {rule.percent}% = {got}, notice states {rule.stated}",
            )
