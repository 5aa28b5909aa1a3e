"""Synthetic residents: valid unique IDs consistent with sex and birth date, households with
guardians, known categories, realistic rates, determinism."""

import datetime as dt
from collections import Counter
from functools import cache

import pytest

from urrbmi import ids
from urrbmi.policy.categories import vocabulary
from urrbmi.synth import County, Resident


@cache
def small() -> tuple[Resident, ...]:
    return tuple(County.suixi(scale=0.002, seed=11).residents())


@cache
def medium() -> tuple[Resident, ...]:
    return tuple(County.suixi(scale=0.03, seed=5).residents())


def test_count_matches_the_tree() -> None:
    county = County.suixi(scale=0.002, seed=11)
    assert len(small()) == county.tree.county.population == round(1_141_677 * 0.002)


def test_ids_valid_unique_and_consistent() -> None:
    people = medium()
    numbers = [r.id_number for r in people]
    assert len(numbers) == len(set(numbers))
    for r in people:
        assert ids.is_valid(r.id_number), r.id_number
        assert ids.sex(r.id_number) == r.sex
        assert ids.birth_date(r.id_number) == r.birth_date
    regions = Counter(r.id_number[:6] for r in people if r.residence == "hukou")
    assert regions["340621"] / sum(regions.values()) > 0.85


def test_same_seed_same_residents_other_seed_other_residents() -> None:
    again = tuple(County.suixi(scale=0.002, seed=11).residents())
    assert again == small()
    other = tuple(County.suixi(scale=0.002, seed=12).residents())
    assert [r.id_number for r in other] != [r.id_number for r in small()]


def test_a_town_alone_is_the_same_as_within_the_county() -> None:
    county = County.suixi(scale=0.002, seed=11)
    town = county.tree.towns[3].code
    assert tuple(county.residents(town)) == tuple(r for r in small() if r.town_code == town)


def test_minors_have_an_adult_guardian_in_their_household() -> None:
    people = medium()
    by_id = {r.id_number: r for r in people}
    as_of = County.suixi(0.03, 5).as_of
    minors = [r for r in people if r.age(as_of) < 18]
    assert minors
    with_guardian = [r for r in minors if r.guardian_id]
    assert len(with_guardian) / len(minors) > 0.99
    for r in with_guardian:
        g = by_id[r.guardian_id]
        assert g.household_id == r.household_id
        assert g.age(as_of) >= 18 and g.age(as_of) - r.age(as_of) >= 16
    heads = Counter(r.household_id for r in people if r.relation == "户主")
    assert set(heads.values()) == {1}, "one head per household"


def test_categories_are_known_codes() -> None:
    voc = vocabulary()
    seen = {c for r in medium() for c in r.categories}
    assert seen and seen <= set(voc.by_code)


def test_rates_are_realistic() -> None:
    people = medium()
    n = len(people)
    as_of = County.suixi(0.03, 5).as_of
    cats = Counter(c for r in people for c in r.categories)
    assert 0.002 < cats["tekun"] / n < 0.01
    assert 0.02 < cats["dibao"] / n < 0.045
    assert 0.03 < cats["stable_out_of_poverty"] / n < 0.08
    assert 0.005 < cats["severe_disability"] / n < 0.02
    elderly = sum(r.age(as_of) >= 60 for r in people) / n
    assert 0.14 < elderly < 0.25
    children = sum(r.age(as_of) < 18 for r in people) / n
    assert 0.15 < children < 0.25
    pupils = sum(r.student in ("primary", "junior") for r in people) / n
    assert 0.08 < pupils < 0.16
    assert 0.01 < sum(r.residence == "permit" for r in people) / n < 0.05
    assert 0.03 < sum(r.employee_insured for r in people) / n < 0.12
    deceased = [r for r in people if r.deceased_on]
    assert 0.002 < len(deceased) / n < 0.015
    assert all(r.birth_date <= r.deceased_on <= as_of for r in deceased if r.deceased_on)
    men = sum(r.sex == "M" for r in people) / n
    assert 0.48 < men < 0.53


def test_students_are_of_school_age() -> None:
    as_of = County.suixi(0.03, 5).as_of
    ages = {
        "preschool": (3, 5),
        "primary": (6, 11),
        "junior": (12, 14),
        "senior": (15, 17),
        "college": (18, 21),
    }
    for r in medium():
        if r.student:
            lo, hi = ages[r.student]
            assert lo <= r.age(as_of) <= hi


def test_as_of_moves_ages() -> None:
    later = County.suixi(scale=0.002, seed=11, as_of=dt.date(2024, 9, 30))
    first = next(later.residents())
    assert first.birth_date.year > small()[0].birth_date.year - 1


@pytest.mark.slow
def test_suixi_full_size_ids_unique() -> None:
    county = County.suixi(scale=1.0, seed=1)
    numbers = set()
    count = 0
    for r in county.residents():
        numbers.add(r.id_number)
        count += 1
    assert count == len(numbers) == 1_141_677
