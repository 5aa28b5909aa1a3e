"""The region tree of a synthetic county: county → towns → villages.

The Suixi preset takes its 12 towns (镇/园区) and their 2020 hukou populations from the annex of the
濉溪县 2022 notice (1,141,677 residents in all). Town and village codes follow the GB/T 10114
structure of the national statistical division codes (county 6 digits + town 3 + village 3; towns
1xx, development zones 4xx, residents' committees 0xx, villages 2xx) but are synthetic: they are
not the official codes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from urrbmi.synth.names import SURNAMES

COUNTY_CODE = "340621"
COUNTY_NAME = "濉溪县"

# (name, hukou population end of 2020): the annex of the 濉溪县 2022 notice (seed 003), in its order.
SUIXI_TOWNS: tuple[tuple[str, int], ...] = (
    ("濉溪镇", 94903),
    ("开发区（含濉芜产业园）", 23836),
    ("百善镇", 122266),
    ("铁佛镇", 137849),
    ("孙疃镇", 110988),
    ("南坪镇", 105375),
    ("韩村镇", 71967),
    ("五沟镇", 110448),
    ("刘桥镇", 61399),
    ("双堆集镇", 111251),
    ("临涣镇", 98552),
    ("四铺镇", 92843),
)
SUIXI_POPULATION = 1_141_677

# People per village at full size; Huaibei villages hold 3,000-6,000 hukou residents.
VILLAGE_SIZE = 4500
_VILLAGE_SUFFIXES = ("庄", "楼", "集", "圩", "湖", "园", "店", "寨", "营", "桥")


@dataclass(frozen=True, slots=True)
class Region:
    code: str  # 6 (county), 9 (town) or 12 (village) digits
    name: str
    level: str  # "county" | "town" | "village"
    parent: str  # parent code; "" for the county
    population: int  # residents the generator places here (scaled)


@dataclass(frozen=True, slots=True)
class RegionTree:
    county: Region
    towns: tuple[Region, ...]
    villages: tuple[Region, ...]

    def __iter__(self) -> Iterator[Region]:
        yield self.county
        yield from self.towns
        yield from self.villages

    def villages_of(self, town_code: str) -> tuple[Region, ...]:
        return tuple(v for v in self.villages if v.parent == town_code)

    def by_code(self) -> dict[str, Region]:
        return {r.code: r for r in self}


def split(total: int, weights: Sequence[float], rng: random.Random | None = None) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder; ties by
    order), so the parts always sum to ``total``."""
    wsum = float(sum(weights))
    raw = [total * w / wsum for w in weights]
    parts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def suixi(scale: float, seed: int, villages_per_town: int | None = None) -> RegionTree:
    """The Suixi-like tree with populations scaled by ``scale`` (1.0 = 1,141,677 residents).

    The number of villages per town follows the full-size population (one per ~4,500 people)
    unless ``villages_per_town`` is given, so small test counties keep a realistic shape."""
    return build(COUNTY_CODE, COUNTY_NAME, SUIXI_TOWNS, scale, seed, villages_per_town)


def build(
    county_code: str,
    county_name: str,
    towns: Sequence[tuple[str, int]],
    scale: float,
    seed: int,
    villages_per_town: int | None = None,
) -> RegionTree:
    if scale <= 0:
        raise ValueError(f"scale must be positive: {scale}")
    rng = random.Random(f"urrbmi-synth-regions:{seed}:{county_code}")
    total = round(sum(p for _, p in towns) * scale)
    town_pops = split(total, [p for _, p in towns])
    town_regions: list[Region] = []
    villages: list[Region] = []
    zone_no = 400
    town_no = 100
    for (name, full), pop in zip(towns, town_pops, strict=True):
        if name.endswith("镇") or name.endswith("乡"):
            code = f"{county_code}{town_no:03d}"
            town_no += 1
        else:
            code = f"{county_code}{zone_no:03d}"
            zone_no += 1
        town = Region(code, name, "town", county_code, pop)
        town_regions.append(town)
        n = villages_per_town or max(1, round(full / VILLAGE_SIZE))
        weights = [rng.uniform(0.6, 1.4) for _ in range(n)]
        pops = split(pop, weights)
        used: set[str] = set()
        # The town seat has residents' committees (社区, 0xx); the rest are villages (村, 2xx).
        n_communities = max(1, n // 6)
        for i, vpop in enumerate(pops):
            if i < n_communities:
                vcode = f"{code}{i + 1:03d}"
                seat = name[:2]
                vname = _unique(rng, used, partial(_community, rng, seat))
            else:
                vcode = f"{code}{200 + i - n_communities + 1:03d}"
                vname = _unique(rng, used, partial(_village, rng))
            villages.append(Region(vcode, vname, "village", code, vpop))
    county = Region(county_code, county_name, "county", "", total)
    return RegionTree(county, tuple(town_regions), tuple(villages))


def _community(rng: random.Random, seat: str) -> str:
    return seat + rng.choice(("东", "西", "南", "北", "中")) + "社区"


def _village(rng: random.Random) -> str:
    return rng.choice(SURNAMES[:60]) + rng.choice(_VILLAGE_SUFFIXES) + "村"


def _unique(rng: random.Random, used: set[str], make: Callable[[], str]) -> str:
    for _ in range(50):
        name = make()
        if name not in used:
            used.add(name)
            return name
    name = f"{make()}{len(used) + 1}"
    used.add(name)
    return name
