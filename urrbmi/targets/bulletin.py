"""Progress bulletins (参保进度通报): a ranked table of units, as Excel and as printable HTML.

Remarks name the laggards: every unit below its target (with the shortfall) and the last
``bottom_n`` units by rank (ties at the boundary included, see ``progress.bottom_units``).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from urrbmi.export import Book
from urrbmi.targets import columns as spec
from urrbmi.targets.progress import (
    RankBy,
    UnitCounts,
    UnitProgress,
    bottom_units,
    percent,
    progress_table,
    progress_total,
)


@dataclass(frozen=True)
class Bulletin:
    title: str
    as_of: dt.date
    unit_label: str
    base_label: str
    target_rate: Decimal
    bottom_n: int
    rows: tuple[UnitProgress, ...]  # by rank, ties in input order
    total: UnitProgress
    remarks: dict[str, str]
    notes: tuple[str, ...] = ()
    details: Mapping[str, spec.Detail] = field(default_factory=dict)  # by unit (and 合计): database counts

    @property
    def has_task(self) -> bool:
        return self.total.task is not None

    @property
    def has_last_year(self) -> bool:
        return self.total.last_year_rate is not None

    @property
    def laggards(self) -> tuple[str, ...]:
        return tuple(p.unit for p in self.rows if self.remarks.get(p.unit))


def remarks_for(rows: Sequence[UnitProgress], bottom_n: int) -> dict[str, str]:
    bottom = bottom_units(rows, bottom_n)
    out: dict[str, str] = {}
    for p in rows:
        parts = []
        if not p.meets_target:
            parts.append(f"未达目标，差{p.remaining:,}人")
        if p.unit in bottom:
            parts.append(f"排名后{bottom_n}位")
        out[p.unit] = "；".join(parts)
    return out


def build_bulletin(
    counts: Sequence[UnitCounts],
    target_rate: Decimal,
    *,
    title: str,
    as_of: dt.date,
    unit_label: str = "单位",
    base_label: str = "应参保人数",
    bottom_n: int = 3,
    rank_by: RankBy | None = None,
    notes: Sequence[str] = (),
    details: Mapping[str, spec.Detail] | None = None,
) -> Bulletin:
    ranked = progress_table(counts, target_rate, rank_by=rank_by)
    order = sorted(range(len(ranked)), key=lambda i: (ranked[i].rank or 0, i))
    return Bulletin(
        title=title,
        as_of=as_of,
        unit_label=unit_label,
        base_label=base_label,
        target_rate=target_rate,
        bottom_n=bottom_n,
        rows=tuple(ranked[i] for i in order),
        total=progress_total(counts, target_rate),
        remarks=remarks_for(ranked, bottom_n),
        notes=tuple(notes),
        details=dict(details or {}),
    )


# --- columns ---------------------------------------------------------------------------------
# The columns are those of the progress table (urrbmi.targets.columns), shown as a bulletin.

COUNT, PERCENT, POINTS, TEXT = "count", "percent", "points", "text"
Value = int | Decimal | str | None


@dataclass(frozen=True)
class Column:
    header: str
    kind: str
    get: Callable[[UnitProgress, Bulletin], Value]
    width: int = 12


def shape(b: Bulletin) -> spec.Shape:
    return spec.Shape(
        has_task=b.has_task,
        has_last_year=b.has_last_year,
        has_detail=bool(b.details),
        detail=False,
        unit_label=b.unit_label,
        base_label=b.base_label,
    )


def line(p: UnitProgress, b: Bulletin) -> spec.Line:
    total = p is b.total
    return spec.Line(p.unit, p, b.details.get(p.unit), "" if total else b.remarks.get(p.unit, ""), total)


def _getter(col: spec.Column) -> Callable[[UnitProgress, Bulletin], Value]:
    return lambda p, b: spec.cell(col, line(p, b))


def columns(b: Bulletin) -> list[Column]:
    sh = shape(b)
    return [
        Column(c.label(sh), TEXT if c.kind == "rank" else c.kind, _getter(c), c.width)
        for c in spec.columns(sh)
    ]


def _date_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def subtitle(b: Bulletin) -> str:
    basis = "任务完成率" if b.has_task else "参保率"
    return f"截至{_date_zh(b.as_of)}，目标参保率{percent(b.target_rate, 1)}，按{basis}排名（并列者名次相同）"


# --- Excel -----------------------------------------------------------------------------------

_FORMATS = {COUNT: "#,##0", PERCENT: "0.00%", POINTS: "+0.00;-0.00;0.00", TEXT: "General"}
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LAG_FILL = PatternFill("solid", fgColor="FDE2E1")
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def _excel_value(value: Value, kind: str) -> Value:
    if value is None and kind != TEXT:
        return spec.UNKNOWN
    if isinstance(value, Decimal) and kind in (PERCENT, POINTS):
        return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    return value


def table(b: Bulletin) -> dict[str, object]:
    """The bulletin's table as the API and the archive give it (:func:`columns.table_json`):
    the columns, and one object per ranked row and the total."""
    return spec.table_json(shape(b), [line(u, b) for u in (*b.rows, b.total)])


def write_xlsx(b: Bulletin, path: Path) -> Path:
    """:func:`xlsx_bytes`'s workbook written to ``path``."""
    return _book(b).save(path)


