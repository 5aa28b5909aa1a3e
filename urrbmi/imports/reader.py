"""Reading a department list file into raw rows, whatever its format and encoding.

Formats are told by content, not by extension: legacy XLS (OLE2 signature), XLSX (ZIP
signature), an HTML table saved as ``.xls`` (what many web systems export), or delimited text.
Text encodings: a BOM decides (UTF-8, UTF-16); otherwise strict UTF-8, then strict GB18030
(the superset of GBK and GB2312), then charset-normalizer's best guess.

Every raw row keeps its row number as in the original file: the spreadsheet row, the text line
(the last line of a record with embedded newlines) or the HTML table row.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
from python_calamine import CalamineWorkbook

from urrbmi.encoding import decode
from urrbmi.errors import InvalidInput
from urrbmi.limits import check_columns, check_lines, check_rows, check_size


@dataclass
class RawTable:
    """One file's cells. Rows keep their number in the file; blank rows are left out.

    Most formats arrive as Python rows. An unquoted CSV file (``_csv_lines``) stays as its lines
    in a Polars frame until its columns are asked for (``columns``): for a million-row list that
    skips a million Python row lists. ``rows`` gives every format as Python rows."""

    path: Path
    sha256: str
    size: int
    format: str  # "xlsx" | "xls" | "html" | "csv"
    encoding: str | None  # text formats only
    sheet: str | None  # spreadsheets only
    blank_rows: int
    row_list: list[tuple[int, list[str]]] | None = None  # (row number in the file, cells)
    lines: pl.DataFrame | None = None  # unquoted CSV: "row" (Int64) and "line" of each kept line
    delimiter: str = ","

    @cached_property
    def rows(self) -> list[tuple[int, list[str]]]:
        if self.row_list is not None:
            return self.row_list
        assert self.lines is not None
        return [(n, _split(line, self.delimiter)) for n, line in self.lines.iter_rows()]

    def head(self, n: int) -> list[tuple[int, list[str]]]:
        """The first ``n`` rows (to find the header) without splitting the others."""
        if self.lines is None:
            return self.rows[:n]
        return [(r, _split(line, self.delimiter)) for r, line in self.lines.head(n).iter_rows()]

    def count(self) -> int:
        return self.lines.height if self.lines is not None else len(self.rows)

    def columns(self, start: int, indexes: list[int]) -> tuple[pl.Series, dict[int, pl.Series]]:
        """Row numbers and the cells of columns ``indexes`` from row ``start`` on ("" where a row
        is short), as String series."""
        if self.lines is None:
            return columns_of(self.rows[start:], indexes)
        part = self.lines.slice(start)
        cells = part["line"].str.split(self.delimiter)
        return part["row"], {
            c: cells.list.get(c, null_on_oob=True).fill_null("").alias(str(c)) for c in indexes
        }


def columns_of(
    data: list[tuple[int, list[str]]], indexes: list[int]
) -> tuple[pl.Series, dict[int, pl.Series]]:
    """``RawTable.columns`` of Python rows."""
    rows = pl.Series("row", [n for n, _ in data], dtype=pl.Int64)
    out: dict[int, pl.Series] = {}
    for c in indexes:
        try:
            values = [cells[c] for _, cells in data]
        except IndexError:
            values = [cells[c] if c < len(cells) else "" for _, cells in data]
        out[c] = pl.Series(str(c), values, dtype=pl.String)
    return rows, out


def _split(line: str, delimiter: str) -> list[str]:
    return line.split(delimiter) if line else []


def read(path: Path, sheet: str | None = None, content: bytes | None = None) -> RawTable:
    """The file at ``path``, or ``content`` when the caller has the bytes already (``path`` then
    only names it). Bounded (``urrbmi.limits``): the size, then before parsing the number of lines
    and the longest line of a text file or the rows and columns of a spreadsheet; an HTML table's
    rows and cells as parsed."""
    if content is None:
        check_size(path.stat().st_size)
        data = path.read_bytes()
    else:
        data = content
    check_size(len(data))
    digest = hashlib.sha256(data).hexdigest()
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        fmt, enc, name, rows = "xls", None, *_spreadsheet(data, sheet)
    elif data[:4] == b"PK\x03\x04":
        fmt, enc, name, rows = "xlsx", None, *_spreadsheet(data, sheet)
    else:
        enc, text = decode(data)
        head = text[:2048].lstrip().lower()
        if head.startswith("<") and "<table" in text[:200_000].lower():
            fmt, name, rows = "html", None, _html_rows(text)
            check_rows(len(rows))
        else:
            check_rows(text.count("\n"))
            check_lines(text)
            dialect = _dialect(text)
            lines = _csv_lines(text, dialect)
            if lines is not None:
                frame, blank = lines
                return RawTable(
                    path, digest, len(data), "csv", enc, None, blank, lines=frame, delimiter=dialect.delimiter
                )
            fmt, name, rows = "csv", None, _csv_rows(text, dialect)
    kept = [(n, cells) for n, cells in rows if any(cells) and "".join(cells).strip()]
    return RawTable(path, digest, len(data), fmt, enc, name, len(rows) - len(kept), row_list=kept)


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: integral floats without '.0' (IDs typed as numbers), dates
    in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def _spreadsheet(data: bytes, sheet: str | None) -> tuple[str, list[tuple[int, list[str]]]]:
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        ws = wb.get_sheet_by_name(sheet) if sheet else wb.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own error types
        raise InvalidInput(f"无法读取表格文件：{exc}", f"cannot read the spreadsheet: {exc}") from None
    check_rows(ws.total_height)  # before the cells become Python objects
    check_columns(ws.total_width, 1)
    try:
        values = ws.to_python(skip_empty_area=False)
    except Exception as exc:
        raise InvalidInput(f"无法读取表格文件：{exc}", f"cannot read the spreadsheet: {exc}") from None
    rows = [(i + 1, [v if type(v) is str else cell_text(v) for v in row]) for i, row in enumerate(values)]
    return str(ws.name), rows


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:16_384], delimiters=",\t;|")
    except csv.Error:
        return csv.excel


def _unquoted(text: str, dialect: type[csv.Dialect] | csv.Dialect) -> bool:
    """No quote character and CRLF or LF line ends: no record can span lines, so a split per line
    gives what ``csv.reader`` gives (tested)."""
    return '"' not in text and not dialect.skipinitialspace and text.count("\r") == text.count("\r\n")


def _csv_lines(text: str, dialect: type[csv.Dialect] | csv.Dialect) -> tuple[pl.DataFrame, int] | None:
    """An unquoted text file as (frame of its non-blank lines with their line numbers, number of
    blank lines), or None when the file needs ``csv.reader``. A line is blank when it holds
    nothing but delimiters and spaces."""
    if not _unquoted(text, dialect):
        return None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    frame = pl.DataFrame({"line": pl.Series(lines, dtype=pl.String)}).with_columns(
        pl.int_range(1, len(lines) + 1, dtype=pl.Int64).alias("row"),
        pl.col("line").str.strip_suffix("\r"),
    )
    blank = pl.col("line").str.replace_all(dialect.delimiter, "", literal=True).str.strip_chars() == ""
    kept = frame.filter(~blank).select("row", "line")
    return kept, frame.height - kept.height


def _csv_rows(text: str, dialect: type[csv.Dialect] | csv.Dialect) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:  # a quoted field over csv.field_size_limit(), a stray NUL …
        raise InvalidInput(
            f"第{reader.line_num}行无法读取（引号或字段有误）：{exc}",
            f"line {reader.line_num} cannot be read (quotes or a field): {exc}",
        ) from None


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._span = 1
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() and len(span) < 6 else 1
            check_columns(len(self._row) + self._span, len(self.rows) + 1)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._row.extend([""] * (self._span - 1))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _html_rows(text: str) -> list[tuple[int, list[str]]]:
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    return [(i + 1, row) for i, row in enumerate(parser.rows)]
