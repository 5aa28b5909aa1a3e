"""Synthetic residents of a county, generated town by town from a seed.

Each town has its own random stream (seeded from the county seed and the town code) and its own
block of 80 ID sequence numbers per region code and birth date (real sequence numbers also start
with the police station's digits), so towns can be generated, streamed or regenerated
independently and IDs never collide. Rates are documented in docs/synth.md.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate

from urrbmi import ids
from urrbmi.synth import names
from urrbmi.synth.regions import Region, RegionTree

# Share of people in each 5-year age group (0-4 … 95-99), 7th national census 2020, rounded.
AGE_GROUPS: tuple[float, ...] = (
    5.5,
    6.4,
    6.1,
    5.3,
    5.3,
    6.6,
    8.8,
    7.0,
    6.7,
    8.1,
    8.8,
    7.2,
    5.2,
    5.5,
    3.8,
    2.4,
    1.6,
    0.9,
    0.3,
    0.08,
)
_AGE_CUM = tuple(accumulate(w / 5 for w in AGE_GROUPS for _ in range(5)))

# ID region codes: most hukou residents were first registered in the county; some in Huaibei's
# districts or elsewhere (marriage, moves). Residence-permit holders come from elsewhere.
_HUAIBEI = ("340602", "340603", "340604")
_ELSEWHERE = ("341321", "341221", "340322", "341282", "320382", "320321", "410526", "410523", "370827")

# Household-level statuses (probability per household): 乡村振兴 first, then 民政.
_XIANGCUN = (
    ("stable_out_of_poverty", 0.05),
    ("unstable_out_of_poverty", 0.004),
    ("edge_of_poverty", 0.003),
    ("relapsed_poverty", 0.0005),
)
_DIBAO_IF_XIANGCUN = 0.10
_DIBAO_OTHERWISE = 0.0257  # so that about 3% of people are 低保对象
_DIBAO_EDGE = 0.005

STUDENT_STAGES = ("preschool", "primary", "junior", "senior", "college")
_STAGE_BY_AGE: dict[int, tuple[str, float]] = {
    **{a: ("preschool", 0.85) for a in (3, 4, 5)},
    **{a: ("primary", 0.995) for a in range(6, 12)},
    **{a: ("junior", 0.98) for a in range(12, 15)},
    **{a: ("senior", 0.90) for a in range(15, 18)},
    **{a: ("college", 0.55) for a in range(18, 22)},
}

RELATIONS = ("户主", "配偶", "子女", "孙子女", "其他")


@dataclass(slots=True)
class Resident:
    id_number: str
    name: str
    sex: str  # "M" | "F", consistent with the ID's 17th digit
    birth_date: dt.date
    town_code: str
    village_code: str
    household_id: str
    relation: str  # one of RELATIONS (to the household head)
    guardian_id: str = ""  # minors: a parent's or grandparent's ID
    residence: str = "hukou"  # "hukou" (本县户籍) | "permit" (居住证)
    categories: tuple[str, ...] = ()  # codes from the national vocabulary
    student: str = ""  # one of STUDENT_STAGES or ""
    employee_insured: bool = False  # in employee insurance (职工医保): not for resident insurance
    deceased_on: dt.date | None = None
    phone: str = ""

    def age(self, on: dt.date) -> int:
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


RESIDENT_COLUMNS = (
    "id_number",
    "name",
    "sex",
    "birth_date",
    "town_code",
    "village_code",
    "household_id",
    "relation",
    "guardian_id",
    "residence",
    "categories",
    "student",
    "employee_insured",
    "deceased_on",
    "phone",
)


def as_row(r: Resident) -> dict[str, str]:
    """A resident as a flat row of strings (the residents.csv columns)."""
    return {
        "id_number": r.id_number,
        "name": r.name,
        "sex": r.sex,
        "birth_date": r.birth_date.isoformat(),
        "town_code": r.town_code,
        "village_code": r.village_code,
        "household_id": r.household_id,
        "relation": r.relation,
        "guardian_id": r.guardian_id,
        "residence": r.residence,
        "categories": ";".join(r.categories),
        "student": r.student,
        "employee_insured": "1" if r.employee_insured else "0",
        "deceased_on": r.deceased_on.isoformat() if r.deceased_on else "",
        "phone": r.phone,
    }


@dataclass(slots=True)
class _Person:
    age: int
    sex: str
    resident: Resident | None = None
    household: int = -1
    kids: list[int] = field(default_factory=list)


class _IdMaker:
    """Unique IDs within one town's sequence block (80 numbers per region and birth date)."""

    def __init__(self, rng: random.Random, block: int) -> None:
        if not 0 <= block < 12:
            raise ValueError("a county has at most 12 ID sequence blocks (towns) in this generator")
        self.rng = rng
        self.base = block * 80
        self.used: set[str] = set()

    def make(self, region: str, born: dt.date, sex: str) -> str:
        parity = 1 if sex == "M" else 0
        for _ in range(8):
            seq = self.base + 2 * self.rng.randrange(40) + parity
            number = ids.make(region, born, seq)
            if number not in self.used:
                self.used.add(number)
                return number
        for j in range(40):
            number = ids.make(region, born, self.base + 2 * j + parity)
            if number not in self.used:
                self.used.add(number)
                return number
        raise ValueError(f"ID sequence block full for {region} {born}: lower the scale")


