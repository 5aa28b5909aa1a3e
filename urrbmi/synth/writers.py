"""Writing synthetic data: residents.csv, regions.csv, department list files and the fault manifest."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable
from pathlib import Path

from urrbmi.synth import xlsx
from urrbmi.synth.county import RESIDENT_COLUMNS, Resident, as_row
from urrbmi.synth.deptlists import DeptList
from urrbmi.synth.regions import RegionTree

REGION_COLUMNS = ("code", "name", "level", "parent", "population")
FAULT_COLUMNS = ("file", "row", "kind")


def csv_bytes(header: Iterable[str], rows: Iterable[Iterable[object]]) -> bytes:
    """A synthetic input file another party would send (a department's list, a bank's payment or
    refund-result file), as UTF-8 CSV bytes for an upload."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


def write_residents(residents: Iterable[Resident], path: Path, header: bool = True) -> int:
    """residents.csv (UTF-8, one header row of RESIDENT_COLUMNS); returns the number written."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        if header:
            w.writerow(RESIDENT_COLUMNS)
        for r in residents:
            w.writerow(as_row(r).values())
            n += 1
    return n


def write_regions(tree: RegionTree, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(REGION_COLUMNS)
        for r in tree:
            w.writerow((r.code, r.name, r.level, r.parent, r.population))


def write_list(dl: DeptList, directory: Path) -> Path:
    """Write a department list in its own format; returns the file path."""
    path = directory / dl.filename
    if dl.fmt == "xlsx":
        _write_xlsx(dl, path)
    elif dl.fmt == "xls-html":
        path.write_bytes(_html_table(dl).encode("gbk"))
    else:
        encoding = {"csv-gb18030": "gb18030", "csv-utf8-bom": "utf-8-sig", "csv-utf8": "utf-8"}[dl.fmt]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        if dl.title:
            w.writerow([dl.title])
        w.writerows(dl.header)
        w.writerows(dl.rows)
        path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_faults(lists: Iterable[DeptList], path: Path) -> int:
    """faults.csv: every injected fault as (file, row number in that file, kind)."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(FAULT_COLUMNS)
        for dl in lists:
            for i, kind in dl.faults:
                w.writerow((dl.filename, dl.first_data_row + i, kind))
                n += 1
    return n


def _write_xlsx(dl: DeptList, path: Path) -> None:
    width = max(len(h) for h in dl.header)
    top = 1 if dl.title else 0
    merges = [(1, 1, 1, width)] if dl.title else []
    merges += [(top + r1, c1, top + r2, c2) for r1, c1, r2, c2 in dl.merges]
    rows: list[list[str]] = ([[dl.title]] if dl.title else []) + dl.header + dl.rows
    xlsx.write(path, rows, merges)


def _html_table(dl: DeptList) -> str:
    out = [
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head><body>',
        "<table border=1>",
    ]
    width = max(len(h) for h in dl.header)
    if dl.title:
        out.append(f'<tr><td colspan="{width}">{html.escape(dl.title)}</td></tr>')
    for row in [*dl.header, *dl.rows]:
        out.append("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>")
    out.append("</table></body></html>")
    return "\n".join(out)
