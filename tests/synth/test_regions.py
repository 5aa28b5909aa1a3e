"""The Suixi-like region tree: the annex's towns and populations, scaled; well-formed codes."""

import pytest

from urrbmi.synth.regions import SUIXI_POPULATION, SUIXI_TOWNS, split, suixi


def test_full_size_tree_has_the_annex_towns_and_populations() -> None:
    tree = suixi(1.0, seed=1)
    assert tree.county.code == "340621" and tree.county.name == "濉溪县"
    assert [(t.name, t.population) for t in tree.towns] == list(SUIXI_TOWNS)
    assert tree.county.population == SUIXI_POPULATION == sum(p for _, p in SUIXI_TOWNS)
    for town in tree.towns:
        assert sum(v.population for v in tree.villages_of(town.code)) == town.population


@pytest.mark.parametrize("scale", [0.001, 0.01, 0.3])
def test_scaled_populations_add_up(scale: float) -> None:
    tree = suixi(scale, seed=2)
    assert tree.county.population == round(SUIXI_POPULATION * scale)
    assert sum(t.population for t in tree.towns) == tree.county.population
    assert sum(v.population for v in tree.villages) == tree.county.population
    # the biggest town stays the biggest
    assert max(tree.towns, key=lambda t: t.population).name == "铁佛镇"


def test_codes_are_unique_and_nested() -> None:
    tree = suixi(0.01, seed=3)
    codes = [r.code for r in tree]
    assert len(codes) == len(set(codes))
    towns = {t.code for t in tree.towns}
    assert all(len(t) == 9 and t.startswith("340621") for t in towns)
    for v in tree.villages:
        assert len(v.code) == 12 and v.parent in towns and v.code.startswith(v.parent)
    names = [(v.parent, v.name) for v in tree.villages]
    assert len(names) == len(set(names)), "village names repeat within a town"
    # the development zone gets a 4xx code, towns 1xx
    zone = next(t for t in tree.towns if t.name.startswith("开发区"))
    assert zone.code[6] == "4" and all(t.code[6] == "1" for t in tree.towns if t is not zone)


def test_villages_per_town_override_and_same_seed_same_tree() -> None:
    assert len(suixi(0.01, 1, villages_per_town=3).villages) == 36
    assert suixi(0.01, 7) == suixi(0.01, 7)
    assert suixi(0.01, 7).villages != suixi(0.01, 8).villages


@pytest.mark.parametrize(
    "total,weights", [(10, [1, 1, 1]), (7, [0.5, 0.25, 0.25]), (0, [1, 2]), (101, [3, 1])]
)
def test_split_keeps_the_total(total: int, weights: list[float]) -> None:
    parts = split(total, weights)
    assert sum(parts) == total and all(p >= 0 for p in parts)
