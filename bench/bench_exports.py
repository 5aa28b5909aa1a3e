"""Benchmark: the Excel downloads of the lists for action at county and town scale: the reminder
list (``GET fieldwork/reminders/export``) and the not-enrolled list
(``GET campaigns/{c}/lists/not-enrolled/xlsx``), over the API in process.

``--sheet [ROWS ...]`` instead times a workbook built in memory (5,000, 20,000 and 40,000 rows by
default): no database needed.

Run on a database filled by bench_progress.py (``bench_progress.py 1141677 --pg-name
bench_county``), with the accounts bench_pages.py makes (run it once first, or this script makes
them the same way):

    .venv/bin/python bench/bench_exports.py --db postgresql+psycopg://postgres@127.0.0.1/bench_county

Each download runs in a process of its own, so that its peak memory (the process's maximum
resident set, less what it held before the request) is its own. Printed: wall seconds, CPU seconds
of that process, rows in the file (read back), file size, the peak memory the request added, and
the load average.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

from bench_pages import BENCH_PASSWORD, accounts_for_other_pages
from sqlalchemy import text

from urrbmi.access import accounts
from urrbmi.db.session import get_engine, session_scope

EXPORTS = ("reminders", "not-enrolled")


def sheet_in_memory(rows: int) -> None:
    """A normal (not streamed) workbook of ``rows`` reminder-like rows, as bulletins, a school's
    statement and the refund list are built: seconds to append them, and to save."""
    from decimal import Decimal

    from urrbmi.export import Book

    book = Book()
    sheet = book.sheet("x")
    t = time.perf_counter()
    for i in range(rows):
        sheet.append(["蔡圩村", f"H{i}", "张三", "3406**********1234", "139****5678", "特困供养人员",
                      Decimal("380.00"), "未走访", None, None, ""])  # fmt: skip
    appended = time.perf_counter() - t
    book.to_bytes()
    saved = time.perf_counter() - t
    print(f"sheet in memory, {rows:,} rows: appended in {appended:.2f} s, saved by {saved:.2f} s")


def one(db: str, user: str, export: str, on: str) -> dict[str, Any]:
    """Download one export as ``user`` in this process; its figures."""
    from fastapi.testclient import TestClient
    from openpyxl import load_workbook

    from urrbmi.interfaces.api import create_app

    eng = get_engine(db)
    token = accounts.login(eng, user, BENCH_PASSWORD, "token").token
    path, query = (
        ("/api/v1/fieldwork/reminders/export", {"on": on})
        if export == "reminders"
        else ("/api/v1/campaigns/1/lists/not-enrolled/xlsx", {"on": on})
    )
    with TestClient(create_app(db)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        client.get("/api/v1/campaigns", headers=headers)  # the app's engine opened, not timed
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        wall, cpu = time.perf_counter(), time.process_time()
        r = client.get(path, params=query, headers=headers)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss
    assert r.status_code == 200, r.text[:300]
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
    rows = sum(1 for _ in sheet.iter_rows(min_row=4, values_only=True))
    return {"wall": wall, "cpu": cpu, "rows": rows, "mb": len(r.content) / 1e6, "peak_mb": peak / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--on", default="2021-11-15")
    ap.add_argument("--only", nargs=2, metavar=("USER", "EXPORT"), help=argparse.SUPPRESS)
    ap.add_argument("--town-only", action="store_true", help="skip the county-wide downloads")
    ap.add_argument(
        "--sheet", type=int, nargs="*", metavar="ROWS", help="only time in-memory sheets of ROWS rows"
    )
    a = ap.parse_args()
    if a.sheet is not None:
        for rows in a.sheet or (5000, 20000, 40000):
            sheet_in_memory(rows)
        return
    if not a.db:
        ap.error("--db is required (or --sheet)")
    if a.only:
        print(json.dumps(one(a.db, a.only[0], a.only[1], a.on)))
        return
    eng = get_engine(a.db)
    with session_scope(eng) as s:
        county = str(s.scalar(text("SELECT region_code FROM campaigns WHERE id = 1")))
        if not s.scalar(text("SELECT count(*) FROM users WHERE username = 'bench_pages'")):
            accounts.create_user(s, "bench_pages", BENCH_PASSWORD, "bureau_officer", county, actor="bench")
        accounts_for_other_pages(s, county)
    print(f"{eng.dialect.name}, on {a.on}, {os.cpu_count()} CPUs")
    users = [("township officer", "bench_town")]
    if not a.town_only:
        users.append(("bureau officer, county", "bench_pages"))
    for export in EXPORTS:
        for role, user in users:
            load = os.getloadavg()[0]
            out = subprocess.run(
                [sys.executable, __file__, "--db", a.db, "--on", a.on, "--only", user, export],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                print(f"{export:<13} {role:<24} failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            f = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{export:<13} {role:<24} wall {f['wall']:7.1f} s   cpu {f['cpu']:7.1f} s   "
                f"rows {f['rows']:>8,}   file {f['mb']:6.1f} MB   peak +{f['peak_mb']:7.0f} MB   "
                f"load {load:.1f}"
            )


if __name__ == "__main__":
    main()