def generate_town(
    tree: RegionTree, town: Region, seed: int, as_of: dt.date, block: int
) -> Iterator[Resident]:
    """The residents of one town, village by village, household by household."""
    rng = random.Random(f"urrbmi-synth:{seed}:{town.code}")
    maker = _IdMaker(rng, block)
    for village in tree.villages_of(town.code):
        yield from _village(rng, maker, village, as_of)


def _village(rng: random.Random, maker: _IdMaker, village: Region, as_of: dt.date) -> list[Resident]:
    n = village.population
    if n == 0:
        return []
    rnd = rng.random
    ages = [bisect(_AGE_CUM, rnd() * _AGE_CUM[-1]) for _ in range(n)]
    people = [_Person(a, _sex(rnd(), a)) for a in ages]
    adults = [i for i, p in enumerate(people) if p.age >= 18]
    minors = [i for i, p in enumerate(people) if p.age < 18]

    # Couples: about 80% of adults aged 22+ are married; husbands ~2 years older.
    men = [i for i in adults if people[i].sex == "M" and people[i].age >= 22 and rnd() < 0.8]
    women = [i for i in adults if people[i].sex == "F" and people[i].age >= 20 and rnd() < 0.8]
    men.sort(key=lambda i: people[i].age + rng.uniform(-3, 3))
    women.sort(key=lambda i: people[i].age + 2 + rng.uniform(-3, 3))
    households: list[list[int]] = []  # member indexes, head first
    for h, w in zip(men, women, strict=False):
        people[h].household = people[w].household = len(households)
        households.append([h, w])
    for i in adults:
        if people[i].household < 0:
            people[i].household = len(households)
            households.append([i])
    if not households:  # a village of children only (tiny test counties): one adult guardian
        i = minors.pop()
        people[i].household = 0
        households.append([i])

    # Minors join a parent's (gap 20-45) or, for left-behind children, a grandparent's household.
    by_head_age: dict[int, list[int]] = {}
    for hh, members in enumerate(households):
        by_head_age.setdefault(people[members[0]].age, []).append(hh)
    for i in minors:
        want = people[i].age + (rng.randint(22, 38) if rnd() < 0.8 else rng.randint(46, 65))
        hh = -1
        for d in range(0, 60):
            for a in (want - d, want + d):
                if a - people[i].age >= 18 and by_head_age.get(a):
                    hh = rng.choice(by_head_age[a])
                    break
            if hh >= 0:
                break
        if hh < 0:
            hh = rng.randrange(len(households))
        people[i].household = hh
        households[hh].append(i)

    out: list[Resident] = []
    for hh, members in enumerate(households):
        out.extend(_household(rng, maker, village, as_of, hh, [people[i] for i in members]))
    return out


def _sex(u: float, age: int) -> str:
    p_male = 0.51 if age < 60 else (0.47 if age < 80 else 0.38)
    return "M" if u < p_male else "F"


