"""The batch engine agrees with the scalar engine, row by row, on every output field and error."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from strategies import random_residents, residents

from urrbmi.batch import assess_frame
from urrbmi.batch.convert import batch_rows, canonical_categories, frame_from_inputs, scalar_row
from urrbmi.policy import load_policy, load_policy_file
from urrbmi.policy.loader import LoadedPolicy
from urrbmi.policy.resident import ResidentInput

POLICIES = ["changji-2023", "fengdu-shetan-2023", "qianjiang-2022", "suixi-2022", "taixing-2022"]
FIXTURES = Path(__file__).parents[1] / "policy" / "fixtures"


def _policy(pid: str) -> LoadedPolicy:
    if (FIXTURES / f"{pid}.yaml").exists():
        return load_policy_file(FIXTURES / f"{pid}.yaml")
    return load_policy(pid)


ENGINES = ["plan", "profiles"]


def compare(p: LoadedPolicy, rows: list[ResidentInput], engine: str = "auto") -> Counter[str]:
    """Assess rows both ways and assert equality; returns outcome counts (for coverage checks)."""
    # The scalar engine breaks subsidy ties by the order the resident lists identities; the batch
    # engine by the policy's rule order. Give the scalar engine the policy's order.
    rows = [r.model_copy(update={"categories": canonical_categories(p, r.categories)}) for r in rows]
    got = batch_rows(assess_frame(frame_from_inputs(rows), p, engine=engine))  # type: ignore[arg-type]
    seen: Counter[str] = Counter()
    for r, actual in zip(rows, got, strict=True):
        expected = scalar_row(p, r)
        assert actual == expected, f"{p.id}: {r.model_dump(exclude_defaults=True)}"
        seen[expected.get("error") or str(expected["window"])] += 1
    return seen


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("pid", [*POLICIES, "example-2025", "fengdu-shetan-2023-filled"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_agrees_with_scalar_on_random_residents(pid: str, engine: str, data: st.DataObject) -> None:
    """For ``profiles`` this checks what the reduction to profiles assumes (the canonical birth
    date, the coded input read back) and the join; for ``plan`` the second implementation."""
    p = _policy(pid)
    compare(p, data.draw(st.lists(residents(p), min_size=1, max_size=25)), engine)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_profiles_agree_on_random_residents_with_rule_kinds_the_plan_lacks(data: st.DataObject) -> None:
    """national-2025: conditional premiums, age bands, combined identities, gaps in days, the
    national waiting rule from random enrollment histories (issue 17 items 2 and 5)."""
    p = _policy("national-2025")
    compare(p, data.draw(st.lists(residents(p), min_size=1, max_size=25)))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("pid", POLICIES)
def test_batch_agrees_on_a_larger_sample_reaching_every_pathway(pid: str, engine: str) -> None:
    p = _policy(pid)
    seen = compare(p, random_residents(p, 4000, seed=len(pid)), engine)
    # the sample reaches every pathway a resident can be quoted under, and the main error kinds
    gap = p.model.fiscal_subsidy.__class__.__name__ == "Gap"
    quotable = {w.code for w in p.model.pathways if not (gap and w.fiscal_portion_due)}
    assert quotable <= set(seen), seen
    assert {"invalid_input", "missing_input"} & set(seen), seen


def test_batch_agrees_on_a_notices_own_identities(monkeypatch: pytest.MonkeyPatch) -> None:
    """Identities a notice defines get bit numbers (after the national ones) and price alike."""
    import numpy as np

    monkeypatch.setenv("URRBMI_POLICY_PATH", str(FIXTURES))
    p = load_policy("lingshan-2025")
    names = [n for c in p.vocabulary.categories for n in (c.name, *c.aliases)]
    rng = np.random.default_rng(17)
    rows = [
        r.model_copy(update={"categories": tuple(rng.choice(names, size=int(rng.integers(0, 3))))})
        for r in random_residents(p, 1500, seed=17)
    ]
    seen = compare(p, rows, "plan")
    assert compare(p, rows, "profiles") == seen
    assert seen["centralized"] > 0, seen
    got = batch_rows(assess_frame(frame_from_inputs(rows), p))
    assert {"三、四级残疾人", "烈属", "低收入人口"} <= {g.get("subsidy_category") for g in got}


def test_a_rule_kind_only_the_scalar_engine_knows_is_priced_by_profiles() -> None:
    """Issue 17 item 5: a policy using rule kinds the column plan lacks (the national 2025
    waiting rule from enrollment history, conditional premiums, age bands, identities combined,
    gaps in days, day-count rules) is refused by the plan and priced by profiles, which agree
    with the scalar engine row by row, history columns included."""
    import numpy as np

    from urrbmi.batch.compile import NotCompiled, compile_policy

    p = _policy("national-2025")
    with pytest.raises(NotCompiled, match="continuity"):
        compile_policy(p)
    rng = np.random.default_rng(25)
    names = ["特困人员", "低保对象", "重度残疾人", "稳定脱贫人口"]
    rows = []
    for r in random_residents(p, 1500, seed=25):
        last = int(rng.integers(2018, 2025))
        rows.append(
            r.model_copy(
                update={
                    "categories": tuple(rng.choice(names, size=int(rng.integers(0, 3)), replace=False)),
                    "insured_years": None if rng.random() < 0.2 else (last,),
                    "repaired_years": int(rng.integers(0, 3)),
                }
            )
        )
    seen = compare(p, rows)
    assert {"centralized", "late"} <= set(seen), seen


def test_cohort_periods_gap_months_and_cross_year_newborns_are_priced_by_profiles() -> None:
    """rules-2025 (issue 17 item 2): benefit periods by cohort, next month / the month after
    next, identities on a reference date, newborns paying across the year boundary. The plan
    refuses these rule kinds; profiles agree with the scalar engine row by row."""
    import datetime as dt

    import numpy as np

    from urrbmi.batch.compile import NotCompiled, compile_policy

    p = _policy("rules-2025")
    with pytest.raises(NotCompiled, match=r"cohorts.*|new_student|before_period|month_after_next"):
        compile_policy(p)
    rng = np.random.default_rng(5)
    rows = []
    for r in random_residents(p, 1500, seed=5):
        update: dict[str, object] = {"new_student": bool(rng.random() < 0.5)}
        if rng.random() < 0.2:  # newborns around the year boundary, paying within or after 90 days
            born = dt.date(2024, 9, 1) + dt.timedelta(days=int(rng.integers(0, 150)))
            paid = born + dt.timedelta(days=int(rng.integers(0, 120)))
            update |= {"birth_date": born, "id_number": None, "paid_on": paid, "student": None}
        rows.append(r.model_copy(update=update))
    seen = compare(p, rows)
    assert {"centralized", "newborn_cross_year", "late"} <= set(seen), seen


def test_profiles_give_each_stage_of_the_amount_due() -> None:
    import datetime as dt

    from urrbmi.batch.profiles import assess_profiles

    p = _policy("national-2025")
    r = ResidentInput(
        paid_on=dt.date(2024, 10, 15), birth_date=dt.date(1980, 5, 5), categories=("重度残疾人",)
    )
    out = assess_profiles(frame_from_inputs([r]), p, stages=True)
    row = out.row(0, named=True)
    assert (row["standard_fen"], row["reduction_fen"], row["assistance_fen"]) == (40000, 20000, 20000)
    assert (row["other_premiums_fen"], row["total_due_fen"]) == (3000, 3000)


@pytest.mark.parametrize("engine", ["plan", "profiles"])
def test_assess_frame_computes_only_the_outputs_asked_for(engine: str) -> None:
    """``columns=``: the requested outputs, equal to those of a full run (issue 19 item 3)."""
    from urrbmi.batch.sample import synthetic_residents

    p = load_policy("qianjiang-2022")
    frame = synthetic_residents(p, 2000, seed=4).with_row_index("row")
    full = assess_frame(frame, p, keep=["row"], engine=engine)  # type: ignore[arg-type]
    wanted = ["total_due_fen", "error", "benefit_start"]
    part = assess_frame(frame, p, keep=["row"], engine=engine, columns=wanted)  # type: ignore[arg-type]
    assert part.columns == ["row", "error", "total_due_fen", "benefit_start"]
    assert_frame_equal(part, full.select(part.columns))
    with pytest.raises(ValueError, match="not batch outputs"):
        assess_frame(frame, p, columns=["total_due"])
