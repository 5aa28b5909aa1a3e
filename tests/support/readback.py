"""Every rendering of a campaign's progress read back the way a user reads it (printed text, or the
sheet's cell formatted as printed), as one table per rendering: unit name -> column key -> figure.
Shared by tests/targets/test_one_truth.py and test_season_replay.py (issue 18, item 1)."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from urrbmi.access.accounts import create_user, login
from urrbmi.db.session import get_engine, session_scope
from urrbmi.interfaces.api import create_app
from urrbmi.interfaces.cli import main
from urrbmi.targets.columns import COLUMNS, UNKNOWN, text
from urrbmi.targets.reports import UNIT_LABELS

Table = dict[str, dict[str, str]]  # unit name -> column key -> figure as printed
KIND = {c.key: c.kind for c in COLUMNS}
ZH = {c.zh: c.key for c in COLUMNS} | {"户籍人口": "base", "单位": "unit"}
ZH |= {label: "unit" for label in UNIT_LABELS.values()}
SHARED = ("rank", "registry", "base", "enrolled", "remaining", "rate")


def _keys(headers: list[str]) -> list[str]:
    return [ZH[h] for h in headers]


def _by_unit(keys: list[str], rows: list[list[str]]) -> Table:
    return {row[keys.index("unit")]: dict(zip(keys, row, strict=True)) for row in rows}


def cli_table(output: str) -> Table:
    lines = [ln for ln in output.splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("排名"))
    keys = _keys(lines[start].split())
    rows = []
    for ln in lines[start + 1 :]:
        cells = re.split(r"\s{2,}", ln.strip())
        if len(cells) == 1:  # the path of the sheet, after the table
            break
        if cells[0] == "合计":  # the total has no rank and no code
            cells = ["", "合计", *([""] if "code" in keys else []), *cells[1:]]
        rows.append(cells)
    return _by_unit(keys, rows)


def _sheet_text(key: str, value: Any) -> str:
    if KIND[key] in ("percent", "points") and isinstance(value, int | float):
        value = Decimal(str(value))  # the sheet holds the printed figure (0.00 reads back as 0)
    if value == UNKNOWN:
        return UNKNOWN
    return text(KIND[key], value)


def xlsx_table(path: Path, sheet: str) -> Table:
    ws = load_workbook(path)[sheet]
    keys = _keys([str(c.value) for c in ws[3]])
    rows = []
    for row in ws.iter_rows(min_row=4, values_only=True):
        if row[keys.index("unit")] is None:
            break
        rows.append([_sheet_text(k, v) for k, v in zip(keys, row, strict=True)])
    return _by_unit(keys, rows)


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_table(page: str) -> Table:
    p = _Cells()
    p.feed(page)
    keys = _keys(p.rows[0])
    return _by_unit(keys, p.rows[1:])


def api_table(body: bytes) -> Table:
    table = json.loads(body, parse_float=Decimal)["table"]
    keys = [c["key"] for c in table["columns"]]
    return _by_unit(keys, [[text(KIND[k], row[k]) for k in keys] for row in table["rows"]])


def reports(
    url: str, cid: int, on: dt.date, tmp: Path, extra: tuple[str, ...] = (), token: str | None = None
) -> dict[str, Table]:
    """Every rendering of the progress of campaign ``cid`` at ``on`` by town (CLI, sheets, API);
    the API is read with ``token`` (else a county officer made for the purpose)."""
    run = CliRunner().invoke
    common = ["--db", url, "--campaign", str(cid), "--on", on.isoformat(), *extra]
    res = run(main, ["targets", "progress", *common, "--xlsx", str(tmp / "p.xlsx")])
    assert res.exit_code == 0, res.output
    out: dict[str, Table] = {
        "cli": cli_table(res.stdout),
        "progress.xlsx": xlsx_table(tmp / "p.xlsx", "参保进度"),
    }
    res = run(main, ["targets", "bulletin", "build", *common, "--no-charts", "--out", str(tmp / "b")])
    assert res.exit_code == 0, res.output
    out["bulletin.xlsx"] = xlsx_table(next((tmp / "b").glob("*.xlsx")), "通报")
    out["bulletin.html"] = html_table(next((tmp / "b").glob("*.html")).read_text(encoding="utf-8"))
    if token is None:
        with session_scope(get_engine(url)) as s:
            create_user(s, "officer", "pw-one-truth", "bureau_officer", "340621", actor="t")
        token = login(get_engine(url), "officer", "pw-one-truth", "token").token
    query = {"on": on.isoformat(), "level": "town"}
    if "--rate" in extra:
        query["rate"] = str(Decimal(extra[extra.index("--rate") + 1].rstrip("%")) / 100)
    with TestClient(create_app(url)) as client:
        auth = {"Authorization": f"Bearer {token}"}
        r = client.get(f"/api/v1/campaigns/{cid}/progress", params=query, headers=auth)
        assert r.status_code == 200, r.text
        out["api"] = api_table(r.content)
        r = client.get(f"/api/v1/campaigns/{cid}/bulletin", params=query, headers=auth)
        assert r.status_code == 200, r.text
        out["api bulletin"] = api_table(r.content)
        r = client.get(f"/api/v1/campaigns/{cid}/bulletin", params={**query, "format": "html"}, headers=auth)
        out["api bulletin.html"] = html_table(r.text)
    return out


def assert_agree(tables: dict[str, Table], must: tuple[str, ...]) -> None:
    names = list(tables)
    first = tables[names[0]]
    for name, table in tables.items():
        assert set(table) == set(first), f"{name} lists other units"
        for key in must:
            assert all(key in row for row in table.values()), f"{name} does not show {key}"
    for a in names:
        for b in names:
            for unit, row in tables[a].items():
                other = tables[b][unit]
                for key in set(row) & set(other) - {"unit"}:
                    assert row[key] == other[key], f"{unit} {key}: {a} {row[key]!r} != {b} {other[key]!r}"
