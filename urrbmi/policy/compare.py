"""Year-over-year comparison of a jurisdiction's subsidised-enrollment categories and standards
(资助参保类别及标准对比表, like Qianjiang's 附件2), generated from the policy files.

Each side of a comparison is a *schedule*: the subsidy rules of one benefit year, taken from that
year's full policy file when there is one, else from a ``schedules/<id>.yaml`` file (a
:class:`~urrbmi.policy.schema.SubsidySchedule`: what an annex tells of a year whose notice we do
not have). Rows are matched by identity code (national, ``categories.yaml``, and those the
policies on the search path define), so a group renamed between notices (困难大学生 / 家庭经济困难在校大学生)
is one row. Amounts are computed exactly from the rules; where a year's standard is unknown
the amount is ``None`` and the row says why (the schedule's gap), never a guess.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from urrbmi.errors import PolicyFileError, UnknownCategory, UnknownPolicy
from urrbmi.money import canonical
from urrbmi.policy import schema as s
from urrbmi.policy.identities import all_identities
from urrbmi.policy.loaded import ROUNDING, LoadedPolicy, percent_of
from urrbmi.policy.loader import POLICY_ID, _plain, _read, load_policy, policy_ids
from urrbmi.policy.locate import _located, _schema_error

TIER_ZH = {1: "一档", 2: "二档"}


@dataclass(frozen=True)
class Schedule:
    """One year's subsidy rules, from a policy or a schedule file."""

    id: str
    jurisdiction_code: str | None
    jurisdiction_name: str
    benefit_year: int
    tiers: tuple[int, ...]
    class_labels: dict[str, str]
    standards: dict[str, dict[int, s.Amount | s.Gap]]
    subsidies: tuple[s.Subsidy, ...]
    rounding: str
    documents: dict[str, s.Document]
    gaps: tuple[s.Gap, ...]

    @property
    def main_class(self) -> str:
        """The class amounts are shown for: the last (catch-all) class, the general residents."""
        return list(self.class_labels)[-1]

    def cite(self, clause: str) -> str:
        key, sep, rest = clause.partition(":")
        doc = self.documents[key] if sep and key in self.documents else self.documents["main"]
        return f"{doc.number or '《' + doc.title + '》'} {rest if sep else clause}"


def from_policy(p: LoadedPolicy) -> Schedule:
    m = p.model
    standards: dict[str, dict[int, s.Amount | s.Gap]] = {k: dict(v) for k, v in m.standards.items()}
    return Schedule(
        m.id,
        m.jurisdiction.code,
        m.jurisdiction.name,
        m.benefit_year,
        m.tiers,
        {c.code: c.label for c in m.person_classes},
        standards,
        m.subsidies,
        p.rounding,
        m.documents,
        m.gaps,
    )


# --- schedule files ------------------------------------------------------------------------


def _schedule_dirs() -> list[Path]:
    extra = [Path(p) / "schedules" for p in os.environ.get("URRBMI_POLICY_PATH", "").split(":") if p]
    return [*extra, Path(str(resources.files("urrbmi.policy").joinpath("schedules")))]


def schedule_ids() -> list[str]:
    found: set[str] = set()
    for d in _schedule_dirs():
        if d.is_dir():
            found.update(p.stem for p in d.glob("*.yaml"))
    return sorted(found)


