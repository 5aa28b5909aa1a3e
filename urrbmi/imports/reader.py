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
from html.parser import HTMLParser
from pathlib import Path

from charset_normalizer import from_bytes
from python_calamine import CalamineWorkbook

from urrbmi.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class RawTable:
    path: Path
    sha256: str
    size: int
    format: str  # "xlsx" | "xls" | "html" | "csv"
    encoding: str | None  # text formats only
    sheet: str | None  # spreadsheets only
    rows: list[tuple[int, list[str]]]  # (row number in the file, cells); blank rows left out
    blank_rows: int


def read(path: Path, sheet: str | None = None) -> RawTable:
    data = path.read_bytes()
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
        else:
            fmt, name, rows = "csv", None, _csv_rows(text)
    kept = [(n, cells) for n, cells in rows if any(cells) and "".join(cells).strip()]
    return RawTable(path, digest, len(data), fmt, enc, name, kept, len(rows) - len(kept))


def decode(data: bytes) -> tuple[str, str]:
    """(encoding, text) for a text file's bytes."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", data.decode("utf-16", errors="replace")
    for enc in ("utf-8", "gb18030"):
        try:
            return enc, data.decode(enc)
        except UnicodeDecodeError:
            pass
    best = from_bytes(data[:200_000]).best()
    if best is not None:
        return best.encoding, data.decode(best.encoding, errors="replace")
    raise InvalidInput("无法识别文件编码", "cannot tell the file's text encoding")


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
        values = ws.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types
        raise InvalidInput(f"无法读取表格文件：{exc}", f"cannot read the spreadsheet: {exc}") from None
    rows = [(i + 1, [v if type(v) is str else cell_text(v) for v in row]) for i, row in enumerate(values)]
    return str(ws.name), rows


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    sample = text[:16_384]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    if '"' not in text and not dialect.skipinitialspace and text.count("\r") == text.count("\r\n"):
        # no quoting at all, so no record spans lines: a split per line gives what csv.reader
        # gives, with row number = line number, several times faster on a million lines
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        delimiter = dialect.delimiter
        rows = [line.removesuffix("\r") for line in lines]
        return [(i, line.split(delimiter) if line else []) for i, line in enumerate(rows, 1)]
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    return [(reader.line_num, row) for row in reader]


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
            self._span = int(span) if span.isdigit() else 1

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
