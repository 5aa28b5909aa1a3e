"""Properties that must hold for any input, not only the seed notices' numbers."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from urrbmi.targets.funding import split_by_ratio
from urrbmi.targets.progress import UnitCounts, progress_table, required_count, shown_ratio
from urrbmi.targets.tables import compute_task

rates = st.integers(min_value=0, max_value=1000).map(lambda n: Decimal(n) / 1000)


@given(st.integers(min_value=0, max_value=10_000_000), rates)
def test_task_is_the_nearest_whole_person_halves_up(base: int, rate: Decimal) -> None:
    exact = Decimal(base) * rate
    task = compute_task(base, rate)
    assert abs(Decimal(task) - exact) <= Decimal("0.5")
    if Decimal(task) - exact == Decimal("-0.5"):
        raise AssertionError("an exact half must round up")


@given(st.integers(min_value=1, max_value=10_000_000), rates)
def test_required_count_is_the_least_count_reaching_the_rate(base: int, rate: Decimal) -> None:
    need = required_count(base, rate)
    assert Fraction(need, base) >= Fraction(rate)
    assert need == 0 or Fraction(need - 1, base) < Fraction(rate)


@given(
    st.integers(min_value=0, max_value=10**9).map(lambda f: Decimal(f) / 100),
    st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=5),
)
def test_ratio_split_always_adds_up_to_the_total(total: Decimal, weights: list[int]) -> None:
    if sum(weights) == 0:
        weights = [*weights[:-1], 1]
    ratios = [Decimal(w) / sum(weights) for w in weights]
    # make the ratios add up to exactly 1 (Decimal division may leave a tiny remainder)
    ratios[-1] = Decimal(1) - sum(ratios[:-1])
    shares = split_by_ratio(total, {f"L{i}": r for i, r in enumerate(ratios)})
    assert sum(shares.values()) == total
    for share in list(shares.values())[:-1]:
        assert share == share.quantize(Decimal("0.01"))


@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=500), st.integers(min_value=0, max_value=500)),
        min_size=1,
        max_size=12,
    )
)
def test_rank_is_one_plus_the_number_strictly_better(pairs: list[tuple[int, int]]) -> None:
    counts = [UnitCounts(f"u{i}", base, min(base, e)) for i, (base, e) in enumerate(pairs)]
    rows = progress_table(counts, Decimal("0.985"))
    ratio = [shown_ratio(Decimal(c.enrolled) / Decimal(c.base)) for c in counts]  # as printed
    for i, p in enumerate(rows):
        assert p.rank == 1 + sum(1 for r in ratio if r > ratio[i])
    assert min(p.rank or 0 for p in rows) == 1
