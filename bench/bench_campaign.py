"""Benchmark: assess N residents and import M payments from one file, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_campaign.py --residents 100000 --payments 100000 --backend both

Builds a synthetic county (Suixi, policy suixi-2022) in a throwaway database (a temporary SQLite
file; a PostgreSQL database ``urrbmi_bench_<pid>`` dropped at the end), registers the residents
with Core multi-row inserts (timed separately: that is the registry import, not the campaign),
then times:

- ``assess``: every resident read (one query), priced by the batch engine and stored (COPY);
  then again (every row replaced), then ``re-assess`` after 1% of residents' identities change;
- ``payments``: a CSV channel file of M lines read, validated, staged and applied in one
  transaction (set-based INSERT … SELECT into payments, receipts, enrollments, benefit periods).

Prints one line per measure; nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchdb import each_backend
from sqlalchemy import func, select, update

from urrbmi import ids
from urrbmi.campaign.assess import assess, reassess_changed
from urrbmi.campaign.campaigns import create_campaign
from urrbmi.campaign.payments import apply_payments, read_payment_file
from urrbmi.db.bulk import bulk_insert
from urrbmi.db.models import Assessment, Membership, Payment, Resident
from urrbmi.db.session import get_engine, session_scope, upgrade
from urrbmi.money import fmt, from_fen
from urrbmi.registry.audit import now
from urrbmi.registry.regions import add_region

AS_OF = dt.date(2021, 11, 15)  # inside Suixi's centralized window
CATS = ("dibao", "tekun", "stable_out_of_poverty", "severe_disability", "dibao_edge")


def populate(url: str, n: int, seed: int = 7) -> float:
    """Regions, n residents and ~8% identities; returns seconds spent."""
    rng = random.Random(seed)
    engine = get_engine(url)
    t0 = time.perf_counter()
    towns = [f"340621{100 + i:03d}" for i in range(20)]
    with session_scope(engine) as s:
        add_region(s, "340000", "安徽省", "province", actor="bench")
        add_region(s, "340621", "濉溪县", "county", "340000", actor="bench")
        for i, t in enumerate(towns):
            add_region(s, t, f"第{i + 1}镇", "town", "340621", actor="bench")
    stamp = now()
    batch: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    base = dt.date(1925, 1, 1)
    with session_scope(engine) as s:
        for i in range(n):
            born = base + dt.timedelta(days=i % 35_000)
            number = ids.make("340621", born, i // 35_000)
            u = rng.random()
            batch.append(
                {
                    "id_number": number,
                    "name": f"居民{i}",
                    "sex": "M" if int(number[16]) % 2 else "F",
                    "birth_date": born,
                    "region_code": towns[i % len(towns)],
                    "residence": "hukou",
                    "student": "school" if 2004 <= born.year <= 2015 and u < 0.9 else None,
                    "employee_insured": u > 0.93,
                    "status": "deceased" if 0.925 < u <= 0.93 else "active",
                    "died_on": dt.date(2021, 6, 1) if 0.925 < u <= 0.93 else None,
                    "household_id": f"H{i // 4}",
                    "row_version": 1,
                    "updated_at": stamp,
                }
            )
            if len(batch) == 10_000:
                _insert(s, Resident, batch)
                batch = []
        _insert(s, Resident, batch)
        ids_ = list(s.scalars(select(Resident.id).order_by(Resident.id)))
        for rid in rng.sample(ids_, k=len(ids_) * 8 // 100):
            members.append(
                {
                    "resident_id": rid,
                    "category_code": rng.choice(CATS),
                    "source_department": "minzheng",
                    "valid_from": dt.date(2021, 1, 1),
                    "valid_to": None,
                    "batch_id": "bench",
                }
            )
        for k in range(0, len(members), 10_000):
            bulk_insert(s, Membership, members[k : k + 10_000])
    return time.perf_counter() - t0


def _insert(s: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    """COPY on PostgreSQL (urrbmi.db.bulk); SQLAlchemy Core on SQLite (updated_at is a DateTime,
    which bulk_insert leaves to SQLAlchemy)."""
    bulk_insert(s, model, rows)


def change_identities(url: str, k: int, seed: int = 11) -> int:
    """A monthly department list: k residents gain an identity from 2021-11-01 (half of them
    特困人员, fully subsidised) and the identities of k // 10 others end on 2021-10-31."""
    rng = random.Random(seed)
    engine = get_engine(url)
    with session_scope(engine) as s:
        ids_ = list(s.scalars(select(Resident.id).order_by(Resident.id)))
        chosen = rng.sample(ids_, k=k)
        bulk_insert(
            s,
            Membership,
            [
                {
                    "resident_id": rid,
                    "category_code": "tekun" if i % 2 else "dibao",
                    "source_department": "minzheng",
                    "valid_from": dt.date(2021, 11, 1),
                    "valid_to": None,
                    "batch_id": "bench-change",
                }
                for i, rid in enumerate(chosen)
            ],
        )
        ended = list(s.scalars(select(Membership.id).where(Membership.batch_id == "bench").limit(k // 10)))
        s.execute(update(Membership).where(Membership.id.in_(ended)).values(valid_to=dt.date(2021, 10, 31)))
    return k + len(ended)


def write_payments(url: str, cid: int, m: int, path: Path) -> int:
    """A channel file paying the amount due for up to m assessed residents (1% off by 1 yuan)."""
    engine = get_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Resident.id_number, Assessment.total_due_fen)
            .join(Assessment, Assessment.resident_id == Resident.id)
            .where(Assessment.campaign_id == cid, Assessment.status == "due")
            .order_by(Resident.id)
            .limit(m)
        ).all()
    with path.open("w", encoding="utf-8-sig") as fh:
        fh.write("交易流水号,身份证号码,缴费金额,缴费日期\n")
        for i, (number, fen) in enumerate(rows):
            amount = from_fen((fen or 0) + (100 if i % 100 == 99 else 0))
            fh.write(f"WX{i:09d},{number},{fmt(amount)},2021-11-{1 + i % 28:02d}\n")
    return len(rows)


def run(url: str, n: int, m: int, label: str) -> None:
    upgrade(url)
    t_pop = populate(url, n)
    print(f"[{label}] registry: {n:,} residents inserted in {t_pop:.1f} s (setup, not the campaign)")
    engine = get_engine(url)
    with session_scope(engine) as s:
        c = create_campaign(s, "suixi-2022", "340621", actor="bench")
        cid = c.id
    t0, cpu0 = time.perf_counter(), time.process_time()
    with session_scope(engine) as s:
        summary = assess(s, s.merge(c), AS_OF, actor="bench")
    t_assess = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    print(
        f"[{label}] assess: {summary.assessed:,} residents in {t_assess:.1f} s (CPU {cpu:.1f} s) "
        f"({summary.assessed / t_assess:,.0f}/s); due {summary.due:,}, excluded "
        f"{sum(summary.excluded.values()):,}, errors {dict(summary.errors)}, distinct quotes "
        f"{summary.distinct_quotes:,}; subsidised enrolled {summary.enrolled_subsidised:,}; phases "
        + ", ".join(f"{k} {v:.2f} s" for k, v in summary.seconds.items())
    )
    t0, cpu0 = time.perf_counter(), time.process_time()
    with session_scope(engine) as s:
        again = assess(s, s.merge(c), AS_OF, actor="bench")
    t_again = time.perf_counter() - t0
    print(
        f"[{label}] assess again (replaces every row): {again.assessed:,} residents in {t_again:.1f} s "
        f"(CPU {time.process_time() - cpu0:.1f} s); phases "
        + ", ".join(f"{k} {v:.2f} s" for k, v in again.seconds.items())
    )
    changed = change_identities(url, n // 100)
    t0, cpu0 = time.perf_counter(), time.process_time()
    with session_scope(engine) as s:
        re = reassess_changed(s, s.merge(c), AS_OF, actor="bench")
    t_re = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    print(
        f"[{label}] re-assess after {changed:,} identity changes (1%): {re.assessed:,} residents in "
        f"{t_re:.1f} s (CPU {cpu:.1f} s); subsidised enrolled {re.enrolled_subsidised:,}, unenrolled "
        f"{re.unenrolled_subsidised:,}; phases " + ", ".join(f"{k} {v:.2f} s" for k, v in re.seconds.items())
    )
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "payments.csv"
        lines = write_payments(url, cid, m, f)
        t0 = time.perf_counter()
        parsed = read_payment_file(f)
        t_read = time.perf_counter() - t0
        with session_scope(engine) as s:
            pay = apply_payments(s, s.merge(c), "wechat", parsed, actor="bench")
        t_pay = time.perf_counter() - t0
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(Payment))
    print(
        f"[{label}] payments: {lines:,}-line file read+validated in {t_read:.1f} s, applied in one "
        f"transaction, total {t_pay:.1f} s ({lines / t_pay:,.0f}/s); {dict(pay.status)}, held "
        f"{dict(pay.held)}; {stored:,} rows stored"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=100_000)
    ap.add_argument("--payments", type=int, default=100_000)
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument(
        "--pg-url",
        default=os.environ.get("URRBMI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres"),
    )
    args = ap.parse_args()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
        f"residents={args.residents:,} payments={args.payments:,}"
    )
    for url, label in each_backend(args.backend, args.pg_url):
        run(url, args.residents, args.payments, label)


if __name__ == "__main__":
    main()
