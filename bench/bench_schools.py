"""Benchmark: a school of P pupils in a county of N residents (schools as payers, issue 14 item 4).

    PYTHONPATH=$PWD .venv/bin/python bench/bench_schools.py --residents 100000 --pupils 2000 --backend both

Builds the synthetic Suixi county of ``bench_campaign.py`` (N residents, assessed), registers a
school in the first town and times: the roster upload (P residents of that town; read,
checked against the registry, stored, pupils not yet marked students re-assessed), the statement
(each pupil priced), the school's payment (one line per pupil through the ledger's pipeline) and
progress by school. Prints one line per measure; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))

from bench_campaign import AS_OF, populate
from benchdb import each_backend

from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.schools import (
    get_school,
    pay_school,
    register_school,
    school_progress,
    statement,
    upload_roster,
)
from urrbmi.db.models import Resident
from urrbmi.db.session import get_engine, session_scope, upgrade
from urrbmi.money import from_fen

TOWN = "340621100"


def run(url: str, n: int, pupils: int, label: str) -> None:
    os.environ["URRBMI_TODAY"] = AS_OF.isoformat()
    upgrade(url)
    populate(url, n)
    engine = get_engine(url)
    with session_scope(engine) as s:
        c = create_campaign(s, "suixi-2022", "340621", actor="bench")
        assess(s, c, AS_OF, actor="bench")
        school = register_school(s, name="第一实验小学", region_code=TOWN, actor="bench")
        cid, sid = c.id, school.id
        rows = s.execute(
            select(Resident.id_number, Resident.name)
            .where(
                Resident.region_code == TOWN,
                Resident.status == "active",
                Resident.employee_insured.is_(False),
            )
            .order_by(Resident.id)
            .limit(pupils)
        ).all()
    body = "姓名,身份证号码,班级\n" + "".join(
        f"{name},{number},{i % 30}班\n" for i, (number, name) in enumerate(rows)
    )
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        res = upload_roster(s, get_school(s, sid), get_campaign(s, cid), body.encode(), actor="bench")
    t_roster = time.perf_counter() - t0
    print(
        f"[{label}] roster: {len(rows):,} rows uploaded in {t_roster:.2f} s; {res.pupils:,} pupils, "
        f"{res.students_marked:,} marked students and re-assessed, {len(res.problems)} problems"
    )
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        st = statement(s, get_school(s, sid), get_campaign(s, cid), AS_OF)
    t_st = time.perf_counter() - t0
    print(
        f"[{label}] statement: {len(st.lines):,} pupils priced in {t_st:.2f} s; due {len(st.due):,}, "
        f"total {from_fen(st.total_fen)} yuan, enrolled {st.enrolled:,}"
    )
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        paid = pay_school(
            s, get_school(s, sid), get_campaign(s, cid), amount=from_fen(st.total_fen), channel="bank",
            external_ref="BENCH-1", paid_on=AS_OF, actor="bench",
        )  # fmt: skip
    t_pay = time.perf_counter() - t0
    print(
        f"[{label}] pay: one amount for {len(paid.receipts):,} pupils in {t_pay:.2f} s "
        f"(statement again, checks, pipeline); accepted {paid.accepted:,}, held {paid.held:,}"
    )
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        (row,) = school_progress(s, get_campaign(s, cid), AS_OF)
    print(
        f"[{label}] progress by school: {row.enrolled:,}/{row.roster:,} in {time.perf_counter() - t0:.2f} s "
        f"(county of {n:,})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=100_000)
    ap.add_argument("--pupils", type=int, default=2_000)
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument(
        "--pg-url",
        default=os.environ.get("URRBMI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres"),
    )
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; residents={args.residents:,}")
    for url, label in each_backend(args.backend, args.pg_url):
        run(url, args.residents, args.pupils, label)


if __name__ == "__main__":
    main()
