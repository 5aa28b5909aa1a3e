"""Finding, reading and checking policy files.

Policy files are YAML, one per notice, named ``<id>.yaml``. They are looked up in the
directories of ``URRBMI_POLICY_PATH`` (``:``-separated, searched first, so a bureau can add its
own notice or fill a gap without touching the package) and then in the package's ``policies/``.

Reading is strict: YAML floats become exact :class:`~decimal.Decimal` (from the shortest text
that round-trips, so ``73.2`` is ``Decimal("73.2")``); the schema rejects unknown and misspelt
fields; and cross-field checks (every class has a standard in every tier, every category is in
the national vocabulary, every bracketed amount the notice states equals what the rule computes,
every citation names a known document) run before a policy is used. Errors name the file, the
line and the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from urrbmi.errors import PolicyFileError, UnknownCategory, UnknownPolicy
from urrbmi.money import FEN
from urrbmi.policy import schema as s
from urrbmi.policy.categories import Vocabulary
from urrbmi.policy.identities import SHARED_FILE, policy_vocabulary, resolve_in

ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}


@dataclass(frozen=True)
class LoadedPolicy:
    """A checked policy, with lookups the engine needs precomputed."""

    model: s.Policy
    path: str
    version: str  # sha256 of the file(s) it was read from, first 12 hex digits
    subsidy_by_category: dict[str, s.Subsidy]  # category code -> subsidy rule
    class_codes: tuple[str, ...]
    category_rank: dict[str, tuple[int, int]]  # category code -> (rule index, position in rule)
    vocabulary: Vocabulary  # national + the directory's identities.yaml + the policy's own

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def benefit_year(self) -> int:
        return self.model.benefit_year

    @property
    def identity_change(self) -> str | None:
        """ "no_difference", "retro_subsidy", or None where the notice is silent (a gap)."""
        ic = self.model.identity_change
        return ic.rule if isinstance(ic, s.IdentityChange) else None

    @property
    def rounding(self) -> str:
        return ROUNDING[self.model.rounding]

    def cite(self, clause: str) -> str:
        """Render a clause reference with its document: ``昌州医保发〔2022〕12号 三（二）``."""
        key, sep, rest = clause.partition(":")
        if sep and key in self.model.documents:
            doc, clause = self.model.documents[key], rest
        else:
            doc = self.model.documents["main"]
        return f"{doc.number or '《' + doc.title + '》'} {clause}"

    def rule_order(self, code: str) -> tuple[int, int]:
        """Where a category stands among the subsidy rules: (rule index, position in the rule);
        categories no rule names sort last. Breaks ties in 'highest identity wins'."""
        return self.category_rank.get(code, (len(self.model.subsidies), 0))

    def standard(self, person_class: str, tier: int) -> s.Amount | None:
        return self.model.standards.get(person_class, {}).get(tier)


# --- search path ---------------------------------------------------------------------------


def _dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("URRBMI_POLICY_PATH", "").split(":") if p]
    builtin = Path(str(resources.files("urrbmi.policy").joinpath("policies")))
    return [*extra, builtin]


def policy_ids() -> list[str]:
    """Ids of every policy on the search path, sorted."""
    found: set[str] = set()
    for d in _dirs():
        if d.is_dir():
            names = (p for p in d.glob("*.yaml") if p.name != SHARED_FILE)
            found.update(p.stem for p in names if not p.name.endswith(".tests.yaml"))
    return sorted(found)


def policy_for(jurisdiction_code: str, benefit_year: int) -> LoadedPolicy:
    """The policy of a jurisdiction (GB/T 2260 code) for a benefit year: each year's notice is
    its own file, so a campaign binds to exactly one. Amendments (``extends``) win over the
    notice they amend; two unrelated policies for the same year are an error."""
    found = [
        p
        for p in (load_policy(pid) for pid in policy_ids())
        if p.model.jurisdiction.code == jurisdiction_code and p.benefit_year == benefit_year
    ]
    amended = {p.model.extends for p in found if p.model.extends}
    found = [p for p in found if p.id not in amended]
    if len(found) == 1:
        return found[0]
    if not found:
        raise UnknownPolicy(
            f"没有辖区{jurisdiction_code}的{benefit_year}年度政策",
            f"no policy for jurisdiction {jurisdiction_code}, benefit year {benefit_year}",
        )
    ids = ", ".join(p.id for p in found)
    raise PolicyFileError(
        f"辖区{jurisdiction_code}的{benefit_year}年度有多个政策：{ids}；请用 extends 表明修订关系",
        f"several policies for {jurisdiction_code} in {benefit_year}: {ids}; mark amendments with 'extends'",
    )


POLICY_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def find_policy_file(policy_id: str) -> Path:
    if len(policy_id) > 80 or not POLICY_ID.fullmatch(policy_id):
        # never let an id reach the file system unchecked (path traversal, absurd names)
        raise UnknownPolicy(
            "政策id只能由小写字母、数字和连字符组成，如 suixi-2022",
            "a policy id has lower-case letters, digits and hyphens, e.g. suixi-2022",
        )
    for d in _dirs():
        candidate = d / f"{policy_id}.yaml"
        if candidate.is_file():
            return candidate
    known = ", ".join(policy_ids())
    raise UnknownPolicy(
        f"找不到政策“{policy_id}”；可用政策：{known}",
        f"no policy {policy_id!r}; available: {known}",
    )


def load_policy(policy_id: str) -> LoadedPolicy:
    """Load a policy by id (cached per file content)."""
    path = find_policy_file(policy_id)
    return _load_cached(str(path), path.stat().st_mtime_ns)


@cache
def _load_cached(path: str, _mtime: int) -> LoadedPolicy:
    return load_policy_file(Path(path))


# --- reading ---------------------------------------------------------------------------


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    return y


def _read(path: Path) -> tuple[CommentedMap, bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyFileError(f"无法读取政策文件{path}：{exc}", f"cannot read {path}: {exc}") from None
    try:
        tree = _yaml().load(data.decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        msg = " ".join(str(exc).split())
        raise PolicyFileError(f"{path}：YAML格式错误：{msg}", f"{path}: invalid YAML: {msg}") from None
    if not isinstance(tree, CommentedMap):
        raise PolicyFileError(f"{path}：顶层应为映射", f"{path}: the top level must be a mapping")
    return tree, data


def _plain(node: Any) -> Any:
    """CommentedMap/Seq -> dict/list; floats -> exact Decimal."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, float):
        return Decimal(repr(float(node)))
    if isinstance(node, int):
        return int(node)
    if isinstance(node, str):
        return str(node)
    return node


