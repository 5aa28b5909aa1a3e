"""Every XLSX and CSV file urrbmi writes goes through this module, which writes cells that came
from data as text, never as live formulas (formula / CSV injection, OWASP "CSV Injection").

Department lists, registered names and uploaded file names reach the files we send back (the
error report, the roster, bulletins, lists for action). A cell such as ``=HYPERLINK(...)`` or
``=cmd|' /C calc'!A0`` must reach the officer as the text it was, not as a formula Excel runs.

- **XLSX** (:class:`Book`, :class:`Sheet`): every ``str`` is a string cell (openpyxl would
  otherwise store a string that starts with ``=`` as a formula); a string that *looks like* a
  formula (:func:`formula_like`) also gets Excel's "quote prefix" style, the flag Excel sets
  itself when a user types a leading apostrophe, so it stays text even when the cell is edited.
  The value is unchanged (no apostrophe is added), so the officer reads what the department
  sent. ``Decimal`` money is a number cell with two decimals; numbers are never neutralised
  (``-12.5`` passed as a number stays a number). A formula the system itself writes (a totals
  row) must be passed as :class:`Formula`; a data string never becomes one. Before saving a
  normal workbook, every cell is checked again, so a cell set directly on ``Sheet.ws`` (titles,
  styling code) cannot slip through either.
- **CSV** (:func:`write_csv`): there are no cell types, so a formula-like string gets a leading
  apostrophe (OWASP's advice; Excel shows the rest as text).

Choices and the test that holds them: docs/decisions.md "Exports are formula-safe".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# First characters a spreadsheet may read as the start of a formula or a DDE call: = + - @,
# tab, carriage return, line feed (OWASP), and the full-width = + - @ that a Chinese IME types
# (East Asian Excel may convert them to their half-width forms: not verified here, and
# neutralising them costs a human nothing).
TRIGGERS = frozenset("=+-@\t\r\n＝＋－＠")
# spaces Excel may skip before reading a formula (ASCII and the ideographic space)
_SPACES = " \u3000"
MONEY_FORMAT = "0.00"
CSV_PREFIX = "'"


def formula_like(text: str) -> bool:
    """True when a spreadsheet could take ``text`` for a formula: its first character, after
    any spaces, is one of :data:`TRIGGERS`."""
    if not text:
        return False
    first = text[0]
    if first in TRIGGERS:
        return True
    if first in _SPACES:
        rest = text.lstrip(_SPACES)
        return bool(rest) and rest[0] in TRIGGERS
    return False


@dataclass(frozen=True)
class Formula:
    """A formula written on purpose by the system (e.g. a totals row), never one built from
    data: the only way a formula cell reaches a file."""

    text: str

    def __post_init__(self) -> None:
        if not self.text.startswith("="):
            raise ValueError("a formula starts with '='")


def _clean(text: str) -> str:
    # control characters XLSX cannot hold (openpyxl refuses them): a hostile cell must not stop
    # the report being written
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text) if ILLEGAL_CHARACTERS_RE.search(text) else text


class Sheet:
    """One worksheet. Rows go in through :meth:`append`; ``ws`` (normal books only) is the
    openpyxl worksheet for layout: merges, widths, fonts, number formats, freeze panes."""

    def __init__(self, book: Book, ws: Any) -> None:
        self._book = book
        self._ws = ws

    @property
    def ws(self) -> Worksheet:
        if self._book.streaming:
            raise TypeError("a streamed sheet is written row by row: append only")
        ws: Worksheet = self._ws
        return ws

    @property
    def title(self) -> str:
        return str(self._ws.title)

    def layout(self, widths: Sequence[float] = (), *, freeze: str | None = None) -> None:
        """Column widths (from column A) and the frozen panes' top-left cell; in a streamed
        sheet, before the first row."""
        for i, width in enumerate(widths, start=1):
            self._ws.column_dimensions[get_column_letter(i)].width = width
        if freeze is not None:
            self._ws.freeze_panes = freeze

    def heading(self, text: str) -> None:
        """Append the sheet's title row: ``text`` in bold, larger (as text, like any data)."""
        if self._book.streaming:
            cell = WriteOnlyCell(self._ws, _clean(text))
        else:
            cell = Cell(self._ws, 1, 1, value=_clean(text))  # placed by append
        _as_text(cell)
        cell.font = Font(bold=True, size=14)
        self._ws.append([cell])

    def append(self, row: Iterable[object]) -> None:
        """Append one row: text as text (formula-like text with the quote prefix), ``Decimal``
        as a number with two decimals, :class:`Formula` as a formula, anything else as openpyxl
        writes it (numbers, dates, None)."""
        if self._book.streaming:
            self._ws.append([self._streamed(v) for v in row])
            return
        values = list(row)
        # cells made here and appended: reading back the row just written (``ws.max_row``)
        # scans every cell, which made a sheet of n rows cost n² (a town's list took 20 s)
        cells: list[object] = []
        for v in values:
            if isinstance(v, Formula):
                cell = Cell(self._ws, 1, 1, value=v.text)  # placed by append
            elif isinstance(v, str):
                cell = Cell(self._ws, 1, 1, value=_clean(v))
                _as_text(cell)
            elif isinstance(v, Decimal):
                number: Any = v  # openpyxl writes a Decimal as a number (its stubs omit it)
                cell = Cell(self._ws, 1, 1, value=number)
                cell.number_format = MONEY_FORMAT
            else:
                cells.append(v)
                continue
            cells.append(cell)
        self._ws.append(cells)
        for v, c in zip(values, cells, strict=True):
            if isinstance(v, Formula) and isinstance(c, Cell):
                self._book.formulas.add((self.title, c.coordinate))

    def _streamed(self, v: object) -> object:
        if isinstance(v, str):
            v = _clean(v)
            if not formula_like(v):
                return v  # plain text: openpyxl writes it as a string cell
            cell = WriteOnlyCell(self._ws, v)
            _as_text(cell)
            return cell
        if isinstance(v, Decimal):
            number: Any = v  # openpyxl writes a Decimal as a number (its stubs omit it)
            cell = WriteOnlyCell(self._ws, number)
            cell.number_format = MONEY_FORMAT
            return cell
        if isinstance(v, Formula):
            return WriteOnlyCell(self._ws, v.text)
        return v


