"""Benchmark: a whole season replayed through the API on a synthetic county (issue 18, item 8).

Run: .venv/bin/python bench/bench_season.py [--scale 1.0] [--db URL] [--every 7] [--agents 4]
     default: the full 濉溪 county (scale 1.0, ~1.14 M residents) on a fresh PostgreSQL database
     ``urrbmi_bench_season`` at postgresql+psycopg://postgres@127.0.0.1 (dropped and re-created;
     URRBMI_BENCH_PG_URL overrides the server); ``--db sqlite:///path`` runs on SQLite.

The registry is loaded first (not timed into the season: its own figure is printed). Then
``urrbmi.synth.season.Season`` drives the campaign from the opening of the window (2021-10-29) to
its end (2021-12-31), one simulated day in ``--every``, through the API in-process (FastAPI's
TestClient: the service and the database are measured, not the network): monthly 民政 lists,
counter payments by ``--agents`` village agents, a bank file a day with repeats, wrong amounts,
unknown IDs and late dates, cancellations with refunds, and after every day the money, state and
report invariants (the report renderings are compared by the test suite's small season; here the
API's progress and list are read every day). Printed: the time of each phase summed over the
season, and per simulated day the time of the invariant checks; every invariant must hold.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from urrbmi.access import passwords
from urrbmi.access.accounts import create_user, login
from urrbmi.db.session import get_engine, session_scope, upgrade
from urrbmi.interfaces.api import create_app
from urrbmi.synth import County
from urrbmi.synth.load import load_county
from urrbmi.synth.season import Season, SeasonPlan

PASSWORD = "bench-season-pw"


def fresh_pg(name: str = "urrbmi_bench_season") -> str:
    server = os.environ.get("URRBMI_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1")
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"{server}/{name}"


def timed(name: str, spent: dict[str, float], fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*a: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            spent[name] += time.perf_counter() - t

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--db", default=None)
    ap.add_argument("--every", type=int, default=7)
    ap.add_argument("--agents", type=int, default=4)
    ap.add_argument("--file-lines", type=int, default=200)
    args = ap.parse_args()
    url = args.db or fresh_pg()
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # accounts, not measured
    upgrade(url)
    engine = get_engine(url)
    county = County.suixi(scale=args.scale, seed=11)
    t = time.perf_counter()
    with session_scope(engine) as s:
        residents = load_county(s, county, actor="bench", province=("340000", "安徽省"))
    load_s = time.perf_counter() - t
    villages = [v.code for v in county.tree.villages[: args.agents]]
    accounts = {
        "admin": ("bureau_admin", "340621"),
        "officer": ("bureau_officer", "340621"),
        "checker": ("bureau_officer", "340621"),
        "finance": ("finance", "340621"),
        **{f"agent:{v}": ("village_agent", v) for v in villages},
    }
    with session_scope(engine) as s:
        for name, (role, region) in accounts.items():
            create_user(s, name.replace(":", "_"), PASSWORD, role, region, actor="bench")
    tokens = {n: login(engine, n.replace(":", "_"), PASSWORD, "token").token for n in accounts}
    os.environ["URRBMI_AUTH_CACHE_SECONDS"] = "0"
    spent: dict[str, float] = defaultdict(float)
    with TestClient(create_app(url)) as client:
        season = Season(
            client=client,
            engine=engine,
            region="340621",
            policy="suixi-2022",
            users=tokens,
            set_today=lambda d: os.environ.__setitem__("URRBMI_TODAY", d.isoformat()),
            plan=SeasonPlan(
                start=dt.date(2021, 10, 29),
                end=dt.date(2021, 12, 31),
                every=args.every,
                file_lines=args.file_lines,
            ),
        )
        for phase in ("open", "department_list", "counter_day", "channel_day", "cancel_and_refund", "check"):
            setattr(season, phase, timed(phase, spent, getattr(season, phase)))
        t = time.perf_counter()
        tally = season.run()
        total = time.perf_counter() - t
    load = os.getloadavg()[0]
    print(f"season replay, {residents:,} residents ({engine.dialect.name}), load average {load:.1f}")
    print(f"  registry load (not in the season): {load_s:.1f} s")
    print(f"  season: {tally.days} simulated days in {total:.1f} s; every invariant held on every day")
    print(
        f"  traffic: {tally.counter_payments} counter payments ({tally.refused_wrong_amount} wrong amounts "
        f"refused, {tally.replayed} replayed), {tally.file_lines} bank lines ({tally.held} held, "
        f"{tally.unmatched} unmatched), {tally.cancelled} cancelled and refunded, {tally.lists} 民政 lists"
    )
    for phase, secs in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {phase:18s} {secs:8.1f} s")
    print(f"  invariant checks per simulated day: {spent['check'] / max(tally.checks, 1):.2f} s")


if __name__ == "__main__":
    main()
