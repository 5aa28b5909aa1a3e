"""Benchmark: progress, burn-up, funding and a list page from the campaign database at N residents.

Run: .venv/bin/python bench/bench_progress.py [N] [--db URL] [--repeat 3]
     default N = 1,000,000 on a fresh PostgreSQL database ``urrbmi_bench_progress`` at
     postgresql+psycopg://postgres@127.0.0.1 (dropped and re-created; URRBMI_BENCH_PG_URL overrides
     the server). ``--db sqlite:///path`` runs on SQLite instead.

Data (not timed): the 濉溪 region tree scaled to N (12 towns, villages of ~4,500), one resident per
row, an assessment each, ~90% enrolled (8% of them fully subsidised, the rest paid on a day
between 2021-10-01 and 2021-12-31), ~5% employee-insured, ~2% insured elsewhere, last year's
enrollment for ~93%, 1% of payments cancelled and refunded. The 濉溪 task table is loaded.

Timed (best and first of --repeat): progress by town against the tasks, by village, the
burn-up points, the funding report (grouped in SQL), and the first page of the not-enrolled list
for one village. (The row-level path, every resident read into Polars, is gone: a resident's
state is defined once, in SQL; tests/support/reference.py keeps it as a test oracle.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from urrbmi.db.bulk import bulk_insert
from urrbmi.db.models import Assessment, Campaign, Enrollment, Payment, Refund, Region, Resident
from urrbmi.db.session import get_engine, session_scope, upgrade
from urrbmi.policy.loader import load_policy
from urrbmi.synth.regions import SUIXI_POPULATION, suixi

CHINA = dt.timezone(dt.timedelta(hours=8))
CHUNK = 100_000


def pg_url(name: str) -> str:
    server = os.environ.get("URRBMI_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres")
    return server.rsplit("/", 1)[0] + "/" + name


def fresh_pg(name: str) -> str:
    server = os.environ.get("URRBMI_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return pg_url(name)


def fill(url: str, n: int) -> int:
    rng = random.Random(1)
    tree = suixi(n / SUIXI_POPULATION, seed=1)
    stamp = dt.datetime(2021, 9, 1, tzinfo=CHINA)
    eng = get_engine(url)
    with session_scope(eng) as s:
        s.add(Region(code="340000", name="安徽省", level="province"))
        s.flush()
        s.add(Region(code=tree.county.code, name=tree.county.name, level="county", parent_code="340000"))
        s.flush()
        bulk_insert(
            s,
            Region,
            [{"code": t.code, "name": t.name, "level": "town", "parent_code": t.parent} for t in tree.towns],
        )
        bulk_insert(
            s,
            Region,
            [
                {"code": v.code, "name": v.name, "level": "village", "parent_code": v.parent}
                for v in tree.villages
            ],
        )
        p = load_policy("suixi-2022")
        c = Campaign(
            region_code=tree.county.code,
            benefit_year=2022,
            policy_id=p.id,
            policy_version=p.version,
            created_at=stamp,
        )
        s.add(c)
        s.flush()
        cid = c.id
    villages = [v.code for v in tree.villages for _ in range(v.population)]
    start = dt.date(2021, 10, 1)
    rid = 0
    pid = 0
    while rid < len(villages):
        res, ass, enr, pay, ref = [], [], [], [], []
        for i in range(rid, min(rid + CHUNK, len(villages))):
            k = i + 1
            u = rng.random()
            employee = u < 0.05
            student = rng.random() < 0.12
            res.append(
                {
                    "id": k,
                    "id_number": f"3406211{k:011d}",
                    "name": f"居民{k}",
                    "sex": "M",
                    "birth_date": dt.date(1980, 1, 1),
                    "region_code": villages[i],
                    "residence": "hukou",
                    "student": "school" if student else None,
                    "school_name": f"学校{k % 300}" if student else None,
                    "employee_insured": employee,
                    "status": "active",
                    "row_version": 1,
                    "updated_at": stamp,
                }
            )
            sub = rng.random() < 0.08
            ass.append(
                {
                    "campaign_id": cid,
                    "resident_id": k,
                    "policy_version": "bench",
                    "as_of": stamp.date(),
                    "status": "due",
                    "categories": "tekun" if sub else "",
                    "tier": 1,
                    "standard_fen": 32000,
                    "subsidy_fen": 32000 if sub else 0,
                    "subsidy_category": "tekun" if sub else None,
                    "individual_fen": 0 if sub else 32000,
                    "fiscal_fen": 0,
                }
            )
            if rng.random() < 0.93:
                enr.append(
                    {
                        "campaign_id": None,
                        "resident_id": k,
                        "benefit_year": 2021,
                        "region_code": villages[i],
                        "insurance_type": "390",
                        "status": "enrolled",
                        "source": "import",
                        "enrolled_on": dt.date(2020, 11, 1),
                    }
                )
            if employee:
                continue
            if u < 0.07:
                enr.append(
                    {
                        "campaign_id": None,
                        "resident_id": k,
                        "benefit_year": 2022,
                        "region_code": "341200",
                        "insurance_type": "390",
                        "status": "enrolled",
                        "source": "external",
                        "enrolled_on": dt.date(2021, 10, 1),
                    }
                )
                continue
            if u > 0.95:
                continue
            day = start + dt.timedelta(days=rng.randrange(92))
            if sub:
                enr.append(
                    {
                        "campaign_id": cid,
                        "resident_id": k,
                        "benefit_year": 2022,
                        "region_code": villages[i],
                        "insurance_type": "390",
                        "status": "enrolled",
                        "source": "subsidy",
                        "enrolled_on": day,
                    }
                )
                continue
            pid += 1
            cancelled = rng.random() < 0.01
            pay.append(
                {
                    "id": pid,
                    "campaign_id": cid,
                    "resident_id": k,
                    "id_number": f"3406211{k:011d}",
                    "channel": "bank",
                    "external_ref": f"B{pid}",
                    "amount_fen": 32000,
                    "due_fen": 32000,
                    "paid_on": day,
                    "status": "refunded" if cancelled else "accepted",
                    "recorded_by": "bench",
                    "recorded_at": dt.datetime(day.year, day.month, day.day, tzinfo=CHINA),
                }
            )
            enr.append(
                {
                    "campaign_id": cid,
                    "resident_id": k,
                    "benefit_year": 2022,
                    "region_code": villages[i],
                    "insurance_type": "390",
                    "status": "cancelled" if cancelled else "enrolled",
                    "source": "payment",
                    "payment_id": pid,
                    "enrolled_on": day,
                }
            )
            if cancelled:
                ref.append(
                    {
                        "campaign_id": cid,
                        "resident_id": k,
                        "payment_id": pid,
                        "kind": "cancellation",
                        "amount_fen": 32000,
                        "reason": "bench",
                        "status": "paid",
                        "created_at": dt.datetime(2021, 12, 20, tzinfo=CHINA),
                    }
                )
        with session_scope(eng) as s:
            bulk_insert(s, Resident, res)
            bulk_insert(s, Assessment, ass)
            bulk_insert(s, Payment, pay)
            bulk_insert(s, Enrollment, [{"payment_id": None, **e} for e in enr])
            bulk_insert(s, Refund, ref)
        rid += CHUNK
    if eng.dialect.name == "postgresql":
        with eng.begin() as conn:
            conn.execute(text("ANALYZE"))
    return cid


BACKEND_CPU = [0.0]  # CPU seconds of the PostgreSQL server process in the timed sessions


def backend_cpu(s: Any) -> float:
    """CPU seconds used so far by the session's PostgreSQL server process (a local server: read
    from /proc), 0 on SQLite (whose work is the client's CPU). Parallel workers are not counted."""
    if s.get_bind().dialect.name != "postgresql":
        return 0.0
    pid = s.execute(text("SELECT pg_backend_pid()")).scalar()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, repeat: int, f: Any) -> Any:
    """Wall time (best and first of ``repeat``) and, for the first, the CPU time of this process
    plus the PostgreSQL server process: on a shared machine the CPU time is the steadier figure
    (what the step costs on a quiet one, single-threaded)."""
    times = []
    cpus = []
    out = None
    for _ in range(repeat):
        BACKEND_CPU[0] = 0.0
        c = time.process_time()
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c + BACKEND_CPU[0])
    print(
        f"{label:<48} best {min(times):6.2f} s   first {times[0]:6.2f} s   cpu {min(cpus):6.2f} s"
        f"   load {os.getloadavg()[0]:4.1f}",
        flush=True,
    )
    return out


