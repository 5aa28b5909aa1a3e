"""Benchmark: the engine part of a campaign assessment, without a database.

    .venv/bin/python bench/bench_assess_engine.py 1000000

Builds a frame shaped like ``urrbmi.campaign.assess_frame.read_residents``' result (birth dates over
96 years, 7% employee-insured, 8% with 特困/低保 identities) and times
``urrbmi.campaign.assess_frame.price_frame`` (batch engine on every row, the scalar engine once per
distinct profile, the agreement check, the output columns) twice: wall and CPU seconds.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any

import polars as pl

from urrbmi.campaign.assess_frame import price_frame
from urrbmi.campaign.campaigns import Pricer
from urrbmi.policy import load_policy


class _Campaign:
    id = 1
    policy_version = "bench"


def frame(n: int) -> pl.DataFrame:
    ident = (
        pl.when(pl.col("id") % 12 == 0)
        .then(pl.lit("tekun"))
        .when(pl.col("id") % 13 == 0)
        .then(pl.lit("dibao"))
    )
    return pl.DataFrame({"id": pl.int_range(0, n, eager=True)}).with_columns(
        birth_date=pl.lit(dt.date(1925, 1, 1)) + pl.duration(days=pl.col("id") % 35_000),
        residence=pl.lit("hukou"),
        student=pl.lit(None, pl.String),
        employee_insured=(pl.col("id") % 14 == 0).cast(pl.Int8),
        employee_ended_on=pl.lit(None, pl.Date),
        employee_insurance_years=pl.lit(None, pl.Int64),
        status=pl.lit("active"),
        died_on=pl.lit(None, pl.Date),
        guardian_enrolled=pl.lit(0, pl.Int8),
        elsewhere=pl.lit(0, pl.Int8),
        enrolled_by=pl.lit(None, pl.String),
        cats=ident,
        chosen_tier=pl.lit(None, pl.Int64),
        a_categories=pl.lit(None, pl.String),
        categories=ident.fill_null(""),
        graduating=pl.lit(0, pl.Int8),
        returning_migrant=pl.lit(0, pl.Int8),
        last_insured=pl.lit(None, pl.Int64),
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    df = frame(n)
    policy = load_policy("suixi-2022")
    c: Any = _Campaign()
    for run in ("first", "second"):
        t, cpu = time.perf_counter(), time.process_time()
        out = price_frame(c, Pricer(policy), df, dt.date(2021, 11, 15), 1)
        print(
            f"{run}: {out.height:,} residents in {time.perf_counter() - t:.2f} s "
            f"(CPU {time.process_time() - cpu:.2f} s, all threads)"
        )


if __name__ == "__main__":
    main()
