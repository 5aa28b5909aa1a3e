"""Synthetic registries for benchmarks and the county-size agreement test, made with numpy.

Not a realistic county (urrbmi.synth makes those, with IDs and department lists): the engine
needs only the fields it reads, so this draws them directly, millions per second, with a mix
that reaches every branch: most residents pay in the centralized window, some late, some
before it; a few percent hold hardship identities (some two or three); about one in a hundred
is a newborn; a few leave employee insurance; a few have no birth date or no residence.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from urrbmi.policy.categories import vocabulary
from urrbmi.policy.loader import LoadedPolicy

_EPOCH = dt.date(1970, 1, 1)


def _days(d: dt.date) -> int:
    return (d - _EPOCH).days


def synthetic_residents(policy: LoadedPolicy, n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` residents in the coded form :func:`urrbmi.batch.assess_frame` reads."""
    rng = np.random.default_rng(seed)
    m = policy.model
    year = policy.benefit_year
    starts = [p.when.paid_from for p in m.pathways if p.when.paid_from]
    lo = min(starts) - dt.timedelta(days=20)
    hi = dt.date(year, 12, 31)
    centralized = next((p for p in m.pathways if p.code == "centralized"), None)
    c_lo = centralized.when.paid_from if centralized and centralized.when.paid_from else lo
    c_hi = centralized.when.paid_to if centralized and centralized.when.paid_to else hi

    # payment: 85% in the centralized window, the rest anywhere from 20 days before the first
    # window to the end of the benefit year
    in_window = rng.random(n) < 0.85
    paid = np.where(
        in_window,
        rng.integers(_days(c_lo), _days(c_hi) + 1, n),
        rng.integers(_days(lo), _days(hi) + 1, n),
    ).astype(np.int32)
    # birth: ages 0-95, 1% newborns of the benefit year (half paid within 90 days of birth)
    born = (_days(dt.date(year, 1, 1)) - rng.integers(0, 95 * 365, n)).astype(np.int32)
    newborn = rng.random(n) < 0.01
    nb = rng.integers(_days(dt.date(year, 1, 1)), _days(dt.date(year, 12, 1)), n).astype(np.int32)
    born = np.where(newborn, nb, born)
    paid = np.where(newborn & (rng.random(n) < 0.5), nb + rng.integers(0, 120, n), paid)
    paid = np.minimum(paid, _days(hi)).astype(np.int32)

    tiers = np.array(m.tiers, dtype=np.int8)
    tier = tiers[rng.integers(0, len(tiers), n)]
    student = np.where(rng.random(n) < 0.15, np.where(rng.random(n) < 0.2, 2, 1), 0).astype(np.int8)
    residence = rng.choice(np.array([0, 1, 2, -1], dtype=np.int8), n, p=[0.5, 0.05, 0.01, 0.44])

    # identities: 6% hold one, some of them a second and third
    k = len(vocabulary().categories)
    cats = np.zeros(n, dtype=np.int64)
    for share in (0.06, 0.01, 0.002):
        has = rng.random(n) < share
        cats |= np.where(has, np.int64(1) << rng.integers(0, k, n, dtype=np.int64), 0)

    employee = rng.random(n) < 0.02
    ended = paid - rng.integers(-30, 400, n).astype(np.int32)
    years = rng.integers(0, 41, n) / 4

    def dates(x: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
        s = pl.Series(x.astype(np.int32)).cast(pl.Date)
        return s if valid is None else s.set(pl.Series(~valid), None)

    no_birth = rng.random(n) < 0.005
    return pl.DataFrame(
        {
            "birth_date": dates(born, ~no_birth),
            "paid_on": dates(paid),
            "tier": tier,
            "student": student,
            "graduating": rng.random(n) < 0.03,
            "returning_migrant_worker": rng.random(n) < 0.05,
            "guardian_enrolled": rng.random(n) < 0.5,
            "residence": pl.Series(residence).replace(-1, None),
            "employee_ended_on": dates(ended, employee),
            "employee_years": pl.Series(np.where(employee, years, np.nan)).fill_nan(None),
            "categories": cats,
        }
    )