def xlsx_bytes(b: Bulletin) -> bytes:
    """One sheet 通报: title, subtitle, header, ranked rows, total, notes. Numbers are numbers
    (with #,##0 and 0.00% formats), so the sheet can be re-sorted and summed."""
    return _book(b).to_bytes()


def _book(b: Bulletin) -> Book:
    cols = columns(b)
    book = Book()
    sheet = book.sheet("通报")
    ws = sheet.ws
    last = get_column_letter(len(cols))
    sheet.append([b.title])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    sheet.append([subtitle(b)])
    ws.merge_cells(f"A2:{last}2")
    ws["A2"].alignment = Alignment(horizontal="center")
    sheet.append([c.header for c in cols])
    for i, c in enumerate(cols, start=1):
        cell = ws.cell(row=3, column=i)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = c.width
    for row, p in enumerate((*b.rows, b.total), start=4):  # under the headers of row 3
        sheet.append([_excel_value(c.get(p, b), c.kind) for c in cols])
        lagging = p is not b.total and bool(b.remarks.get(p.unit))
        for i, c in enumerate(cols, start=1):
            cell = ws.cell(row=row, column=i)
            cell.number_format = _FORMATS[c.kind]
            cell.border = _BORDER
            if lagging:
                cell.fill = _LAG_FILL
            if p is b.total:
                cell.font = Font(bold=True)
    sheet.append([])
    for note in b.notes:
        sheet.append([note])
    ws.freeze_panes = "C4"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if ws.sheet_properties.pageSetUpPr is not None:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    return book


# --- HTML ------------------------------------------------------------------------------------


def _text(value: Value, kind: str) -> str:
    return spec.text(kind, value)


_CSS = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif;
       font-size: 11pt; color: #000; }
h1 { font-size: 16pt; text-align: center; margin: 0 0 4pt; }
p.sub { text-align: center; margin: 0 0 8pt; }
table { border-collapse: collapse; width: 100%; border: 2px solid #000; }
th, td { border: 1px solid #444; padding: 2pt 4pt; }
th { background: #ddebf7; }
td.count, td.percent, td.points { text-align: right; font-variant-numeric: tabular-nums; }
tr.lag td { background: #fde2e1; }
tr.total td { font-weight: bold; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
ol.notes { font-size: 9pt; }
@media print { tr.lag td, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""


def render_html(b: Bulletin) -> str:
    """A self-contained printable page (A4 landscape, header repeated on each page)."""
    cols = columns(b)
    e = html.escape
    head = "".join(f"<th>{e(c.header)}</th>" for c in cols)
    body = []
    for p in (*b.rows, b.total):
        cls = "total" if p is b.total else ("lag" if b.remarks.get(p.unit) else "")
        cells = "".join(f'<td class="{c.kind}">{e(_text(c.get(p, b), c.kind))}</td>' for c in cols)
        body.append(f'<tr class="{cls}">{cells}</tr>')
    notes = "".join(f"<li>{e(n)}</li>" for n in b.notes)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{e(b.title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{e(b.title)}</h1><p class="sub">{e(subtitle(b))}</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f'<ol class="notes">{notes}</ol></body></html>\n'
    )


def write_html(b: Bulletin, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(b), encoding="utf-8")
    return path
