"""Exports are formula-safe (issue 13.1): text from data is never a live formula in any XLSX or
CSV the system writes, numbers stay numbers, and every writer goes through ``urrbmi.export``."""

from __future__ import annotations

import ast
import csv
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell, MergedCell

from urrbmi.export import Book, Formula, csv_cell, formula_like, write_csv

# What probing put in department lists and registered names (issue 13), plus OWASP's other
# first characters and the full-width forms a Chinese IME types.
HOSTILE = (
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    "  =1+1",
    "\u3000=1+1",
)
HARMLESS = ("张三", "阿卜杜·热合曼", "2021-01-01", "340621100", "1+1=2", "", "a=b", "（无）")


def assert_text(cell: Cell | MergedCell, expected: str) -> None:
    """The cell holds ``expected`` as text a human reads, which Excel will not evaluate."""
    assert isinstance(cell, Cell), f"{cell.coordinate} is merged"
    assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
    # XML reads a carriage return as a line feed (the text is otherwise unchanged)
    assert cell.data_type == "s" and cell.value == expected.replace("\r", "\n")
    assert cell.quotePrefix, f"{cell.coordinate} {expected!r} lacks the quote prefix"


def test_formula_like() -> None:
    assert all(formula_like(t) for t in HOSTILE)
    assert not any(formula_like(t) for t in HARMLESS)


@pytest.mark.parametrize("streaming", [False, True])
def test_hostile_text_is_written_as_text(tmp_path: Path, streaming: bool) -> None:
    book = Book(streaming=streaming)
    sheet = book.sheet("名单")
    for t in HOSTILE:
        sheet.append([t, "张三", 7])
    book.save(tmp_path / "a.xlsx")
    ws = load_workbook(tmp_path / "a.xlsx")["名单"]
    for r, t in enumerate(HOSTILE, start=1):
        assert_text(ws.cell(row=r, column=1), t)
        plain = ws.cell(row=r, column=2)
        assert (plain.value, plain.data_type, plain.quotePrefix) == ("张三", "s", False)
        assert ws.cell(row=r, column=3).value == 7


@pytest.mark.parametrize("streaming", [False, True])
def test_numbers_stay_numbers(tmp_path: Path, streaming: bool) -> None:
    """Negative amounts passed as numbers are numbers, not neutralised text; Decimal money has
    two decimals."""
    book = Book(streaming=streaming)
    book.sheet("钱").append([Decimal("-12.50"), Decimal("380.00"), -3, 1.5])
    book.save(tmp_path / "n.xlsx")
    row = next(load_workbook(tmp_path / "n.xlsx")["钱"].iter_rows())
    assert [c.value for c in row] == [Decimal("-12.5"), 380, -3, 1.5]
    assert [c.data_type for c in row[:4]] == ["n"] * 4
    assert row[0].number_format == row[1].number_format == "0.00"
    assert not row[0].quotePrefix


@pytest.mark.parametrize("streaming", [False, True])
def test_only_a_formula_object_is_a_formula(tmp_path: Path, streaming: bool) -> None:
    book = Book(streaming=streaming)
    sheet = book.sheet("合计")
    sheet.append([1, 2, Formula("=SUM(A1:B1)"), "=SUM(A1:B1)"])
    book.save(tmp_path / "f.xlsx")
    row = next(load_workbook(tmp_path / "f.xlsx")["合计"].iter_rows())
    assert (row[2].data_type, row[2].value) == ("f", "=SUM(A1:B1)")
    assert_text(row[3], "=SUM(A1:B1)")
    with pytest.raises(ValueError):
        Formula("SUM(A1)")


def test_cells_set_directly_on_the_sheet_are_checked_at_save(tmp_path: Path) -> None:
    """Layout code may set a cell on ``Sheet.ws`` (a title); the save still writes it as text."""
    book = Book()
    sheet = book.sheet("通报")
    sheet.ws["A1"] = "=cmd|' /C calc'!A0"
    sheet.ws.cell(row=2, column=1, value="@SUM(A1)")
    book.save(tmp_path / "d.xlsx")
    ws = load_workbook(tmp_path / "d.xlsx")["通报"]
    assert_text(ws["A1"], "=cmd|' /C calc'!A0")
    assert_text(ws["A2"], "@SUM(A1)")