def _as_text(cell: Any) -> None:
    """Make a string cell text for good: never a formula, quote-prefixed when formula-like."""
    value = cell.value
    if not isinstance(value, str):  # an openpyxl formula object set directly on the sheet
        raise TypeError(f"{cell.coordinate}: write a formula with urrbmi.export.Formula")
    cell.data_type = "s"
    if formula_like(value):
        cell.quotePrefix = True


class Book:
    """An XLSX workbook whose cells from data are text. ``streaming=True`` writes rows to disk as
    they come (openpyxl write-only: append only, for lists of a million rows)."""

    def __init__(self, *, streaming: bool = False) -> None:
        self.streaming = streaming
        self._wb = Workbook(write_only=streaming)
        self._sheets: list[Sheet] = []
        self.formulas: set[tuple[str, str]] = set()  # (sheet, cell) written as Formula

    def sheet(self, title: str) -> Sheet:
        """A new sheet (the first one replaces openpyxl's default sheet)."""
        if self._sheets or self.streaming:
            ws = self._wb.create_sheet(title)
        else:
            ws = self._wb.active
            assert ws is not None
            ws.title = title
        s = Sheet(self, ws)
        self._sheets.append(s)
        return s

    def save(self, path: Path) -> Path:
        """Write the file (creating its folder); returns ``path``."""
        if not self.streaming:
            self._recheck()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._wb.save(path)
        return path

    def to_bytes(self) -> bytes:
        """The file's bytes, for a download that fits in memory (a county's roster does not: it
        is streamed to a file with :meth:`save`)."""
        if not self.streaming:
            self._recheck()
        buf = io.BytesIO()
        self._wb.save(buf)
        return buf.getvalue()

    def _recheck(self) -> None:
        # cells set directly on ``Sheet.ws`` did not pass through ``append``: a formula there is
        # data unless it was appended as a Formula
        for s in self._sheets:
            for row in s.ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f" and (s.title, cell.coordinate) in self.formulas:
                        continue
                    if cell.data_type == "f" or (cell.data_type == "s" and isinstance(cell.value, str)):
                        _as_text(cell)


def csv_cell(value: object) -> object:
    """A value as a CSV cell: formula-like text after an apostrophe; numbers as they are
    (``Decimal`` in plain notation); dates in ISO form; None empty."""
    if isinstance(value, str):
        return CSV_PREFIX + value if formula_like(value) else value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Formula):
        raise TypeError("CSV files hold no formulas")
    return value


def _write_rows(fh: Any, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    w = csv.writer(fh)
    w.writerow([csv_cell(h) for h in header])
    n = 0
    for row in rows:
        w.writerow([csv_cell(v) for v in row])
        n += 1
    return n


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    encoding: str = "utf-8-sig",
) -> int:
    """Write a CSV file for Excel (UTF-8 with BOM by default, CRLF lines, fields quoted when
    needed), every cell through :func:`csv_cell`; returns the number of data rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        return _write_rows(fh, header, rows)


def csv_bytes(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, encoding: str = "utf-8-sig"
) -> bytes:
    """:func:`write_csv`'s file as bytes, for a download that fits in memory."""
    buf = io.StringIO(newline="")
    _write_rows(buf, header, rows)
    return buf.getvalue().encode(encoding)


__all__ = [
    "CSV_PREFIX",
    "MONEY_FORMAT",
    "TRIGGERS",
    "Book",
    "Formula",
    "Sheet",
    "csv_bytes",
    "csv_cell",
    "formula_like",
    "write_csv",
]
