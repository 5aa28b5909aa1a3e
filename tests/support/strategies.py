"""Random residents for agreement tests: the field distributions of tests/policy/test_properties.py,
widened to reach every branch the batch engine compiles (missing birth dates, residence, tiers a
policy lacks, newborns, employee-insurance transfers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from hypothesis import strategies as st

from urrbmi.policy.categories import vocabulary
from urrbmi.policy.loader import LoadedPolicy
from urrbmi.policy.resident import ResidentInput

NAMES = [c.name for c in vocabulary().categories]
ALIASES = [a for c in vocabulary().categories for a in c.aliases]


def _window(p: LoadedPolicy) -> tuple[dt.date, dt.date]:
    starts = [w.when.paid_from for w in p.model.pathways if w.when.paid_from]
    return min(starts) - dt.timedelta(days=20), dt.date(p.benefit_year, 12, 31)


@st.composite
def resident_fields(draw: st.DrawFn, p: LoadedPolicy) -> dict[str, Any]:
    year = p.benefit_year
    lo, hi = _window(p)
    paid = draw(st.dates(lo, hi))
    born = draw(
        st.one_of(
            st.dates(dt.date(1925, 1, 1), dt.date(year, 12, 31)),
            st.dates(dt.date(year, 1, 1), dt.date(year, 12, 31)),  # newborns
            st.dates(paid - dt.timedelta(days=120), paid),
            st.none(),
        )
    )
    fields: dict[str, Any] = {
        "paid_on": paid,
        "categories": draw(st.lists(st.sampled_from(NAMES + ALIASES[:10]), max_size=3)),
        "tier": draw(st.sampled_from([1, 2])),
        "student": draw(st.sampled_from([None, None, "school", "college"])),
        "graduating": draw(st.booleans()),
        "returning_migrant_worker": draw(st.booleans()),
        "guardian_enrolled": draw(st.booleans()),
        "residence": draw(st.sampled_from([None, None, "hukou", "permit", "none"])),
    }
    if born is not None:
        fields["birth_date"] = born
    if p.model.continuity is not None:  # enrollment history for the national 2025 rule
        fields["insured_years"] = draw(
            st.one_of(st.none(), st.lists(st.integers(year - 8, year), max_size=4).map(tuple))
        )
        fields["repaired_years"] = draw(st.integers(0, 4))
    if draw(st.booleans()):
        ended = draw(st.dates(paid - dt.timedelta(days=400), paid + dt.timedelta(days=30)))
        years = draw(st.one_of(st.integers(0, 10), st.floats(0, 10, allow_nan=False)))
        fields["employee_insurance"] = {"ended_on": ended, "years": years}
    return fields


def residents(p: LoadedPolicy) -> st.SearchStrategy[ResidentInput]:
    return resident_fields(p).map(ResidentInput.model_validate)


def random_residents(p: LoadedPolicy, n: int, seed: int) -> list[ResidentInput]:
    """The same distributions drawn with numpy (for larger samples than hypothesis makes)."""
    rng = np.random.default_rng(seed)
    lo, hi = _window(p)
    year = p.benefit_year
    out: list[ResidentInput] = []
    span = (hi - lo).days
    for _ in range(n):
        paid = lo + dt.timedelta(days=int(rng.integers(0, span + 1)))
        kind = rng.integers(0, 4)
        born: dt.date | None
        if kind == 0:
            born = dt.date(1925, 1, 1) + dt.timedelta(
                days=int(rng.integers(0, (dt.date(year, 12, 31) - dt.date(1925, 1, 1)).days))
            )
        elif kind == 1:
            born = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
        elif kind == 2:
            born = paid - dt.timedelta(days=int(rng.integers(0, 121)))
        else:
            born = None if rng.random() < 0.3 else dt.date(1990, 6, 15)
        cats = [NAMES[i] for i in rng.choice(len(NAMES), size=int(rng.integers(0, 4)), replace=False)]
        fields: dict[str, Any] = {
            "paid_on": paid,
            "categories": cats,
            "tier": int(rng.integers(1, 3)) if rng.random() < 0.1 else int(rng.choice(p.model.tiers)),
            "student": [None, None, "school", "college"][int(rng.integers(0, 4))],
            "graduating": bool(rng.integers(0, 2)),
            "returning_migrant_worker": bool(rng.integers(0, 2)),
            "guardian_enrolled": bool(rng.integers(0, 2)),
            "residence": [None, None, None, "hukou", "permit", "none"][int(rng.integers(0, 6))],
        }
        if born is not None:
            fields["birth_date"] = born
        if rng.random() < 0.5:
            ended = paid + dt.timedelta(days=int(rng.integers(-400, 31)))
            fields["employee_insurance"] = {"ended_on": ended, "years": float(rng.integers(0, 41)) / 4}
        out.append(ResidentInput.model_validate(fields))
    return out