def _household(
    rng: random.Random, maker: _IdMaker, village: Region, as_of: dt.date, hh: int, members: list[_Person]
) -> list[Resident]:
    rnd = rng.random
    household_id = f"{village.code}{hh + 1:04d}"
    head = members[0]
    permit = rnd() < 0.025  # a household living here on residence permits
    family = names.surname(rng)  # the head's; most children take it
    # Household-level hardship statuses.
    hh_cats: list[str] = []
    u = rnd()
    for code, prob in _XIANGCUN:
        if u < prob:
            hh_cats.append(code)
            break
        u -= prob
    if not permit:
        if rnd() < (_DIBAO_IF_XIANGCUN if hh_cats else _DIBAO_OTHERWISE):
            hh_cats.append("dibao")
        elif rnd() < _DIBAO_EDGE:
            hh_cats.append("dibao_edge")
    else:
        hh_cats.clear()
    if len(members) > 1 and head.age >= 50 and rnd() < 0.0012:
        hh_cats.append("family_planning_hardship")
    region = rng.choice(_ELSEWHERE) if permit else None
    out: list[Resident] = []
    for k, p in enumerate(members):
        if k == 0:
            relation = "户主"
        elif k == 1 and p.age >= 18:
            relation = "配偶"
        elif p.age < 18:
            relation = "子女" if head.age - p.age <= 45 else "孙子女"
        else:
            relation = "其他"
        lo, hi = _birth_range(as_of, p.age)
        born = dt.date.fromordinal(lo + int(rnd() * (hi - lo + 1)))
        r_code = region or _hukou_region(rnd(), born)
        surname = family if (relation in ("户主", "子女", "孙子女") and rnd() < 0.92) else names.surname(rng)
        r = Resident(
            id_number=maker.make(r_code, born, p.sex),
            name=surname + names.given_name(rng, p.sex),
            sex=p.sex,
            birth_date=born,
            town_code=village.parent,
            village_code=village.code,
            household_id=household_id,
            relation=relation,
            residence="permit" if permit else "hukou",
        )
        if p.age < 18 and out and head.age >= 18:
            r.guardian_id = out[0].id_number
        cats = list(hh_cats)
        _individual(rng, r, p.age, len(members), permit, as_of, cats)
        r.categories = tuple(cats)
        out.append(r)
    return out


@cache
def _birth_range(as_of: dt.date, age: int) -> tuple[int, int]:
    """First and last ordinal birth dates of people aged ``age`` on ``as_of``."""

    def years_before(n: int) -> dt.date:
        try:
            return as_of.replace(year=as_of.year - n)
        except ValueError:  # 29 February
            return as_of.replace(year=as_of.year - n, day=28)

    return years_before(age + 1).toordinal() + 1, years_before(age).toordinal()


def _hukou_region(u: float, born: dt.date) -> str:
    if u < 0.93 or (born.year >= 2000 and u < 0.985):
        return "340621"
    if u < 0.96:
        return _HUAIBEI[int(u * 1000) % 3]
    return _ELSEWHERE[int(u * 1000) % len(_ELSEWHERE)]


def _individual(
    rng: random.Random,
    r: Resident,
    age: int,
    household_size: int,
    permit: bool,
    as_of: dt.date,
    cats: list[str],
) -> None:
    rnd = rng.random
    if not permit:
        # 特困: mostly elderly people living alone (about 0.5% of all residents).
        if household_size == 1 and age >= 60 and rnd() < 0.09 and "dibao" not in cats:
            cats.append("tekun")
        elif age < 18 and rnd() < 0.0008:
            cats.append("orphan" if rnd() < 0.4 else "unsupported_child")
        if rnd() < (0.004 if age < 60 else 0.025):
            cats.append("severe_disability")
        if r.sex == "M" and 25 <= age <= 75 and rnd() < 0.03:
            cats.append("veteran")
            if age >= 60 and rnd() < 0.12:
                cats.append("priority_entitled")
    stage = _STAGE_BY_AGE.get(age)
    if stage and rnd() < stage[1]:
        r.student = stage[0]
    if not r.student and ((18 <= age < 60 and rnd() < 0.10) or (age >= 60 and rnd() < 0.04)):
        r.employee_insured = True
    mortality = 0.001 if age < 60 else (0.015 if age < 80 else 0.08)
    if rnd() < mortality:
        start = max(r.birth_date.toordinal() + 1, as_of.toordinal() - 365)
        r.deceased_on = dt.date.fromordinal(rng.randint(min(start, as_of.toordinal()), as_of.toordinal()))
    if age >= 16 and rnd() < 0.9:
        r.phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
