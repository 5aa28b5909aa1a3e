"""urrbmi/synth: deterministic synthetic counties and department lists for demos, tests and benchmarks.

>>> county = County.suixi(scale=0.001, seed=1)
>>> sum(1 for _ in county.residents()) == county.tree.county.population
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from urrbmi.synth.county import RESIDENT_COLUMNS, Resident, as_row, generate_town
from urrbmi.synth.regions import Region, RegionTree, suixi

__all__ = ["DEFAULT_AS_OF", "RESIDENT_COLUMNS", "County", "Region", "RegionTree", "Resident", "as_row"]

# Department lists for the 2022 benefit year were "9月份在册" lists (Suixi notice, seed 003).
DEFAULT_AS_OF = dt.date(2021, 9, 30)


@dataclass(frozen=True, slots=True)
class County:
    """A synthetic county: its region tree and a seed. ``residents()`` regenerates the same
    residents every time (same seed, same output), town by town, without keeping them."""

    tree: RegionTree
    seed: int
    as_of: dt.date = DEFAULT_AS_OF

    @classmethod
    def suixi(
        cls, scale: float, seed: int, as_of: dt.date = DEFAULT_AS_OF, villages_per_town: int | None = None
    ) -> County:
        return cls(suixi(scale, seed, villages_per_town), seed, as_of)

    def residents(self, town_code: str | None = None) -> Iterator[Resident]:
        for block, town in enumerate(self.tree.towns):
            if town_code is None or town.code == town_code:
                yield from generate_town(self.tree, town, self.seed, self.as_of, block)

    def rows(self) -> Iterator[dict[str, str]]:
        """Residents as flat string rows (the residents.csv columns)."""
        return (as_row(r) for r in self.residents())