def test_control_characters_do_not_stop_a_report(tmp_path: Path) -> None:
    book = Book(streaming=True)
    book.sheet("x").append(["a\x01b"])
    book.save(tmp_path / "c.xlsx")
    assert next(load_workbook(tmp_path / "c.xlsx")["x"].values) == ("a\ufffdb",)


@pytest.mark.parametrize("streaming", [False, True])
def test_a_heading_and_the_layout_in_either_kind_of_book(tmp_path: Path, streaming: bool) -> None:
    """A streamed list (half a million rows) keeps its bold title, column widths and frozen
    headers; a title from data (a place's name) is text like any cell."""
    book = Book(streaming=streaming)
    sheet = book.sheet("名单")
    sheet.layout((14, 30), freeze="A3")
    sheet.heading(HOSTILE[0])
    sheet.append(["村（社区）", "姓名"])
    book.save(tmp_path / "h.xlsx")
    ws = load_workbook(tmp_path / "h.xlsx")["名单"]
    assert_text(ws["A1"], HOSTILE[0])
    assert ws["A1"].font.b and ws["A1"].font.sz == 14 and not ws["A2"].font.b
    assert (ws.column_dimensions["A"].width, ws.column_dimensions["B"].width) == (14, 30)
    assert ws.freeze_panes == "A3"


