"""A notice's own test cases as data: ``<policy>.tests.yaml`` beside ``<policy>.yaml``.

A tests file lists cases, each one resident in (the same fields ``urrbmi quote`` reads) and the
figures the notice gives out, with the clause they come from::

    cases:
      - name: 逾期缴费补缴财政补助部分
        clause: 一（三）
        input: {paid_on: 2022-07-01}
        expect: {individual_payment: 320, fiscal_portion_due: 580, total_due: 900,
                 benefit_start: 2022-09-29}
      - name: 缴费期前不受理
        clause: 一（三）
        input: {paid_on: 2021-11-30}
        expect: {error: outside_window}

``expect`` holds any subset of the quote's fields (money exact: ``73.2`` is ``Decimal("73.2")``);
for a refusal, ``error`` is the error code and ``error_contains`` a phrase of its Chinese
message. The policy is the file's sibling ``<id>.yaml`` (``<id>`` from the file name, or
``policy:`` at the top), else the policy of that id on the search path.

Reading is as strict as for policy files (unknown fields refused, errors name the file and line);
running reports each mismatch with file:line, case, clause, field, expected and got.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml.comments import CommentedMap

from urrbmi.errors import PolicyFileError, UrrbmiError
from urrbmi.money import fmt
from urrbmi.policy.engine import quote
from urrbmi.policy.loaded import LoadedPolicy
from urrbmi.policy.loader import _dirs, _plain, _read, load_policy, load_policy_file
from urrbmi.policy.locate import _line_of, _schema_error
from urrbmi.policy.resident import ResidentInput
from urrbmi.policy.result import Quote

SUFFIX = ".tests.yaml"
Money = Decimal


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Model):
    """The figures a case expects; every field is optional, present ones are checked."""

    person_class: str | None = None
    tier: int | None = None
    standard: Money | None = None
    subsidy: Money | None = None
    subsidy_category: str | None = None
    subsidy_funder: str | None = None
    individual_payment: Money | None = None
    fiscal_portion_due: Money | None = None
    total_due: Money | None = None
    benefit_start: dt.date | None = None
    benefit_end: dt.date | None = None
    waiting_days: int | None = None
    pathway: str | None = None  # the pathway (payment window) code, the quote's ``window``
    outpatient_cap: Money | None = None
    inpatient_cap: Money | None = None
    critical_illness_deductible: Money | None = None
    reduction: Money | None = None  # first-stage reduction (减免)
    assistance: Money | None = None  # the subsidy after the reduction (资助)
    other_premiums: Money | None = None  # premiums collected alongside (e.g. 长期护理保险)
    explanation_contains: tuple[str, ...] | None = None  # phrases the explanation must contain
    explanation_lacks: tuple[str, ...] | None = None  # phrases it must not contain
    assumed_in: tuple[str, ...] | None = None  # explanation steps that must carry ``assumed``
    error: str | None = None  # the error code of a refusal, e.g. outside_window, policy_gap
    error_contains: str | None = None  # a phrase of the refusal's Chinese message


class Case(_Model):
    name: str = Field(min_length=1)
    clause: str = Field(min_length=1)  # the notice's clause, e.g. 五（二）
    input: dict[str, Any]
    expect: Expect


class CaseFile(_Model):
    policy: str | None = None
    cases: tuple[Case, ...] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedCases:
    path: Path
    policy: LoadedPolicy
    cases: tuple[Case, ...]
    tree: CommentedMap

    def line(self, index: int, *loc: str) -> int:
        return _line_of(self.tree, ("cases", index, *loc)) or 1


@dataclass(frozen=True)
class Failure:
    path: Path
    line: int
    case: str
    clause: str
    field: str
    expected: str
    got: str

    @property
    def zh(self) -> str:
        return (
            f"{self.path}:{self.line}：用例“{self.case}”（条款{self.clause}）："
            f"{self.field} 期望 {self.expected}，实际 {self.got}"
        )

    @property
    def en(self) -> str:
        return (
            f"{self.path}:{self.line}: case {self.case!r} (clause {self.clause}): "
            f"{self.field} expected {self.expected.replace(_NONE, '(none)')}, "
            f"got {self.got.replace(_NONE, '(none)')}"
        )


@dataclass(frozen=True)
class Outcome:
    passed: int
    failed: int  # cases with at least one failure
    failures: tuple[Failure, ...]


def shipped_case_files() -> list[Path]:
    """Every ``*.tests.yaml`` on the policy search path (URRBMI_POLICY_PATH, then the package)."""
    found: list[Path] = []
    for d in _dirs():
        if d.is_dir():
            found.extend(sorted(d.glob(f"*{SUFFIX}")))
    return found


def _policy_for(path: Path, declared: str | None) -> LoadedPolicy:
    pid = declared or path.name.removesuffix(SUFFIX)
    sibling = path.with_name(f"{pid}.yaml")
    if sibling.is_file():
        return load_policy_file(sibling)
    return load_policy(pid)


def load_cases(path: Path) -> LoadedCases:
    """Read and check a tests file; :class:`PolicyFileError` with file:line on any fault."""
    if not path.name.endswith(SUFFIX):
        raise PolicyFileError(
            f"{path}：测试用例文件名应以{SUFFIX}结尾", f"{path}: a tests file is named *{SUFFIX}"
        )
    tree, _ = _read(path)
    try:
        model = CaseFile.model_validate(_plain(tree))
    except ValidationError as exc:
        raise _schema_error(exc, [(path, tree)]) from None
    names = [c.name for c in model.cases]
    for i, name in enumerate(names):
        if names.index(name) != i:
            line = _line_of(tree, ("cases", i, "name"))
            raise PolicyFileError(
                f"{path}:{line}：用例名称“{name}”重复", f"{path}:{line}: duplicate case name {name!r}"
            )
    return LoadedCases(path, _policy_for(path, model.policy), model.cases, tree)


_NONE = "（无）"


def _show(value: Any) -> str:
    if value is None:
        return _NONE
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, tuple | list):
        return "、".join(map(str, value)) or _NONE
    return str(value)


def _got(q: Quote, field: str) -> Any:
    if field == "pathway":
        return q.window
    if field in ("reduction", "assistance", "other_premiums"):
        return q.stages()[field]
    if field in ("outpatient_cap", "inpatient_cap", "critical_illness_deductible"):
        return getattr(q.benefit_limits, field)
    return getattr(q, field)


def run_case(lc: LoadedCases, index: int) -> list[Failure]:
    case = lc.cases[index]
    exp = case.expect
    checks = exp.model_dump(exclude_none=True)

    def fail(field: str, expected: Any, got: Any) -> Failure:
        line = lc.line(index, "expect", field) if field in checks else lc.line(index)
        return Failure(lc.path, line, case.name, case.clause, field, _show(expected), _show(got))

    try:
        q = quote(lc.policy, ResidentInput.parse(case.input))
    except UrrbmiError as err:
        out = []
        if exp.error is None:
            got = f"错误[{err.code}] {err.zh}"
            return [fail("error", None, got)]
        if err.code != exp.error:
            out.append(fail("error", exp.error, f"{err.code}（{err.zh}）"))
        if exp.error_contains is not None and exp.error_contains not in err.zh:
            out.append(fail("error_contains", exp.error_contains, err.zh))
        return out
    if exp.error is not None or exp.error_contains is not None:
        return [fail("error", exp.error, f"应缴{fmt(q.total_due)}元（未拒绝）")]
    out = []
    for field, expected in checks.items():
        if field == "assumed_in":
            marked = {st.step for st in q.explanation if st.assumed}
            missing = [step for step in expected if step not in marked]
            if missing:
                out.append(fail(field, expected, sorted(marked)))
            continue
        if field in ("explanation_contains", "explanation_lacks"):
            text = "\n".join(f"{st.rule} {st.value or ''}" for st in q.explanation)
            wrong = [x for x in expected if (x in text) != (field == "explanation_contains")]
            if wrong:
                out.append(fail(field, wrong, text))
            continue
        got = _got(q, field)
        if got != expected:
            out.append(fail(field, expected, got))
    return out


def run_files(paths: Iterable[Path]) -> Outcome:
    """Load every file first (a file error stops before any case runs), then run all cases."""
    loaded = [load_cases(p) for p in paths]
    passed, failed, failures = 0, 0, []
    for lc in loaded:
        for i in range(len(lc.cases)):
            got = run_case(lc, i)
            if got:
                failed += 1
                failures.extend(got)
            else:
                passed += 1
    return Outcome(passed, failed, tuple(failures))