def time_day(eng: Any, cid: int, on: dt.date, town: str, village: str, repeat: int) -> None:
    """Every timed step at one date, each in a session of its own (as one API request)."""
    from urrbmi.targets.counting import burnup, progress
    from urrbmi.targets.lists import not_enrolled
    from urrbmi.targets.reports import funding_report

    def fresh(f: Any) -> Any:
        """``f(session)`` in a session of its own (as one API request: nothing kept from before)."""

        def run() -> Any:
            with session_scope(eng) as s:
                before = backend_cpu(s)
                out = f(s)
                BACKEND_CPU[0] += backend_cpu(s) - before
                return out

        return run

    print(f"-- at {on} (load {os.getloadavg()[0]:.1f})")
    rep = timed("progress by town (tasks)", repeat, fresh(lambda s: progress(s, cid, on=on, level="town")))
    assert rep.total is not None
    print(
        f"  county: registry {rep.total.registry:,}, enrolled {rep.total.enrolled:,}, "
        f"paid {rep.total.paid:,}, covered {rep.total.covered:,}"
    )
    timed("progress by village", repeat, fresh(lambda s: progress(s, cid, on=on, level="village")))
    timed("progress, county", repeat, fresh(lambda s: progress(s, cid, on=on, level="county")))
    timed(
        "villages of one town (drill-down)",
        repeat,
        fresh(lambda s: progress(s, cid, on=on, level="village", scope=town)),
    )
    timed("burn-up points", repeat, fresh(lambda s: burnup(s, cid, on=on)))
    timed("funding report", repeat, fresh(lambda s: funding_report(s, cid, on=on)))
    timed(
        "town + village + burn-up + funding, one session",
        repeat,
        fresh(
            lambda s: (
                progress(s, cid, on=on, level="town"),
                progress(s, cid, on=on, level="village"),
                burnup(s, cid, on=on),
                funding_report(s, cid, on=on),
            )
        ),
    )
    timed(
        "not-enrolled, one village, first page",
        repeat,
        fresh(lambda s: not_enrolled(s, cid, on=on, scope=village, limit=100)),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--db", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--reuse", action="store_true", help="time an existing database (already filled)")
    ap.add_argument("--pg-name", default="urrbmi_bench_progress", help="PostgreSQL database name")
    ap.add_argument(
        "--no-upgrade", action="store_true", help="with --reuse: leave the schema as it is (time older code)"
    )
    ap.add_argument("--dates", default="2021-10-15,2021-11-15,2021-12-31", help="dates to count at")
    a = ap.parse_args()
    if a.reuse:
        url = a.db or pg_url(a.pg_name)
        if not a.no_upgrade:
            upgrade(url)
        cid = 1
    else:
        url = a.db or fresh_pg(a.pg_name)
        upgrade(url)
        t = time.perf_counter()
        cid = fill(url, a.n)
        print(f"filled {a.n:,} residents in {time.perf_counter() - t:.1f} s ({get_engine(url).dialect.name})")
    from urrbmi.targets.store import load_task_table

    eng = get_engine(url)
    with session_scope(eng) as s:
        if not s.scalar(text("SELECT count(*) FROM target_sets WHERE campaign_id = :c"), {"c": cid}):
            load_task_table(s, cid, "suixi-2022", actor="bench", replace=True)
        town = str(s.scalar(text("SELECT code FROM regions WHERE level = 'town' ORDER BY code LIMIT 1")))
        village = str(
            s.scalar(text("SELECT code FROM regions WHERE level = 'village' ORDER BY code LIMIT 1"))
        )
    print(f"load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    for on in [dt.date.fromisoformat(d) for d in a.dates.split(",")]:
        time_day(eng, cid, on, town, village, a.repeat)
    print(f"load average after timing: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