def _line_of(tree: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest node of ``loc`` that exists in the YAML tree."""
    node, line = tree, None
    for part in loc:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


_MERGE_KEYS = ("id", "code")


def _merge(base: Any, over: Any) -> Any:
    """Overlay an amending file on its base: mappings merge key by key, except that a mapping
    with its own ``cite`` (a restated rule) replaces the base's whole; lists of mappings with
    ``id``/``code`` merge by that key; anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        if "cite" in over or "gap" in over:
            return over  # a rule restated by the amendment, with its own citation
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    if isinstance(base, list) and isinstance(over, list):
        key = next(
            (k for k in _MERGE_KEYS if all(isinstance(i, dict) and k in i for i in base + over)),
            None,
        )
        if key is None:
            return over
        merged = {i[key]: i for i in base}
        for item in over:
            merged[item[key]] = _merge(merged[item[key]], item) if item[key] in merged else item
        return list(merged.values())
    return over


def load_policy_file(path: Path) -> LoadedPolicy:
    tree, data = _read(path)
    raw = _plain(tree)
    trees: list[tuple[Path, CommentedMap]] = [(path, tree)]
    digest = hashlib.sha256(data)
    if raw.get("extends"):
        base_path = find_policy_file(str(raw["extends"]))
        if base_path.resolve() == path.resolve():
            raise PolicyFileError(f"{path}：不能继承自身", f"{path}: a policy cannot extend itself")
        base_tree, base_data = _read(base_path)
        base_raw = _plain(base_tree)
        if base_raw.get("extends"):
            raise PolicyFileError(
                f"{path}：只支持一层修订（{base_path}本身也是修订）",
                f"{path}: only one level of amendment is supported ({base_path} extends another)",
            )
        raw = _merge(base_raw, raw)
        trees.append((base_path, base_tree))
        digest.update(base_data)
    try:
        model = s.Policy.model_validate(raw)
    except ValidationError as exc:
        raise _schema_error(exc, trees) from None
    if model.id != path.stem:
        raise PolicyFileError(
            f"{path}：文件名应为政策id“{model.id}.yaml”",
            f"{path}: the file name must be the policy id ({model.id}.yaml)",
        )
    return _check(model, path, digest.hexdigest()[:12], trees)


def _find_line(node: Any, value: str) -> int | None:
    """1-based line of the first scalar equal to ``value`` in a YAML tree."""
    items: list[tuple[Any, Any]] = []
    if isinstance(node, CommentedMap):
        items = [(k, node.lc.value(k)) for k in node]
    elif isinstance(node, CommentedSeq):
        items = [(i, node.lc.item(i)) for i in range(len(node))]
    for key, pos in items:
        child = node[key]
        if isinstance(child, str) and child == value:
            return int(pos[0]) + 1
        found = _find_line(child, value)
        if found is not None:
            return found
    return None


def _located(exc: UnknownCategory, trees: list[tuple[Path, CommentedMap]]) -> UnknownCategory:
    """An unknown identity in a policy file, with the file and line that names it."""
    quoted = re.search(r"“(.+?)”", exc.zh)
    name = quoted.group(1) if quoted else ""
    pos = str(trees[0][0])
    for file, tree in trees:
        line = _find_line(tree, name) if name else None
        if line is not None:
            pos = f"{file}:{line}"
            break
    return UnknownCategory(f"{pos}：{exc.zh}", f"{pos}: {exc.en}")


def _schema_error(exc: ValidationError, trees: list[tuple[Path, CommentedMap]]) -> PolicyFileError:
    lines_zh, lines_en = [], []
    for err in exc.errors()[:5]:
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc if not (str(p)[:1].isupper() or "[" in str(p)))
        file, line = trees[0][0], None
        for f, t in trees:
            line = _line_of(t, loc)
            if line is not None:
                file = f
                break
        pos = f"{file}:{line}" if line else str(file)
        lines_zh.append(f"{pos}：字段 {where}：{err['msg']}")
        lines_en.append(f"{pos}: field {where}: {err['msg']}")
    more = len(exc.errors()) - 5
    if more > 0:
        lines_zh.append(f"另有{more}处错误")
        lines_en.append(f"and {more} more")
    return PolicyFileError("；".join(lines_zh), "; ".join(lines_en))


# --- cross-field checks -----------------------------------------------------------------


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


def _conditions(model: s.Policy) -> Iterator[tuple[str, s.Condition]]:
    for c in model.person_classes:
        if c.when:
            yield f"person_classes.{c.code}", c.when
    for p in model.pathways:
        yield f"pathways.{p.code}", p.when
    for w in model.waiting_exemptions:
        yield f"waiting_exemptions.{w.label}", w.when
    for r in model.reductions:
        yield f"reductions.{r.id}", r.when


def percent_of(percent: Decimal, base: Decimal, rounding: str) -> Decimal:
    return (base * percent / 100).quantize(FEN, rounding=rounding)


def _check(model: s.Policy, path: Path, version: str, trees: list[tuple[Path, CommentedMap]]) -> LoadedPolicy:
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
