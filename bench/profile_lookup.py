"""Profile one resident look-up (缴费查询) in-process: round trips and CPU per look-up.

    .venv/bin/python bench/bench_api.py --scale 0.05 --name urrbmi_bench_lookup   # builds the database
    .venv/bin/python bench/profile_lookup.py --name urrbmi_bench_lookup -n 500 [--profile]

Against the PostgreSQL database that ``bench/bench_api.py`` built (a synthetic Suixi county,
assessed, some payments recorded), over ``-n`` random residents:

1. the service alone: the ORM assembly (``scoped_resident`` + ``changes.statement``, what the API
   did before), the one-query one built per call (``campaign.lookup.fast_statement``), each in its own
   transaction: statements sent (SQLAlchemy's ``before_cursor_execute``), pool check-outs, and
   wall time per look-up;
2. the whole request through FastAPI's TestClient (token cached: no database work for it);
   and the API's: the statement built once (``statement_in_scope``) on a connection in
   autocommit (no BEGIN/COMMIT);
3. with ``--profile``, cProfile of the API's service over the sample, the top 25 functions by
   internal time (the requests themselves run in TestClient's server thread, which cProfile does
   not see; ``bench/cpu_per_lookup.sh`` measures a real worker's CPU instead).

Nothing is asserted; figures go to docs/api.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import random
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from urrbmi.access import accounts
from urrbmi.access.scope import Principal, resident_clause, scoped_resident
from urrbmi.campaign.changes import statement
from urrbmi.campaign.lookup import fast_statement, statement_in_scope
from urrbmi.db.models import Resident
from urrbmi.db.session import get_engine, session_scope
from urrbmi.interfaces.api import create_app

SERVER = "postgresql+psycopg://postgres@127.0.0.1/postgres"
ON = dt.date(2021, 11, 15)


class Counter:
    def __init__(self) -> None:
        self.statements = 0
        self.checkouts = 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default="urrbmi_bench_lookup", help="database built by bench_api.py")
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    server = make_url(os.environ.get("URRBMI_TEST_PG_URL") or SERVER)
    url = server.set(database=args.name).render_as_string(hide_password=False)
    engine = get_engine(url)
    count = Counter()

    def on_execute(*_: Any) -> None:
        count.statements += 1

    def on_checkout(*_: Any) -> None:
        count.checkouts += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine.pool, "checkout", on_checkout)
    with session_scope(engine) as s:
        numbers = list(s.scalars(select(Resident.id_number)))
    rng = random.Random(7)
    sample = [rng.choice(numbers) for _ in range(args.n)]
    p = Principal(0, "bench", "bureau_officer", "340621", "340621")

    def old(number: str) -> None:
        with session_scope(engine) as s:
            r = scoped_resident(s, p, id_number=number)
            statement(s, r.id_number, ON)

    def new(number: str) -> None:
        with session_scope(engine) as s:
            fast_statement(s, [Resident.id_number == number, resident_clause(p)], ON, p.show_id)

    def measure(label: str, fn: Callable[[str], None]) -> None:
        for number in sample[:20]:  # warm the caches (compiled statements, vocabulary)
            fn(number)
        count.statements = count.checkouts = 0
        t0, c0 = time.perf_counter(), time.process_time()
        for number in sample:
            fn(number)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = len(sample)
        print(
            f"{label:<34} {count.statements / n:5.1f} statements, {count.checkouts / n:4.1f} check-outs, "
            f"{1000 * wall / n:6.2f} ms wall, {1000 * cpu / n:6.2f} ms CPU per look-up"
        )

    measure("service, ORM assembly (before)", old)
    measure("service, one query built per call", new)

    def api(number: str) -> None:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            statement_in_scope(conn, prefix=p.region_prefix, on=ON, show_id=p.show_id, id_number=number)

    measure("service, prebuilt, autocommit (now)", api)

    token = accounts.login(engine, "bench_officer", "bench-password-1", "token").token
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(url)) as client:

        def request(number: str) -> None:
            r = client.post("/api/v1/residents/lookup", json={"id_number": number}, headers=headers)
            assert r.status_code == 200, r.text

        request(sample[0])  # opens the app's engine
        app_engine = client.app.state.engine  # type: ignore[attr-defined]
        if app_engine is not engine:
            event.listen(app_engine, "before_cursor_execute", on_execute)
            event.listen(app_engine.pool, "checkout", on_checkout)
        measure("whole request (TestClient)", request)
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            for number in sample:
                api(number)
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
