"""Benchmark: the data of each web page (issue 15 item 6, issue 18 item 7), over the API in process.

Run on a database filled by bench_progress.py (a 1.14 M-resident county: ``bench_progress.py
1141677 --pg-name bench_county``, or ``--db sqlite:///var/bench/county.sqlite``):

    .venv/bin/python bench/bench_pages.py --db postgresql+psycopg://postgres@127.0.0.1/bench_county
    .venv/bin/python bench/bench_pages.py --db sqlite:///var/bench/county.sqlite

A bureau officer account (``bench_pages``, county-wide) is made if missing. Each API call the page
makes (as urrbmi/interfaces/web/static/js/pages/*.js) is timed with FastAPI's TestClient, in a
request of its own: wall time, CPU time of this process (the app, and SQLite's work) plus, on
PostgreSQL, of the server processes serving this database (read from /proc; a local server;
parallel workers are missed), and
the load average. A page's data time is the sum of its calls (the browser sends them together,
but a server of one or two workers on two CPUs answers them about one after another).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from urrbmi.access import accounts
from urrbmi.db.session import get_engine, session_scope


def server_cpu(eng: Any, db: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL process connected to ``db`` (none on SQLite)."""
    if eng.dialect.name != "postgresql":
        return {}
    with eng.connect() as conn:
        pids = [
            r[0] for r in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": db})
        ]
    out: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two samples by the processes alive at the second (parallel workers that
    came and went in between are missed)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--on", default="2021-11-15")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    from urrbmi.interfaces.api import create_app

    eng = get_engine(a.db)
    db = eng.url.database or ""
    with session_scope(eng) as s:
        county = str(s.scalar(text("SELECT region_code FROM campaigns WHERE id = 1")))
        town = str(s.scalar(text("SELECT code FROM regions WHERE level = 'town' ORDER BY code LIMIT 1")))
        known = s.scalar(text("SELECT count(*) FROM users WHERE username = 'bench_pages'"))
        if not known:
            accounts.create_user(
                s, "bench_pages", "bench-password-1", "bureau_officer", county, actor="bench"
            )
    token = accounts.login(eng, "bench_pages", "bench-password-1", "token").token
    c = "/api/v1/campaigns/1"
    on = {"on": a.on}
    pages: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
        "dashboard, county view": [
            ("campaigns", "/api/v1/campaigns", {"limit": 50, "offset": 0}),
            ("reconcile", f"{c}/reconcile", {}),
            ("progress county", f"{c}/progress", {"level": "county", **on}),
            ("progress by town", f"{c}/progress", {"level": "town", **on}),
            ("charts (burn-up, composition)", f"{c}/charts", on),
            ("hardship list, page 1", f"{c}/lists/hardship", {"limit": 20, "offset": 0, **on}),
            ("not-enrolled list, page 1", f"{c}/lists/not-enrolled", {"limit": 20, "offset": 0, **on}),
        ],
        "dashboard, a town's villages (drill-down)": [
            ("progress by village, one town", f"{c}/progress", {"level": "village", "region": town, **on}),
        ],
        "reports": [
            ("bulletin (JSON)", f"{c}/bulletin", {"level": "town", **on}),
            ("funding", f"{c}/funding", on),
        ],
        "payments": [
            ("reconcile", f"{c}/reconcile", {}),
            ("duplicates", f"{c}/duplicates", {}),
        ],
    }
    print(f"{eng.dialect.name}, on {a.on}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with TestClient(create_app(a.db)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for page, calls in pages.items():
            wall_sum = cpu_sum = 0.0
            print(f"-- {page}")
            for label, path, query in calls:
                best = None
                for _ in range(a.repeat):
                    s0, c0, t0 = server_cpu(eng, db), time.process_time(), time.perf_counter()
                    r = client.get(path, params=query, headers=headers)
                    wall = time.perf_counter() - t0
                    cpu = time.process_time() - c0 + used(s0, server_cpu(eng, db))
                    assert r.status_code == 200, (path, r.status_code, r.text[:300])
                    best = (wall, cpu) if best is None or wall < best[0] else best
                assert best is not None
                wall_sum += best[0]
                cpu_sum += best[1]
                print(
                    f"   {label:<34} wall {best[0]:6.2f} s   cpu {best[1]:6.2f} s"
                    f"   load {os.getloadavg()[0]:4.1f}"
                )
            print(f"   {'page data':<34} wall {wall_sum:6.2f} s   cpu {cpu_sum:6.2f} s")


if __name__ == "__main__":
    main()
