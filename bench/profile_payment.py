"""Statements and CPU of one counter payment (``record_payment``), in-process, on both databases.

    .venv/bin/python bench/profile_payment.py [--db sqlite|postgresql] [--scale 0.003] [-n 300] [--profile]

Builds a throw-away database (SQLite: a temporary file; PostgreSQL: ``urrbmi_bench_payment``,
dropped first and after) with a synthetic Suixi county (``urrbmi.synth``, ``--scale`` of its
1,141,677 residents), a campaign (suixi-2022) assessed as of 2021-11-15, then records ``-n``
counter payments of the exact amount due, each in its own writer transaction
(``session_scope(write=True)``, as the API's POST does), on the assessment day
(``URRBMI_TODAY`` fixed to it: no backdating). Counts the statements sent (SQLAlchemy's
``before_cursor_execute``, BEGIN/COMMIT not included) and the process CPU per payment; with
``--profile`` prints cProfile's top 25 functions. Nothing is asserted; figures go to docs/api.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.payments import record_payment
from urrbmi.db.models import Assessment, Payment, Resident
from urrbmi.db.session import get_engine, session_scope, upgrade
from urrbmi.money import from_fen
from urrbmi.synth import County
from urrbmi.synth.load import load_county

AS_OF = dt.date(2021, 11, 15)
SERVER = "postgresql+psycopg://postgres@127.0.0.1/postgres"
NAME = "urrbmi_bench_payment"


def database(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}"
    server = make_url(os.environ.get("URRBMI_TEST_PG_URL") or SERVER)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}"'))
        conn.execute(text(f'CREATE DATABASE "{NAME}"'))
    admin.dispose()
    return server.set(database=NAME).render_as_string(hide_password=False)


def drop(kind: str) -> None:
    if kind == "postgresql":
        admin = create_engine(
            make_url(os.environ.get("URRBMI_TEST_PG_URL") or SERVER), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--scale", type=float, default=0.003)
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    os.environ["URRBMI_TODAY"] = AS_OF.isoformat()
    with tempfile.TemporaryDirectory(prefix="urrbmi-bench-pay-") as d:
        url = database(args.db, Path(d))
        try:
            run(url, args)
        finally:
            get_engine(url).dispose()
            drop(args.db)


def run(url: str, args: argparse.Namespace) -> None:
    upgrade(url)
    engine = get_engine(url)
    county = County.suixi(scale=args.scale, seed=11)
    with session_scope(engine, write=True) as s:
        load_county(s, county, actor="bench", province=("340000", "安徽省"))
        c = create_campaign(s, "suixi-2022", county.tree.county.code, actor="bench")
        cid = c.id
    with session_scope(engine, write=True) as s:
        assess(s, get_campaign(s, cid), AS_OF, actor="bench")
    with session_scope(engine) as s:
        rows = s.execute(
            select(Resident.id_number, Assessment.total_due_fen)
            .join(Assessment, Assessment.resident_id == Resident.id)
            .where(Assessment.campaign_id == cid, Assessment.status == "due", Assessment.total_due_fen > 0)
            .order_by(Resident.id)
        ).all()
        due = [(number, fen) for number, fen in rows if fen is not None]
    statements = 0

    def on_execute(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", on_execute)

    def pay(k: int, number: str, fen: int) -> None:
        with session_scope(engine, write=True) as s:
            r = record_payment(
                s,
                get_campaign(s, cid),
                id_number=number,
                amount=Decimal(from_fen(fen)),
                channel="cash",
                external_ref=f"B-{k}",
                paid_on=AS_OF,
                actor="bench",
            )
            assert r.payment.status == "accepted", (r.payment.status, r.payment.hold_reason)

    warm, sample = due[:10], due[10 : 10 + args.n]
    for k, (number, fen) in enumerate(warm):
        pay(k, number, fen)
    prof = cProfile.Profile() if args.profile else None
    statements = 0
    t0, c0 = time.perf_counter(), time.process_time()
    if prof is not None:
        prof.enable()
    for k, (number, fen) in enumerate(sample, start=len(warm)):
        pay(k, number, fen)
    if prof is not None:
        prof.disable()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = len(sample)
    with session_scope(engine) as s:
        accepted = s.scalar(select(func.count()).select_from(Payment).where(Payment.status == "accepted"))
    print(
        f"{args.db}: {n} counter payments ({accepted} accepted in all): {statements / n:.1f} statements "
        f"(get_campaign included), {1000 * cpu / n:.2f} ms CPU, {1000 * wall / n:.2f} ms wall per payment"
    )
    if prof is not None:
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
