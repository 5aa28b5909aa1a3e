"""Benchmark: the data of each web page (issue 15 item 6, issue 18 item 7), over the API in process.

Run on a database filled by bench_progress.py (a 1.14 M-resident county: ``bench_progress.py
1141677 --pg-name bench_county``, or ``--db sqlite:///var/bench/county.sqlite``):

    .venv/bin/python bench/bench_pages.py --db postgresql+psycopg://postgres@127.0.0.1/bench_county
    .venv/bin/python bench/bench_pages.py --db sqlite:///var/bench/county.sqlite

A bureau officer account (``bench_pages``, county-wide) is made if missing, and for the other pages
(``--other``, the default) a village agent of the largest village (``bench_village``), a township
officer of its town (``bench_town``) and an administrator (``bench_admin``, users and audit log).
Each API call the page
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


BENCH_PASSWORD = "bench-password-1"


def accounts_for_other_pages(s: Any, county: str) -> tuple[str, str]:
    """The largest village and its town, with the bench's village agent, township officer and
    administrator accounts made if missing."""
    village, town = s.execute(
        text(
            "SELECT r.region_code, g.parent_code FROM (SELECT region_code, count(*) AS n FROM residents"
            " GROUP BY region_code) r JOIN regions g ON g.code = r.region_code"
            " ORDER BY r.n DESC, r.region_code LIMIT 1"
        )
    ).one()
    for user, role, region in (
        ("bench_village", "village_agent", village),
        ("bench_town", "township_officer", town),
        ("bench_admin", "bureau_admin", county),
    ):
        if not s.scalar(text("SELECT count(*) FROM users WHERE username = :u"), {"u": user}):
            accounts.create_user(s, user, BENCH_PASSWORD, role, region, actor="bench")
    return str(village), str(town)


Calls = list[tuple[str, str, dict[str, Any]]]
# the agent page's calls are each the data of one view (the worklist it opens on, a filter, another
# page, a household, a tab): not summed
VIEWS = "agent (each call the data of one view)"


def other_pages(
    client: Any, eng: Any, on: str, county: str, town: str, village: str
) -> list[tuple[str, str, str, Calls]]:
    """(role, account, page, calls) of every page but the dashboard, reports and payments, as
    agent.js, activation.js, office.js, admin.js, refunds.js, imports.js and policies.js call them."""
    fw, c, day = "/api/v1/fieldwork", "/api/v1/campaigns/1", {"on": on}
    page = {"limit": 20, "offset": 0}
    with eng.connect() as conn:  # a village of the town (not the agent's) for the office's filter
        other_village = conn.scalar(
            text("SELECT min(code) FROM regions WHERE parent_code = :t AND code <> :v"),
            {"t": town, "v": village},
        )
    out: list[tuple[str, str, str, Calls]] = []
    for role, user, region in (
        ("village agent", "bench_village", village),
        ("township officer", "bench_town", town),
        ("bureau officer", "bench_pages", county),
    ):
        with eng.connect() as conn:  # the first resident of the region: the household the agent opens
            lo, hi = region, region.ljust(12, "9")
            rid = conn.scalar(
                text(
                    "SELECT id FROM residents WHERE region_code BETWEEN :lo AND :hi"
                    " ORDER BY region_code, id LIMIT 1"
                ),
                {"lo": lo, "hi": hi},
            )
        wl = {"limit": 10, "offset": 0, **day}
        out.append(
            (
                role,
                user,
                VIEWS,
                [
                    ("worklist, page 1", f"{fw}/worklist", wl),
                    ("worklist, page 3", f"{fw}/worklist", {**wl, "offset": 20}),
                    ("worklist, search a name", f"{fw}/worklist", {**wl, "q": "张"}),
                    ("worklist, identity", f"{fw}/worklist", {**wl, "identity": "tekun"}),
                    ("worklist, enrolled", f"{fw}/worklist", {**wl, "state": "enrolled"}),
                    ("worklist, not visited", f"{fw}/worklist", {**wl, "outcome": "none"}),
                    ("household view", f"{fw}/households/{rid}", day),
                    ("reminders", f"{fw}/reminders", day),
                    ("not activated, page 1", f"{fw}/not-activated", {**page, **day}),
                ],
            )
        )
    for role, user, region in (
        ("township officer", "bench_town", town),
        ("bureau officer", "bench_pages", county),
    ):
        levels = ("village",) if region == town else ("village", "town")
        calls = [(f"activation by {lv}", f"{fw}/activation", {"level": lv, **day}) for lv in levels]
        out.append((role, user, "activation", calls))
        office: Calls = []
        for where, code in (("town", town), ("village", other_village)):
            office += [
                (f"not-enrolled, a {where}", f"{c}/lists/not-enrolled", {"region": code, **page, **day}),
                (f"hardship, a {where}", f"{c}/lists/hardship", {"region": code, **page, **day}),
            ]
        out.append((role, user, "office (lists)", office))
    out.append(
        (
            "administrator",
            "bench_admin",
            "admin",
            [("users", "/api/v1/users", page), ("audit log, page 1", "/api/v1/audit", page)],
        )
    )
    out.append(
        (
            "bureau officer",
            "bench_pages",
            "refunds",
            [("pending", f"{c}/refunds", {"status": "pending", **page})],
        )
    )
    out.append(
        (
            "bureau officer",
            "bench_pages",
            "imports",
            [("review queue", "/api/v1/imports/reviews", {"status": "open", **page})],
        )
    )
    token = accounts.login(eng, "bench_pages", BENCH_PASSWORD, "token").token
    auth = {"Authorization": f"Bearer {token}"}
    chosen: dict[str, Any] = {}
    compare: dict[str, Any] = {}
    for x in client.get("/api/v1/policies", headers=auth).json():  # one that has its previous year
        chosen = x
        compare = {"jurisdiction": x["jurisdiction_code"], "before": x["benefit_year"] - 1}
        compare["after"] = x["benefit_year"]
        if client.get("/api/v1/policy-comparisons", params=compare, headers=auth).status_code == 200:
            break
    out.append(
        (
            "bureau officer",
            "bench_pages",
            "policies",
            [
                ("list", "/api/v1/policies", {}),
                ("one policy", f"/api/v1/policies/{chosen['id']}", {}),
                ("compare", "/api/v1/policy-comparisons", compare),
            ],
        )
    )
    return out


def timed(
    client: Any, eng: Any, db: str, headers: dict[str, str], calls: Calls, repeat: int, summed: bool = True
) -> None:
    """Each call timed (best wall of ``repeat``; with more than one, the last too: past the
    tenth run a pooled connection would have switched a prepared statement to PostgreSQL's generic
    plan, docs/decisions.md "Plans for the values given"), and the page's sum (``summed``)."""
    wall_sum = cpu_sum = 0.0
    for label, path, query in calls:
        best = None
        wall = 0.0
        for _ in range(repeat):
            s0, c0, t0 = server_cpu(eng, db), time.process_time(), time.perf_counter()
            r = client.get(path, params=query, headers=headers)
            wall = time.perf_counter() - t0
            cpu = time.process_time() - c0 + used(s0, server_cpu(eng, db))
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            best = (wall, cpu, len(r.content)) if best is None or wall < best[0] else best
        assert best is not None
        wall_sum += best[0]
        cpu_sum += best[1]
        print(
            f"   {label:<34} wall {best[0]:6.2f} s   cpu {best[1]:6.2f} s"
            f"   load {os.getloadavg()[0]:4.1f}   {best[2] / 1e3:8.1f} kB"
            + (f"   last {wall:6.2f} s" if repeat > 1 else "")
        )
    if summed:
        print(f"   {'page data':<34} wall {wall_sum:6.2f} s   cpu {cpu_sum:6.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--on", default="2021-11-15")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument(
        "--skip", action="append", default=[], help="skip calls whose 'page (role): label' has this"
    )
    ap.add_argument(
        "--other", action=argparse.BooleanOptionalAction, default=True, help="the other pages too"
    )
    a = ap.parse_args()
    from urrbmi.interfaces.api import create_app

    eng = get_engine(a.db)
    db = eng.url.database or ""
    with session_scope(eng) as s:
        county = str(s.scalar(text("SELECT region_code FROM campaigns WHERE id = 1")))
        town = str(s.scalar(text("SELECT code FROM regions WHERE level = 'town' ORDER BY code LIMIT 1")))
        known = s.scalar(text("SELECT count(*) FROM users WHERE username = 'bench_pages'"))
        if not known:
            accounts.create_user(s, "bench_pages", BENCH_PASSWORD, "bureau_officer", county, actor="bench")
        village, town_of_village = accounts_for_other_pages(s, county) if a.other else ("", "")
    token = accounts.login(eng, "bench_pages", BENCH_PASSWORD, "token").token
    c = "/api/v1/campaigns/1"
    on = {"on": a.on}
    pages: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
        "dashboard, county view": [
            ("campaigns", "/api/v1/campaigns", {"limit": 50, "offset": 0}),
            ("reconcile", f"{c}/reconcile", {}),
            # the table's report; its total is the countdown's and the burn-up's (no county report)
            ("progress by town", f"{c}/progress", {"level": "town", **on}),
            ("charts (burn-up, composition)", f"{c}/charts", on),
            ("hardship list, page 1", f"{c}/lists/hardship", {"limit": 20, "offset": 0, **on}),
            ("not-enrolled list, page 1", f"{c}/lists/not-enrolled", {"limit": 20, "offset": 0, **on}),
        ],
        "dashboard, a town's villages (drill-down)": [
            ("progress by village, one town", f"{c}/progress", {"level": "village", "region": town, **on}),
            ("the towns' report again (countdown)", f"{c}/progress", {"level": "town", **on}),
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
            print(f"-- {page}")
            timed(client, eng, db, headers, calls, a.repeat)
        if a.other:
            for role, user, page, calls in other_pages(client, eng, a.on, county, town_of_village, village):
                name = f"{page} ({role})"
                calls = [x for x in calls if not any(k in f"{name}: {x[0]}" for k in a.skip)]
                print(f"-- {name}")
                other = accounts.login(eng, user, BENCH_PASSWORD, "token").token
                auth = {"Authorization": f"Bearer {other}"}
                timed(client, eng, db, auth, calls, a.repeat, summed=page != VIEWS)


if __name__ == "__main__":
    main()