def load_schedule_file(path: Path) -> Schedule:
    tree, _ = _read(path)
    try:
        model = s.SubsidySchedule.model_validate(_plain(tree))
    except ValidationError as exc:
        raise _schema_error(exc, [(path, tree)]) from None
    if model.id != path.stem:
        raise PolicyFileError(
            f"{path}：文件名应为“{model.id}.yaml”", f"{path}: the file name must be {model.id}.yaml"
        )
    voc = all_identities()
    seen: set[str] = set()
    for sub in model.subsidies:
        rules = {t: sub.rule for t in model.tiers} if sub.rule else dict(sub.by_tier or {})
        if set(rules) != set(model.tiers):
            raise PolicyFileError(f"{path}：资助{sub.id}未覆盖全部档次", f"{path}: {sub.id}: by_tier ≠ tiers")
        for name in sub.categories:
            try:
                code = voc.resolve(name).code
            except UnknownCategory as exc:
                raise _located(exc, [(path, tree)]) from None
            if code in seen:
                raise PolicyFileError(f"{path}：身份{name}重复", f"{path}: category {name} listed twice")
            seen.add(code)
        for rule in rules.values():
            if isinstance(rule, s.PercentRule) and rule.of.tier not in model.standards.get(
                rule.of.person_class, {}
            ):
                raise PolicyFileError(
                    f"{path}：资助{sub.id}的基准标准不存在", f"{path}: {sub.id}: base standard missing"
                )
    return Schedule(
        model.id,
        model.jurisdiction.code,
        model.jurisdiction.name,
        model.benefit_year,
        model.tiers,
        dict(model.class_labels),
        {k: dict(v) for k, v in model.standards.items()},
        model.subsidies,
        ROUNDING[model.rounding],
        model.documents,
        model.gaps,
    )


def load_schedule(schedule_id: str) -> Schedule:
    """A year's schedule by id: the policy of that id if there is one, else a schedule file."""
    if len(schedule_id) > 80 or not POLICY_ID.fullmatch(schedule_id):
        raise UnknownPolicy(
            "政策id只能由小写字母、数字和连字符组成", "ids have lower-case letters, digits and hyphens"
        )
    if schedule_id in policy_ids():
        return from_policy(load_policy(schedule_id))
    for d in _schedule_dirs():
        path = d / f"{schedule_id}.yaml"
        if path.is_file():
            return load_schedule_file(path)
    raise UnknownPolicy(f"找不到政策或资助标准表“{schedule_id}”", f"no policy or schedule {schedule_id!r}")


def schedule_for(jurisdiction_code: str, benefit_year: int) -> Schedule:
    """The schedule of a jurisdiction's benefit year: its policy when one exists, else a file."""
    from urrbmi.policy.loader import policy_for

    try:
        return from_policy(policy_for(jurisdiction_code, benefit_year))
    except UnknownPolicy:
        pass
    for sid in schedule_ids():
        sch = load_schedule(sid)
        if sch.jurisdiction_code == jurisdiction_code and sch.benefit_year == benefit_year:
            return sch
    raise UnknownPolicy(
        f"没有辖区{jurisdiction_code}的{benefit_year}年度政策或资助标准表",
        f"no policy or subsidy schedule for {jurisdiction_code}, benefit year {benefit_year}",
    )


# --- describing one group's rule -----------------------------------------------------------


@dataclass(frozen=True)
class TierRule:
    tier: int
    text: str  # the rule in Chinese, e.g. 按一档标准的70%资助
    amount: Decimal | None  # the subsidy in yuan for the schedule's first class, if computable
    missing: str | None  # why the amount is not computable (a gap), if so


@dataclass(frozen=True)
class Side:
    schedule_id: str
    notice_name: str
    certified_by: str | None
    funded_by: str | None
    rules: tuple[TierRule, ...]
    cite: str
    assumed: tuple[str, ...]

    @property
    def texts(self) -> tuple[str, ...]:
        """The rule of each tier in words; amounts follow from the year's standards, so a rule
        that is the same words is unchanged even where the amount moved with the standard."""
        return tuple(r.text for r in self.rules)


def _standard(sch: Schedule, person_class: str, tier: int) -> tuple[Decimal | None, str | None]:
    std = sch.standards.get(person_class, {}).get(tier)
    if std is None:
        return None, f"{sch.benefit_year}年无{person_class}类{tier}档标准"
    if isinstance(std, s.Gap):
        return None, std.gap
    return std.amount, None


