"""Task reductions (核减参保任务数) for residents proven insured elsewhere.

濉溪 annex note 3: 各镇（园区）须提供参加异地职工医保和异地居民医保参保凭证等，方可核减参保任务数。
A reduction is recorded with the kind of proof and a reference to it (凭证编号 or file number), and
lowers the region's task by the number of persons it covers. A table whose notice has no such
clause (its sidecar has no ``reductions``) refuses every reduction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass

from urrbmi import ids
from urrbmi.targets.tables import EvidenceKind, TaskTable, TaskTableError


@dataclass(frozen=True)
class TaskReduction:
    region: str
    persons: int
    evidence: EvidenceKind
    evidence_ref: str
    recorded_on: dt.date
    resident_ids: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ReducedTask:
    region: str
    original: int
    reduced_by: int
    evidence_refs: tuple[str, ...]

    @property
    def task(self) -> int:
        return self.original - self.reduced_by


def _fail(zh: str, en: str) -> TaskTableError:
    return TaskTableError(zh, en, code="task_reduction")


def _validate(table: TaskTable, reductions: Iterable[TaskReduction]) -> list[TaskReduction]:
    rule = table.meta.reductions
    items = list(reductions)
    if items and rule is None:
        raise _fail(
            f"任务表 {table.meta.id} 所依据的通知未规定核减任务数",
            f"the notice behind table {table.meta.id} provides no task reductions",
        )
    refs: set[str] = set()
    people: set[str] = set()
    regions = set(table.regions())
    for r in items:
        where = f"{r.region} {r.evidence_ref}"
        if r.region not in regions:
            raise _fail(
                f"核减记录的单位“{r.region}”不在任务表 {table.meta.id} 中",
                f"reduction for {r.region!r}, which is not in table {table.meta.id}",
            )
        if rule is not None and r.evidence not in rule.evidence:
            raise _fail(
                f"核减记录（{where}）的凭证种类“{r.evidence.zh}”不在通知所列凭证之内",
                f"reduction {where}: evidence {r.evidence.value} is not accepted by the notice",
            )
        if not r.evidence_ref.strip():
            raise _fail(f"“{r.region}”的核减记录缺少凭证编号", f"reduction for {r.region}: no evidence ref")
        if r.evidence_ref in refs:
            raise _fail(f"凭证编号重复：{r.evidence_ref}", f"evidence ref used twice: {where}")
        refs.add(r.evidence_ref)
        if r.persons <= 0:
            raise _fail(f"核减人数应为正数（{where}）", f"reduction {where}: persons must be > 0")
        if r.resident_ids:
            if len(r.resident_ids) != r.persons:
                raise _fail(
                    f"核减记录（{where}）人数{r.persons}与身份证号数{len(r.resident_ids)}不符",
                    f"reduction {where}: {r.persons} persons but {len(r.resident_ids)} IDs",
                )
            for number in r.resident_ids:
                valid = ids.validate(number)
                if valid in people:
                    raise _fail(
                        f"同一居民被重复核减（{ids.mask(valid)}）",
                        f"resident reduced twice ({ids.mask(valid)})",
                    )
                people.add(valid)
    return items


def apply_reductions(table: TaskTable, reductions: Iterable[TaskReduction]) -> tuple[ReducedTask, ...]:
    """Every region of the table with its task after reductions, in table order.

    Errors (never silently skipped): the notice allows no reductions; an unknown region; an
    evidence kind the notice does not list; an empty or repeated evidence reference; a resident
    reduced twice; reductions exceeding a region's task.
    """
    items = _validate(table, reductions)
    out: list[ReducedTask] = []
    for row in table.rows:
        mine = [r for r in items if r.region == row.region]
        reduced = sum(r.persons for r in mine)
        if reduced > row.task:
            raise _fail(
                f"“{row.region}”核减{reduced}人，超过其任务数{row.task}",
                f"{row.region}: reductions {reduced} exceed its task {row.task}",
            )
        out.append(ReducedTask(row.region, row.task, reduced, tuple(r.evidence_ref for r in mine)))
    return tuple(out)


REDUCTION_COLUMNS = ("region", "persons", "evidence", "evidence_ref", "recorded_on")


def read_reductions_csv(text: str) -> list[TaskReduction]:
    """Columns: region, persons, evidence (other_place_employee | other_place_resident, or the
    Chinese name), evidence_ref, recorded_on (YYYY-MM-DD); optional resident_ids (separated by
    ';') and note."""
    reader = csv.DictReader(io.StringIO(text))
    missing = set(REDUCTION_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise _fail(f"核减文件缺少列 {sorted(missing)}", f"reductions file lacks {sorted(missing)}")
    by_zh = {k.zh: k for k in EvidenceKind}
    out: list[TaskReduction] = []
    for line, raw in enumerate(reader, start=2):
        kind_text = raw["evidence"].strip()
        kind = by_zh.get(kind_text)
        if kind is None:
            try:
                kind = EvidenceKind(kind_text)
            except ValueError:
                raise _fail(
                    f"核减文件第{line}行凭证种类“{kind_text}”无法识别",
                    f"reductions line {line}: unknown evidence kind {kind_text!r}",
                ) from None
        try:
            persons = int(raw["persons"])
            recorded = dt.date.fromisoformat(raw["recorded_on"].strip())
        except ValueError:
            raise _fail(
                f"核减文件第{line}行人数或日期无效", f"reductions line {line}: bad persons or date"
            ) from None
        id_text = (raw.get("resident_ids") or "").strip()
        out.append(
            TaskReduction(
                region=raw["region"].strip(),
                persons=persons,
                evidence=kind,
                evidence_ref=raw["evidence_ref"].strip(),
                recorded_on=recorded,
                resident_ids=tuple(x.strip() for x in id_text.split(";") if x.strip()),
                note=(raw.get("note") or "").strip(),
            )
        )
    return out
