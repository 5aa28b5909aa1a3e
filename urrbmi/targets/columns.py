"""The progress table, specified once (参保进度表): its columns, their labels in Chinese and English,
how each figure is taken from the counts, how it is rounded and when it is shown.

Every report of progress renders this specification: the CLI table (``urrbmi targets progress``),
the progress sheet, the bulletin as Excel and as printable HTML (``bulletin.columns``), and the
API (``table`` in ``/campaigns/{id}/progress`` and ``/bulletin``), so one campaign on one date
shows the same figures everywhere.

Rounding: ratios are shown as percentages with two decimals, half-up
(:func:`urrbmi.targets.progress.shown_ratio`); spreadsheets and the API hold that same rounded
fraction (0.8830 for 88.30%), so the number a user sorts or sums is the one printed. The change on
last year is the difference of the two percentages as printed. Ranks are competition ranks
(1, 2, 2, 4) over the printed ratio. An unknown figure (last year's enrollment when it was never
imported) is shown as "—", never as 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

from urrbmi.targets.progress import UnitProgress, shown_ratio

if TYPE_CHECKING:
    from urrbmi.targets.counting import ProgressReport

Kind = Literal["rank", "text", "count", "percent", "points"]
Value = int | Decimal | str | None
UNKNOWN = "—"


@dataclass(frozen=True)
class Detail:
    """Counts beside the progress that only the database knows (None on a bulletin built from
    a counts file)."""

    code: str
    registry: int  # living residents in the registry at the date
    paid: int
    subsidised: int
    employee: int
    elsewhere: int


@dataclass(frozen=True)
class Line:
    """One row of the table: a unit (or the total) with its progress."""

    name: str
    p: UnitProgress
    detail: Detail | None = None
    remark: str = ""
    total: bool = False


@dataclass(frozen=True)
class Shape:
    """What a table can show: tasks, last year, database counts; ``detail`` for the full progress
    table (CLI, progress sheet, API) rather than the printed bulletin."""

    has_task: bool
    has_last_year: bool
    has_detail: bool
    detail: bool
    unit_label: str = "单位"
    base_label: str = "应参保人数"


def _always(_: Shape) -> bool:
    return True


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: Kind
    get: Callable[[Line], Value]
    show: Callable[[Shape], bool] = _always
    width: int = 12

    def label(self, shape: Shape, english: bool = False) -> str:
        if english:
            return self.en
        if self.key == "unit":
            return shape.unit_label
        if self.key == "base":
            return shape.base_label
        return self.zh


def _d(line: Line, field: str) -> Value:
    return None if line.detail is None else int(getattr(line.detail, field))


def _ratio(value: Decimal | None) -> Value:
    return None if value is None else shown_ratio(value)


def _change(line: Line) -> Value:
    """Percentage points, as the difference of the two printed percentages."""
    p = line.p
    if p.last_year_rate is None:
        return None
    return (shown_ratio(p.rate) - shown_ratio(p.last_year_rate)) * 100


def _last_year(line: Line) -> Value:
    p = line.p
    return None if p.enrolled_change is None else p.enrolled - p.enrolled_change


def _task(s: Shape) -> bool:
    return s.has_task


def _full(s: Shape) -> bool:
    return s.detail and s.has_detail


def _last(s: Shape) -> bool:
    return s.detail or s.has_last_year


def _code(line: Line) -> Value:
    return line.detail.code if line.detail else None


def _has_detail(s: Shape) -> bool:
    return s.has_detail


def _detail_table(s: Shape) -> bool:
    return s.detail


def _bulletin(s: Shape) -> bool:
    return not s.detail


C = Column
COLUMNS: tuple[Column, ...] = (
    C("rank", "排名", "Rank", "rank", lambda ln: ln.p.rank, width=6),
    C("unit", "单位", "Unit", "text", lambda ln: ln.name, width=22),
    C("code", "区划代码/学校", "Code", "text", _code, _full, 16),
    C("registry", "在册人数", "Registered", "count", lambda ln: _d(ln, "registry"), _has_detail),
    C("base", "应参保人数", "Base", "count", lambda ln: ln.p.base),
    C("task", "参保任务数", "Task", "count", lambda ln: ln.p.task, _task),
    C("enrolled", "已参保人数", "Enrolled", "count", lambda ln: ln.p.enrolled),
    C("paid", "其中已缴费", "Of which paid", "count", lambda ln: _d(ln, "paid"), _full),
    C("subsidised", "其中资助参保", "Of which subsidised", "count", lambda ln: _d(ln, "subsidised"), _full),
    C("employee", "职工医保", "Employee insurance", "count", lambda ln: _d(ln, "employee"), _full),
    C("elsewhere", "外地参保", "Insured elsewhere", "count", lambda ln: _d(ln, "elsewhere"), _full),
    C("completion", "任务完成率", "Task completion", "percent", lambda ln: _ratio(ln.p.completion), _task),
    C("rate", "参保率", "Enrollment rate", "percent", lambda ln: _ratio(ln.p.rate)),
    C("target_rate", "目标参保率", "Target rate", "percent", lambda ln: _ratio(ln.p.target_rate)),
    C("required", "应完成人数", "Required", "count", lambda ln: ln.p.required, _detail_table),
    C("remaining", "距目标差额（人）", "Short of target", "count", lambda ln: ln.p.remaining, width=14),
    C("last_year", "上年参保人数", "Enrolled last year", "count", _last_year, _last),
    C(
        "last_year_rate",
        "上年参保率",
        "Rate last year",
        "percent",
        lambda ln: _ratio(ln.p.last_year_rate),
        _last,
    ),
    C("change", "比上年增减（百分点）", "Change on last year (points)", "points", _change, _last, 16),
    C("remark", "备注", "Remarks", "text", lambda ln: ln.remark, _bulletin, 28),
)
BY_KEY = {c.key: c for c in COLUMNS}


def columns(shape: Shape) -> tuple[Column, ...]:
    """The columns shown for a table of this shape, in order."""
    return tuple(c for c in COLUMNS if c.show(shape))


def text(kind: str, value: Value) -> str:
    """A value of a column of ``kind`` as printed: counts with thousands separators, percentages
    with two decimals, points signed, "—" for an unknown figure (blank for the total's rank and
    empty remarks)."""
    if value is None:
        return "" if kind in ("rank", "text") else UNKNOWN
    if kind == "count" and isinstance(value, int):
        return f"{value:,}"
    if kind == "percent" and isinstance(value, Decimal):
        return f"{(value * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"
    if kind == "points" and isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):+}"
    return str(value)


def cell(col: Column, line: Line) -> Value:
    """A value for a spreadsheet or JSON: the figure as printed (a rounded ratio, not the exact
    one), None where unknown."""
    return col.get(line)


def report_lines(rep: ProgressReport) -> tuple[Shape, list[Line]]:
    """A database progress report as table lines (rows in rank order, then the total). A repeated
    unit name gets its code beside it."""
    names = [r.name for r in rep.rows]
    lines = [
        Line(
            r.name if names.count(r.name) == 1 else f"{r.name}（{r.unit}）",
            r.progress,
            Detail(r.unit, r.registry, r.paid, r.subsidised, r.employee, r.elsewhere),
        )
        for r in rep.rows
    ]
    if rep.total is not None:
        t = rep.total
        lines.append(
            Line(
                "合计",
                t.progress,
                Detail("", t.registry, t.paid, t.subsidised, t.employee, t.elsewhere),
                total=True,
            )
        )
    shape = Shape(
        has_task=rep.total is not None and rep.total.progress.task is not None,
        has_last_year=rep.total is not None and rep.total.progress.last_year_rate is not None,
        has_detail=True,
        detail=True,
    )
    return shape, lines


def table_json(shape: Shape, lines: Sequence[Line]) -> dict[str, object]:
    """The table for the API: the columns (key, labels, kind) and one object per line keyed by
    column (figures as printed; null where unknown); the total is the line with ``total``."""
    cols = columns(shape)
    return {
        "columns": [{"key": c.key, "zh": c.label(shape), "en": c.en, "kind": c.kind} for c in cols],
        "rows": [{**{c.key: cell(c, ln) for c in cols}, "total": ln.total} for ln in lines],
    }


def report_table(rep: ProgressReport) -> dict[str, object]:
    """:func:`table_json` of a database progress report (:func:`report_lines`)."""
    return table_json(*report_lines(rep))