def _describe(sch: Schedule, rule: s.Rule, tier: int) -> TierRule:
    main_class = sch.main_class
    std, missing = _standard(sch, main_class, tier)
    if isinstance(rule, s.FullRule):
        return TierRule(tier, "全额资助", std, missing)
    if isinstance(rule, s.PercentRule):
        base, missing = _standard(sch, rule.of.person_class, rule.of.tier)
        label = "" if rule.of.person_class == main_class else sch.class_labels.get(rule.of.person_class, "")
        text = f"按{label}{TIER_ZH[rule.of.tier]}标准的{rule.percent.normalize():f}%资助"
        if rule.of.tier != tier and rule.percent == 100:
            text = f"按{label}{TIER_ZH[rule.of.tier]}标准全额资助"
        amount = None if base is None else percent_of(rule.percent, base, sch.rounding)
        if amount is not None and std is not None:
            amount = min(amount, std)
        return TierRule(tier, text, amount, missing)
    if isinstance(rule, s.AmountRule):
        value = rule.amount if rule.amount is not None else (rule.by_class or {}).get(main_class)
        if value is None:
            return TierRule(tier, "定额资助（本类别未列金额）", None, "定额未列本类别")
        return TierRule(tier, f"定额资助{canonical(value)}元", value, None)
    if isinstance(rule, s.PaymentRule):
        pay = rule.amount if rule.amount is not None else (rule.by_class or {}).get(main_class)
        if pay is None:
            return TierRule(tier, "个人缴费（本类别未列金额）", None, "个人缴费未列本类别")
        rest = None if std is None else std - pay
        return TierRule(tier, f"个人缴费{canonical(pay)}元，其余资助", rest, missing)
    if isinstance(rule, s.NoneRule):
        return TierRule(tier, f"不资助（{rule.reason}）", Decimal(0), None)
    return TierRule(tier, f"未明确：{rule.gap}", None, rule.gap)


def _side(sch: Schedule, sub: s.Subsidy, category_name: str, code: str) -> Side:
    voc = all_identities()
    rules = {t: sub.rule for t in sch.tiers} if sub.rule else dict(sub.by_tier or {})
    certified = funded = None
    assumed = [a for a in (sub.assumed,) if a]
    if sub.departments:
        by_code = {voc.resolve(k).code: v for k, v in sub.departments.certified_by.items()}
        certified, funded = by_code.get(code), sub.departments.funded_by
        if sub.departments.assumed:
            assumed.append(sub.departments.assumed)
    name = next((v for k, v in sub.names.items() if voc.resolve(k).code == code), None)
    return Side(
        sch.id,
        name or (sub.notice_name if len(sub.categories) == 1 else category_name),
        certified,
        funded,
        tuple(_describe(sch, r, t) for t, r in sorted(rules.items())),
        sch.cite(sub.cite),
        tuple(assumed),
    )


# --- the comparison ------------------------------------------------------------------------

CHANGE_ZH = {"added": "新增", "removed": "取消", "changed": "调整", "unchanged": "未变"}


@dataclass(frozen=True)
class ComparisonRow:
    category_code: str
    category_name: str  # national name
    before: Side | None
    after: Side | None
    change: str  # added / removed / changed / unchanged
    changed_fields: tuple[str, ...]  # which of rule, certified_by, funded_by changed

    @property
    def change_zh(self) -> str:
        return CHANGE_ZH[self.change]


@dataclass(frozen=True)
class Comparison:
    jurisdiction: str
    before: Schedule
    after: Schedule
    rows: tuple[ComparisonRow, ...]

    @property
    def gaps(self) -> tuple[str, ...]:
        """Why some amounts are missing, once each."""
        out: list[str] = []
        for row in self.rows:
            for side in (row.before, row.after):
                for r in side.rules if side else ():
                    if r.missing and r.missing not in out:
                        out.append(r.missing)
        return tuple(out)


def _groups(sch: Schedule) -> dict[str, tuple[s.Subsidy, str]]:
    voc = all_identities()
    out: dict[str, tuple[s.Subsidy, str]] = {}
    for sub in sch.subsidies:
        for name in sub.categories:
            cat = voc.resolve(name)
            out[cat.code] = (sub, cat.name)
    return out