def test_appending_a_row_does_not_scan_the_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading back the row just written through ``ws.max_row`` scans every cell: a sheet of n
    rows cost n² (40,000 rows: 243 s; now 1.5 s, bench/bench_exports.py's docs/web.md figures)."""
    from openpyxl.worksheet.worksheet import Worksheet

    def scan(_ws: Worksheet) -> int:
        raise AssertionError("max_row read while appending")

    book = Book()
    sheet = book.sheet("x")
    monkeypatch.setattr(Worksheet, "max_row", property(scan))
    for i in range(3):
        sheet.append(["=1+1", Formula("=SUM(C1:C2)"), Decimal("1.50"), i])
    monkeypatch.undo()
    assert (sheet.ws["A3"].value, sheet.ws["A3"].data_type, sheet.ws["C3"].number_format) == (
        "=1+1",
        "s",
        "0.00",
    )
    assert ("x", "B3") in book.formulas


def test_streamed_sheets_are_append_only() -> None:
    with pytest.raises(TypeError):
        _ = Book(streaming=True).sheet("x").ws


def test_csv_prefixes_formula_like_text_and_keeps_numbers(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    n = write_csv(path, ("姓名", "金额"), [[t, Decimal("-3.50")] for t in HOSTILE] + [["张三", -1]])
    assert n == len(HOSTILE) + 1
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    assert rows[0] == ["姓名", "金额"]
    assert [r[0] for r in rows[1:-1]] == ["'" + t for t in HOSTILE]
    assert [r[1] for r in rows[1:]] == ["-3.50"] * len(HOSTILE) + ["-1"]
    assert rows[-1][0] == "张三"
    assert csv_cell("1+1=2") == "1+1=2"
    with pytest.raises(TypeError):
        csv_cell(Formula("=1"))


# --- writers built from plain objects (the DB-backed ones are tested beside their modules) ----


def every_cell_is_safe(path: Path, texts: tuple[str, ...]) -> None:
    wb = load_workbook(path)
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate}: {cell.value!r}"
                if cell.value in texts:
                    assert_text(cell, str(cell.value))
                    seen.add(cell.value)
    assert seen == set(texts)


def test_list_for_action_sheet(tmp_path: Path) -> None:
    from urrbmi.targets.lists import Page, write_page_xlsx

    names = HOSTILE[:6]
    rows = tuple({"name": n, "days_left": "-5", "due": Decimal("-1.5")} for n in names)
    page = Page("=1+1", ("姓名", "剩余天数", "金额"), ("name", "days_left", "due"), 6, 0, 100, rows, ("@注",))
    path = write_page_xlsx(page, tmp_path / "清单.xlsx")
    every_cell_is_safe(path, (*names, "=1+1", "@注", "-5"))
    ws = load_workbook(path)["清单"]
    assert ws.cell(row=4, column=3).value == Decimal("-1.5")  # a number stays a number


def test_refund_top_up_list(tmp_path: Path) -> None:
    from urrbmi.campaign.changes import IdentityChange
    from urrbmi.imports.effects import write_effects

    items = [
        IdentityChange(
            "3406**********0011", n, Decimal("380"), (), (), None, "refund", Decimal("380"), "+备注"
        )
        for n in HOSTILE[:6]
    ]
    every_cell_is_safe(write_effects(items, tmp_path / "退补.xlsx"), (*HOSTILE[:6], "+备注"))


# --- the class stays closed: no spreadsheet or CSV writer outside urrbmi.export ---------------

PACKAGE = Path(__file__).resolve().parents[2] / "urrbmi"
# (module, what it may call) with the reason; everything else must use urrbmi.export
ALLOWED = {
    ("export.py", "Workbook"): "the export module itself",
    ("export.py", "csv.writer"): "the export module itself",
    # synthetic *input* files that imitate other departments' lists (they may hold anything a
    # department sends); docs/decisions.md "Exports are formula-safe"
    ("synth/writers.py", "csv.writer"): "synthetic department lists",
    # polars frame -> PostgreSQL COPY, never a file for people
    ("db/frames.py", "write_csv"): "COPY into the database",
}
METHODS = {"write_csv", "write_excel", "to_csv", "to_excel"}  # polars / pandas frames


def writer_calls(source: str) -> list[tuple[int, str]]:
    """What in ``source`` creates a workbook or writes CSV/Excel: (line, name)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("openpyxl"):
            found += [(node.lineno, "Workbook") for a in node.names if a.name == "Workbook"]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name in ("xlsxwriter", "xlwt")]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            f = node.func
            base = f.value.id if isinstance(f.value, ast.Name) else ""
            if (base, f.attr) in (("csv", "writer"), ("csv", "DictWriter")):
                found.append((node.lineno, f"csv.{f.attr}"))
            elif f.attr == "Workbook" or f.attr in METHODS:
                found.append((node.lineno, f.attr))
    return sorted(found)


def test_the_scanner_finds_writers() -> None:
    src = (
        "from openpyxl import Workbook\nimport csv, xlsxwriter\nimport openpyxl\n"
        "w = csv.writer(fh)\nd = csv.DictWriter(fh, f)\nframe.write_csv(p)\ndf.to_excel(p)\n"
        "wb = openpyxl.Workbook()\nwrite_csv(path, header, rows)\n"
    )
    assert [n for _, n in writer_calls(src)] == [
        "Workbook",
        "xlsxwriter",
        "csv.writer",
        "csv.DictWriter",
        "write_csv",
        "to_excel",
        "Workbook",
    ]


def test_no_workbook_or_csv_writer_outside_the_export_module() -> None:
    stray = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for line, name in writer_calls(path.read_text("utf-8")):
            if (rel, name) not in ALLOWED:
                stray.append(f"urrbmi/{rel}:{line} {name}")
    assert stray == [], "write XLSX/CSV through urrbmi.export (Book, write_csv): " + ", ".join(stray)


def test_a_formula_object_set_directly_is_refused(tmp_path: Path) -> None:
    from openpyxl.worksheet.formula import ArrayFormula

    book = Book()
    book.sheet("x").ws["A1"] = ArrayFormula("A1", "=SUM(B1:B2)")
    with pytest.raises(TypeError):
        book.save(tmp_path / "x.xlsx")
