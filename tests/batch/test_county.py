"""A synthetic Suixi-size county (1.14 million residents): the batch engine agrees with the
scalar engine on every resident."""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from urrbmi.batch import assess_frame, encode
from urrbmi.batch.convert import disagreements_in_files
from urrbmi.batch.sample import synthetic_residents
from urrbmi.policy import load_policy
from urrbmi.policy.categories import vocabulary
from urrbmi.policy.loader import LoadedPolicy

SUIXI_POPULATION = 1_141_677  # urrbmi.synth's full-size Suixi


def county(p: LoadedPolicy) -> pl.DataFrame:
    """Suixi's people from urrbmi.synth (birth dates, residence, identities, students), with
    payments and the other fields the engine reads drawn by numpy around them."""
    from urrbmi.synth import County

    bits = {c.code: 1 << i for i, c in enumerate(vocabulary().categories)}
    born, residence, cats, student = [], [], [], []
    for r in County.suixi(scale=1.0, seed=1).residents():
        born.append(r.birth_date)
        residence.append(r.residence)
        cats.append(sum(bits[c] for c in r.categories))
        student.append("college" if r.student == "college" else ("school" if r.student else None))
    n = len(born)
    numbers = synthetic_residents(p, n, seed=2)  # payments, flags, employee insurance, newborns
    # synth's registry is as of 2021-09-30: children born in the benefit year come from numpy
    newborn = pl.col("birth_date").dt.year() == p.benefit_year
    return numbers.with_columns(
        birth_date=pl.when(newborn).then(pl.col("birth_date")).otherwise(pl.Series(born, dtype=pl.Date)),
        residence=pl.Series(residence, dtype=pl.String),
        categories=pl.Series(cats, dtype=pl.Int64),
        student=pl.Series(student, dtype=pl.String),
    )


@pytest.mark.slow
def test_batch_agrees_with_scalar_on_every_resident_of_a_suixi_size_county(tmp_path: Path) -> None:
    p = load_policy("suixi-2022")
    try:
        frame = county(p)
    except ImportError:  # urrbmi.synth not available: the same size from numpy alone
        frame = synthetic_residents(p, SUIXI_POPULATION, seed=2)
    assert frame.height >= 1_100_000
    out = assess_frame(frame, p)
    assert out.height == frame.height
    # every outcome a Suixi resident can have appears
    assert {"centralized", "newborn", "employee_transfer"} <= set(out["window"].drop_nulls().cast(str))
    assert {"policy_gap", "no_benefit_period"} <= set(out["error"].drop_nulls().cast(str))

    coded, result = tmp_path / "coded.parquet", tmp_path / "result.parquet"
    encode(frame).collect().write_parquet(coded)
    out.write_parquet(result)
    workers = max(os.cpu_count() or 1, 1)
    cuts = np.linspace(0, frame.height, workers * 4 + 1, dtype=int).tolist()
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(disagreements_in_files, p.id, str(coded), str(result), a, b)
            for a, b in itertools.pairwise(cuts)
        ]
        bad = [i for f in futures for i in f.result()]
    assert bad == [], f"{len(bad)} rows disagree, e.g. {frame[bad[:3]].to_dicts()}"
