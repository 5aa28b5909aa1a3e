"""Benchmark: the village agent's reads (issue 15) on the demo county at a scale, SQLite.

Run: .venv/bin/python bench/bench_fieldwork.py [SCALE]   (default 0.02: ~23,000 residents)

Data (not timed): the demo campaign (``urrbmi.interfaces.demo_campaign.run_demo_campaign``, 濉溪's
12 towns scaled, paid through a channel file) in /tmp/urrbmi_bench_fieldwork_<scale>_<head>/ (kept
between runs, one per schema head). Timed (best of 3): the worklist, the reminder list and the
not-activated list for the largest village (an agent), its town (a township officer) and the
county (a bureau officer); the activation rates by village county-wide; one household view.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import urrbmi.db.migrations
from urrbmi.access.scope import Principal
from urrbmi.campaign import activation, fieldwork
from urrbmi.db.models import Campaign, Resident
from urrbmi.db.session import get_engine, session_scope
from urrbmi.interfaces.demo_campaign import run_demo_campaign

MIGRATIONS = Path(urrbmi.db.migrations.__file__).parent / "versions"


def best(f: Callable[[], Any], n: int = 3) -> float:
    out = 1e9
    for _ in range(n):
        t = time.perf_counter()
        f()
        out = min(out, time.perf_counter() - t)
    return out * 1000


def main() -> None:
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 0.02
    # the schema's head in the name: a database of an older schema is not reused
    head = sorted(p.name[:4] for p in MIGRATIONS.glob("0*.py"))[-1]
    db = Path(f"/tmp/urrbmi_bench_fieldwork_{scale}_{head}/demo.sqlite")
    if not db.exists():
        run_demo_campaign(db, db.parent / "out", scale=scale, seed=3)
    with session_scope(get_engine(f"sqlite:///{db}")) as s:
        n = s.scalar(select(func.count()).select_from(Resident))
        biggest = select(Resident.region_code).group_by(Resident.region_code).order_by(func.count().desc())
        village = str(s.scalars(biggest).first())
        c = s.scalars(select(Campaign)).one()
        print(f"{n} residents; village {village}")
        for role, code in (
            ("village_agent", village),
            ("township_officer", village[:9]),
            ("bureau_officer", village[:6]),
        ):
            p = Principal(1, "bench", role, code, code)
            for name, f in (
                ("worklist", lambda p=p: fieldwork.worklist(s, p, c)),
                ("reminders", lambda p=p: fieldwork.reminders(s, p, c)),
                ("not_activated", lambda p=p: activation.not_activated(s, p, c)),
            ):
                print(f"{role:17} {code:12} {name:14} {best(f):7.0f} ms")
        county = Principal(1, "bench", "bureau_officer", village[:6], village[:6])
        rates = best(lambda: activation.activation_rates(s, county, c))
        print(f"activation rates by village (county)   {rates:7.0f} ms")
        agent = Principal(1, "bench", "village_agent", village, village)
        rid = s.scalar(
            select(Resident.id).where(Resident.region_code == village, Resident.household_id.is_not(None))
        )
        assert rid is not None
        view = best(lambda: fieldwork.household(s, agent, c, rid))
        print(f"household view                         {view:7.0f} ms")


if __name__ == "__main__":
    main()
