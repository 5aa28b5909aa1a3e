"""Task tables (参保任务数): the annex of a notice that gives each town its enrollment task.

A table is two files in ``urrbmi/targets/data/``: ``<id>-tasks.csv`` (one row per region) and
``<id>-tasks.yaml`` (the sidecar: source document and annex, population base and its date,
stated totals, method, and the clauses on reductions and incentives). The sidecar is validated
strictly: a missing citation or a misspelt key is an error.

Two methods occur in notices:

* ``base_times_rate`` (濉溪): task = base × rate, rounded half-up to a whole person per region;
  the total is the sum of the regions. The annex's printed task is kept as ``stated_task`` and
  every difference between printed and computed numbers is reported, never papered over.
* ``fixed`` (黔江): the task is allocated as printed; only the total is checked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML

from urrbmi.errors import UrrbmiError
from urrbmi.limits import read_text


class TaskTableError(UrrbmiError):
    code = "task_table"
    http_status = 422


class Method(StrEnum):
    BASE_TIMES_RATE = "base_times_rate"
    FIXED = "fixed"


class EvidenceKind(StrEnum):
    """Proof that a resident is insured elsewhere, which allows a task reduction (核减)."""

    OTHER_PLACE_EMPLOYEE = "other_place_employee"
    OTHER_PLACE_RESIDENT = "other_place_resident"

    @property
    def zh(self) -> str:
        return _EVIDENCE_ZH[self]


_EVIDENCE_ZH = {
    EvidenceKind.OTHER_PLACE_EMPLOYEE: "异地职工医保参保凭证",
    EvidenceKind.OTHER_PLACE_RESIDENT: "异地居民医保参保凭证",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    issuer: str = Field(min_length=1)
    document: str = Field(min_length=1)
    annex: str = Field(min_length=1)
    clause: str | None = None
    seed: str | None = None


class PopulationBase(_Strict):
    kind: str = Field(min_length=1)
    source: str = Field(min_length=1)
    as_of: dt.date
    citation: str = Field(min_length=1)


class StatedTotals(_Strict):
    base: int | None = None
    task: int


class ReductionRule(_Strict):
    evidence: list[EvidenceKind] = Field(min_length=1)
    citation: str = Field(min_length=1)


class IncentiveRule(_Strict):
    per_person_yuan: Decimal = Field(ge=0)
    citation: str = Field(min_length=1)


class TableMeta(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    county: str = Field(min_length=1)
    benefit_year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1)
    region_label: str = Field(min_length=1)
    method: Method
    rounding: Literal["half_up", "none"]
    source: Source
    population_base: PopulationBase
    stated_totals: StatedTotals
    task_scope: str | None = None
    reductions: ReductionRule | None = None
    incentive: IncentiveRule | None = None


@dataclass(frozen=True)
class TaskRow:
    seq: int
    region: str
    base: int | None
    rate: Decimal | None
    stated_task: int | None
    task: int

    @property
    def exact(self) -> Decimal | None:
        """base × rate before rounding, for showing how a task was obtained."""
        if self.base is None or self.rate is None:
            return None
        return Decimal(self.base) * self.rate


@dataclass(frozen=True)
class Discrepancy:
    """A printed number that the table's own method does not reproduce."""

    table: str
    region: str | None  # None: the total
    field: Literal["task", "base"]
    stated: int
    computed: int

    def describe(self) -> str:
        where = self.region if self.region is not None else "合计"
        what = "参保任务数" if self.field == "task" else "人口基数"
        return f"{self.table} {where} {what}：表列 {self.stated}，计算 {self.computed}"


@dataclass(frozen=True)
class TaskTable:
    meta: TableMeta
    rows: tuple[TaskRow, ...]
    discrepancies: tuple[Discrepancy, ...]

    @property
    def total_task(self) -> int:
        return sum(r.task for r in self.rows)

    @property
    def total_base(self) -> int | None:
        if any(r.base is None for r in self.rows):
            return None
        return sum(r.base or 0 for r in self.rows)

    def regions(self) -> tuple[str, ...]:
        return tuple(r.region for r in self.rows)

    def row(self, region: str) -> TaskRow:
        for r in self.rows:
            if r.region == region:
                return r
        raise TaskTableError(
            f"任务表 {self.meta.id} 中没有“{region}”",
            f"table {self.meta.id} has no region {region!r}",
        )


def parse_rate(text: str) -> Decimal:
    """'99%' -> Decimal('0.99'); '0.985' -> Decimal('0.985'). Must lie in [0, 1]."""
    raw = text.strip()
    try:
        value = Decimal(raw[:-1]) / 100 if raw.endswith("%") else Decimal(raw)
    except InvalidOperation:
        raise TaskTableError(f"比率“{text}”无法识别", f"cannot read rate {text!r}") from None
    if not value.is_finite() or value < 0 or value > 1:
        raise TaskTableError(f"比率“{text}”应在0与100%之间", f"rate {text!r} not in [0, 100%]")
    return value


