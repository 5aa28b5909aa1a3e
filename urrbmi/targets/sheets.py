"""The task table as a spreadsheet: how each task was obtained, with its source beneath."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from urrbmi.export import Book
from urrbmi.targets.reductions import ReducedTask
from urrbmi.targets.tables import TaskTable


def task_sheet_rows(
    table: TaskTable, reduced: Sequence[ReducedTask] = ()
) -> tuple[list[str], list[list[object]]]:
    """Headers and rows (total last) shared by the CLI's text output and the Excel sheet."""
    m = table.meta
    by_region = {r.region: r for r in reduced}
    computed = m.method.value == "base_times_rate"
    headers = ["序号", m.region_label]
    if computed:
        headers += [f"{m.population_base.kind}数", "参保率", "基数×参保率"]
    headers += ["参保任务数", "表列任务数"]
    if reduced:
        headers += ["核减人数", "核减后任务数"]
    rows: list[list[object]] = []
    for r in table.rows:
        row: list[object] = [r.seq, r.region]
        if computed:
            row += [r.base, r.rate, r.exact]
        row += [r.task, r.stated_task]
        if reduced:
            red = by_region[r.region]
            row += [red.reduced_by, red.task]
        rows.append(row)
    total: list[object] = ["", "合计"]
    if computed:
        total += [table.total_base, "", ""]
    total += [table.total_task, m.stated_totals.task]
    if reduced:
        total += [sum(x.reduced_by for x in reduced), sum(x.task for x in reduced)]
    rows.append(total)
    return headers, rows


def source_lines(table: TaskTable) -> list[str]:
    m = table.meta
    lines = [
        f"来源：{m.source.issuer}{m.source.document}{m.source.annex}",
        f"人口基数：{m.population_base.kind}，{m.population_base.source}，"
        f"截至{m.population_base.as_of:%Y-%m-%d}（{m.population_base.citation}）",
    ]
    if m.method.value == "base_times_rate":
        lines.append("参保任务数 = 基数 × 参保率，逐单位四舍五入到整人，合计为各单位之和。")
    if m.task_scope:
        lines.append(m.task_scope)
    if m.reductions:
        lines.append(f"核减：{m.reductions.citation}")
    if m.incentive:
        lines.append(f"超额奖励：{m.incentive.citation}")
    return lines


_FORMATS = {"参保率": "0.0%", "基数×参保率": "#,##0.00"}


def write_task_xlsx(table: TaskTable, path: Path, reduced: Sequence[ReducedTask] = ()) -> Path:
    headers, rows = task_sheet_rows(table, reduced)
    book = Book()
    sheet = book.sheet("参保任务")
    ws = sheet.ws
    sheet.append([table.meta.title])
    ws["A1"].font = Font(bold=True, size=14)
    sheet.append(headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in rows:
        sheet.append(row)
    for col, header in enumerate(headers, start=1):
        fmt = _FORMATS.get(header, "#,##0" if col > 2 else "General")
        for r in range(3, ws.max_row + 1):
            ws.cell(row=r, column=col).number_format = fmt
        ws.column_dimensions[get_column_letter(col)].width = 24 if col == 2 else 14
    sheet.append([])
    for line in source_lines(table):
        sheet.append([line])
    ws.freeze_panes = "C3"
    return book.save(path)