def compare(before: Schedule, after: Schedule) -> Comparison:
    """Compare two years' schedules, category by category (the later year's order first, then
    categories the later year dropped)."""
    old, new = _groups(before), _groups(after)
    rows: list[ComparisonRow] = []
    for code in [*new, *(c for c in old if c not in new)]:
        b = _side(before, *old[code], code) if code in old else None
        a = _side(after, *new[code], code) if code in new else None
        name = (new.get(code) or old[code])[1]
        if b is None or a is None:
            rows.append(ComparisonRow(code, name, b, a, "added" if b is None else "removed", ()))
            continue
        fields = tuple(
            f
            for f, x, y in (
                ("rule", b.texts, a.texts),
                ("certified_by", b.certified_by, a.certified_by),
                ("funded_by", b.funded_by, a.funded_by),
            )
            if x != y
        )
        rows.append(ComparisonRow(code, name, b, a, "changed" if fields else "unchanged", fields))
    return Comparison(after.jurisdiction_name, before, after, tuple(rows))


def compare_years(jurisdiction_code: str, before_year: int, after_year: int) -> Comparison:
    return compare(schedule_for(jurisdiction_code, before_year), schedule_for(jurisdiction_code, after_year))


# --- output --------------------------------------------------------------------------------


def _side_dict(side: Side | None) -> dict[str, object] | None:
    if side is None:
        return None
    return {
        "policy_id": side.schedule_id,
        "notice_name": side.notice_name,
        "certified_by": side.certified_by,
        "funded_by": side.funded_by,
        "rules": [
            {
                "tier": r.tier,
                "text": r.text,
                "amount": None if r.amount is None else canonical(r.amount),
                "missing": r.missing,
            }
            for r in side.rules
        ],
        "cite": side.cite,
        "assumed": list(side.assumed),
    }


def as_dict(c: Comparison) -> dict[str, object]:
    """JSON-ready form (money as exact Decimal)."""
    return {
        "jurisdiction": c.jurisdiction,
        "before": {"policy_id": c.before.id, "benefit_year": c.before.benefit_year},
        "after": {"policy_id": c.after.id, "benefit_year": c.after.benefit_year},
        "rows": [
            {
                "category_code": r.category_code,
                "category_name": r.category_name,
                "change": r.change,
                "change_zh": r.change_zh,
                "changed_fields": list(r.changed_fields),
                "before": _side_dict(r.before),
                "after": _side_dict(r.after),
            }
            for r in c.rows
        ],
        "gaps": list(c.gaps),
    }


def cell(side: Side | None) -> tuple[str, str, str, str]:
    if side is None:
        return ("—", "", "", "")
    rules = "；".join(
        f"{TIER_ZH[r.tier]}：{r.text}"
        + ("（金额未载明）" if r.amount is None else f"（{canonical(r.amount)}元）")
        for r in side.rules
    )
    return (side.notice_name, side.certified_by or "", side.funded_by or "", rules)


def write_xlsx(c: Comparison, path: Path) -> Path:
    """The comparison as a worksheet in the shape of 附件2 (two years side by side)."""
    from openpyxl.styles import Alignment, Font

    from urrbmi.export import Book

    book = Book()
    sheet = book.sheet("资助标准对比")
    ws = sheet.ws
    y0, y1 = c.before.benefit_year, c.after.benefit_year
    sheet.append([f"{c.jurisdiction}{y0}年与{y1}年特殊困难群体参保资助类别及标准对比表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=10)
    ws["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [
            "序号",
            f"{y0}年人员类别",
            "认定部门",
            "参保资助部门",
            f"{y0}年资助标准",
            f"{y1}年人员类别",
            "认定部门",
            "参保资助部门",
            f"{y1}年资助标准",
            "变化",
        ]
    )
    for head in ws[2]:
        head.font = Font(bold=True)
    for i, r in enumerate(c.rows, 1):
        sheet.append([i, *cell(r.before), *cell(r.after), r.change_zh])
    if c.gaps:
        sheet.append([])
        for g in c.gaps:
            sheet.append([f"说明：{g}"])
    for col, width in zip("ABCDEFGHIJ", (6, 22, 16, 12, 40, 22, 16, 12, 40, 8), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=3):
        for c_ in row:
            c_.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A3"
    return book.save(path)