def compute_task(base: int, rate: Decimal) -> int:
    """One region's task: base × rate rounded half-up (四舍五入) to a whole person."""
    if base < 0:
        raise TaskTableError(f"人口基数不能为负（{base}）", f"negative base {base}")
    return int((Decimal(base) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _int(value: str, what: str, table: str, line: int) -> int:
    text = value.strip().replace(",", "")
    if not text.isdigit():
        raise TaskTableError(
            f"任务表 {table} 第{line}行 {what}“{value}”不是非负整数",
            f"table {table} line {line}: {what} {value!r} is not a non-negative integer",
        )
    return int(text)


_COLUMNS = {
    Method.BASE_TIMES_RATE: ({"region", "base", "rate"}, {"seq", "stated_task"}),
    Method.FIXED: ({"region", "stated_task"}, {"seq", "base"}),
}


def build_table(meta: TableMeta, csv_text: str) -> TaskTable:
    """Parse the CSV of a table, compute its tasks and collect every discrepancy."""
    reader = csv.DictReader(io.StringIO(csv_text))
    required, optional = _COLUMNS[meta.method]
    columns = set(reader.fieldnames or ())
    missing, unknown = required - columns, columns - required - optional
    if missing or unknown:
        raise TaskTableError(
            f"任务表 {meta.id} 列不符：缺少 {sorted(missing)}，多出 {sorted(unknown)}",
            f"table {meta.id}: missing columns {sorted(missing)}, unknown {sorted(unknown)}",
        )
    rows: list[TaskRow] = []
    found: list[Discrepancy] = []
    seen: set[str] = set()
    for index, raw in enumerate(reader, start=1):
        line = index + 1
        region = (raw.get("region") or "").strip()
        if not region:
            raise TaskTableError(
                f"任务表 {meta.id} 第{line}行缺少单位名称",
                f"table {meta.id} line {line}: no region",
            )
        if region in seen:
            raise TaskTableError(
                f"任务表 {meta.id} 单位“{region}”重复", f"table {meta.id}: region {region!r} twice"
            )
        seen.add(region)
        seq = _int(raw["seq"], "序号", meta.id, line) if raw.get("seq") else index
        base = _int(raw["base"], "人口基数", meta.id, line) if raw.get("base") else None
        stated = _int(raw["stated_task"], "任务数", meta.id, line) if raw.get("stated_task") else None
        rate: Decimal | None = None
        if meta.method is Method.BASE_TIMES_RATE:
            if base is None:
                raise TaskTableError(
                    f"任务表 {meta.id} “{region}”缺少人口基数", f"{meta.id} {region}: no base"
                )
            rate = parse_rate(raw["rate"])
            task = compute_task(base, rate)
            if stated is not None and stated != task:
                found.append(Discrepancy(meta.id, region, "task", stated, task))
        else:
            if stated is None:
                raise TaskTableError(f"任务表 {meta.id} “{region}”缺少任务数", f"{meta.id} {region}: no task")
            task = stated
        rows.append(TaskRow(seq, region, base, rate, stated, task))
    if not rows:
        raise TaskTableError(f"任务表 {meta.id} 没有数据行", f"table {meta.id} has no rows")
    table = TaskTable(meta, tuple(rows), ())
    totals = meta.stated_totals
    if totals.task != table.total_task:
        found.append(Discrepancy(meta.id, None, "task", totals.task, table.total_task))
    if totals.base is not None and totals.base != table.total_base:
        found.append(Discrepancy(meta.id, None, "base", totals.base, table.total_base or 0))
    return TaskTable(meta, table.rows, tuple(found))


def check_consistent(table: TaskTable, strict: bool) -> TaskTable:
    if strict and table.discrepancies:
        lines = "；".join(d.describe() for d in table.discrepancies)
        raise TaskTableError(
            f"任务表 {table.meta.id} 与其计算结果不符：{lines}",
            f"table {table.meta.id} does not reproduce: {lines}",
        )
    return table


def parse_meta(data: Mapping[str, Any], where: str) -> TableMeta:
    try:
        return TableMeta.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise TaskTableError(
            f"任务表说明文件 {where} 无效：{problems}", f"invalid table sidecar {where}: {problems}"
        ) from None


def _yaml(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def load_table_files(csv_path: Path, yaml_path: Path, *, strict: bool = True) -> TaskTable:
    """Load a table from a CSV and its YAML sidecar anywhere on disk (a new county's table)."""
    meta = parse_meta(_yaml(read_text(yaml_path)), str(yaml_path))
    return check_consistent(build_table(meta, read_text(csv_path)), strict)


def _data_dir() -> Any:
    return resources.files("urrbmi.targets").joinpath("data")


def available_tables() -> tuple[str, ...]:
    """Ids of the tables shipped in ``urrbmi/targets/data``."""
    names = (p.name for p in _data_dir().iterdir())
    return tuple(sorted(n[: -len("-tasks.csv")] for n in names if n.endswith("-tasks.csv")))


def load_table(table_id: str, *, strict: bool = True) -> TaskTable:
    """Load a shipped table by id (``suixi-2022``). ``strict`` raises on any discrepancy."""
    if table_id not in available_tables():
        raise TaskTableError(
            f"没有任务表“{table_id}”（现有：{'、'.join(available_tables())}）",
            f"no task table {table_id!r} (available: {', '.join(available_tables())})",
        )
    data = _data_dir()
    meta = parse_meta(_yaml(data.joinpath(f"{table_id}-tasks.yaml").read_text(encoding="utf-8")), table_id)
    if meta.id != table_id:
        raise TaskTableError(
            f"说明文件 id“{meta.id}”与文件名“{table_id}”不符",
            f"sidecar id {meta.id!r} differs from file name {table_id!r}",
        )
    text = data.joinpath(f"{table_id}-tasks.csv").read_text(encoding="utf-8-sig")
    return check_consistent(build_table(meta, text), strict)
