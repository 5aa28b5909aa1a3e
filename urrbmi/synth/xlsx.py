"""A minimal, fast XLSX writer for long synthetic lists (inline strings, merged ranges).

openpyxl writes about 8,000 rows a second here; department lists reach 160,000 rows at Suixi
size, so this module writes the few XML parts by hand (all cells text, which is what department
lists hold: IDs typed as numbers lose digits in Excel).
"""

from __future__ import annotations

# The OOXML boilerplate below has long lines on purpose.
# ruff: noqa: E501
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def write(
    path: Path,
    rows: Iterable[Sequence[str]],
    merges: Iterable[tuple[int, int, int, int]] = (),
    sheet_name: str = "Sheet1",
) -> None:
    """Write text rows (row 1 first; an empty row stays empty) and merged ranges
    (row1, col1, row2, col2), 1-based."""
    letters = [column_letter(i + 1) for i in range(64)]
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    ]
    for r, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{letters[c]}{r}" t="inlineStr"><is><t xml:space="preserve">{escape(v)}</t></is></c>'
            for c, v in enumerate(row)
            if v != ""
        )
        parts.append(f'<row r="{r}">{cells}</row>')
    parts.append("</sheetData>")
    ranges = [f"{letters[c1 - 1]}{r1}:{letters[c2 - 1]}{r2}" for r1, c1, r2, c2 in merges]
    if ranges:
        parts.append(f'<mergeCells count="{len(ranges)}">')
        parts.extend(f'<mergeCell ref="{ref}"/>' for ref in ranges)
        parts.append("</mergeCells>")
    parts.append("</worksheet>")
    members = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _RELS,
        "xl/workbook.xml": _WORKBOOK.format(name=escape(sheet_name)),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": "".join(parts),
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in members.items():
            # A fixed timestamp: the same rows give the same bytes (reproducible outputs).
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text, compresslevel=1)
