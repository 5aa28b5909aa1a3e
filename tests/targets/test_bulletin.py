"""Bulletins (通报): ranking, remarks on laggards, Excel formats, printable HTML."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from urrbmi.targets.bulletin import build_bulletin, render_html, write_xlsx
from urrbmi.targets.progress import UnitCounts

AS_OF = dt.date(2021, 12, 15)


def _taixing() -> list[UnitCounts]:
    # 泰兴: general residents per town, target 98.5%
    return [
        UnitCounts("黄桥镇", base=1001, enrolled=985, last_year_enrolled=970),  # 98.40%, needs 986
        UnitCounts("济川街道", base=2000, enrolled=1990, last_year_enrolled=1995),  # 99.50%
        UnitCounts("姚王街道", base=400, enrolled=398, last_year_enrolled=390),  # 99.50%, tied
        UnitCounts("<新街镇>", base=1000, enrolled=990, last_year_enrolled=980),  # 99.00%
    ]


def test_taixing_bulletin_ranks_by_rate_with_ties_and_names_laggards() -> None:
    b = build_bulletin(_taixing(), Decimal("0.985"), title="t", as_of=AS_OF, bottom_n=1)
    assert [(p.unit, p.rank) for p in b.rows] == [
        ("济川街道", 1),
        ("姚王街道", 1),
        ("<新街镇>", 3),
        ("黄桥镇", 4),
    ]
    assert b.remarks["黄桥镇"] == "未达目标，差1人；排名后1位"
    assert b.remarks["<新街镇>"] == ""
    assert b.laggards == ("黄桥镇",)
    assert (b.total.base, b.total.enrolled) == (4401, 4363)
    # required 986 + 1970 + 394 + 985 = 4335 (each town rounded up on its own)
    assert b.total.required == 4335 and b.total.remaining == 0


def test_bottom_n_remarks_a_unit_that_meets_the_target() -> None:
    b = build_bulletin(_taixing(), Decimal("0.985"), title="t", as_of=AS_OF, bottom_n=2)
    assert b.remarks["<新街镇>"] == "排名后2位"
    assert b.laggards == ("<新街镇>", "黄桥镇")


def test_bulletin_xlsx_has_chinese_headers_and_number_formats(tmp_path: Path) -> None:
    b = build_bulletin(
        _taixing(), Decimal("0.985"), title="泰兴市通报", as_of=AS_OF, unit_label="乡镇（街道）"
    )
    path = write_xlsx(b, tmp_path / "通报.xlsx")
    ws = load_workbook(path)["通报"]
    assert ws["A1"].value == "泰兴市通报"
    assert "截至2021年12月15日" in str(ws["A2"].value) and "98.5%" in str(ws["A2"].value)
    headers = [c.value for c in ws[3]]
    assert headers == [
        "排名",
        "乡镇（街道）",
        "应参保人数",
        "已参保人数",
        "参保率",
        "目标参保率",
        "距目标差额（人）",
        "上年参保人数",
        "上年参保率",
        "比上年增减（百分点）",
        "备注",
    ]
    last = [c.value for c in ws[7]]  # rows 1–3 title and header, 4–7 towns: 黄桥镇 last
    assert last[:4] == [4, "黄桥镇", 1001, 985]
    assert last[4] == 0.984  # 985 / 1001 = 98.40% as printed (the sheet holds the printed figure)
    assert last[7] == 970
    assert last[9] == 1.5  # 98.40% − 96.90% as printed, in points
    assert ws.cell(row=7, column=3).number_format == "#,##0"
    assert ws.cell(row=7, column=5).number_format == "0.00%"
    assert ws.cell(row=7, column=10).number_format == "+0.00;-0.00;0.00"
    assert ws.cell(row=7, column=1).fill.fgColor.rgb.endswith("FDE2E1")  # laggard highlighted
    assert [c.value for c in ws[8]][1:4] == ["合计", 4401, 4363]
    assert ws.cell(row=8, column=2).font.b and not ws.cell(row=7, column=2).font.b  # the total row
    assert ws.freeze_panes == "C4"


def test_bulletin_xlsx_writes_hostile_names_as_text(tmp_path: Path) -> None:
    """Issue 13.1: unit names, title and notes come from data (region names, task tables); a
    name that looks like a formula is text in the sheet, and the counts stay numbers."""
    hostile = ('=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1")
    counts = [UnitCounts(h, base=100, enrolled=90 + i, last_year_enrolled=90) for i, h in enumerate(hostile)]
    b = build_bulletin(counts, Decimal("0.95"), title="=1+1", as_of=AS_OF, notes=("-注",))
    ws = load_workbook(write_xlsx(b, tmp_path / "通报.xlsx"))["通报"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    for h in (*hostile, "=1+1", "-注"):
        assert texts[h].data_type == "s" and texts[h].quotePrefix, h
    units: list[Any] = [r[1] for r in ws.iter_rows(min_row=4, max_row=3 + len(hostile), values_only=True)]
    assert sorted(units) == sorted(hostile)  # the text is preserved for a human
    assert [r[2] for r in ws.iter_rows(min_row=4, max_row=3 + len(hostile), values_only=True)] == [100] * 6


def test_bulletin_with_tasks_shows_task_and_completion_columns(tmp_path: Path) -> None:
    counts = [UnitCounts("甲镇", 1000, 985, task=990), UnitCounts("乙镇", 2000, 1990, task=1980)]
    b = build_bulletin(counts, Decimal("0.99"), title="t", as_of=AS_OF, base_label="户籍人口数")
    ws = load_workbook(write_xlsx(b, tmp_path / "t.xlsx"))["通报"]
    headers = [c.value for c in ws[3]]
    assert headers[2:6] == ["户籍人口数", "参保任务数", "已参保人数", "任务完成率"]
    assert "上年参保率" not in headers
    assert [p.unit for p in b.rows] == ["乙镇", "甲镇"]  # 1990/1980 > 985/990
    assert b.remarks["甲镇"].startswith("未达目标，差5人")


def test_bulletin_html_is_printable_and_escaped() -> None:
    b = build_bulletin(_taixing(), Decimal("0.985"), title="泰兴市通报", as_of=AS_OF, notes=("注：<示例>",))
    page = render_html(b)
    assert page.startswith("<!DOCTYPE html>")
    assert "@page { size: A4 landscape" in page
    assert "<th>排名</th>" in page and "<th>备注</th>" in page
    assert "&lt;新街镇&gt;" in page and "<新街镇>" not in page
    assert "注：&lt;示例&gt;" in page
    assert '<tr class="lag"><td class="text">4</td><td class="text">黄桥镇</td>' in page
    assert "98.40%" in page and "1,001" in page and "+1.50" in page  # 98.40 − 96.90
