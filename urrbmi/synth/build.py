"""Generate a whole synthetic county into a directory, towns in parallel.

Files written: regions.csv, residents.csv, one list per department (their own formats),
faults.csv (the injected faults), summary.json (counts, seed, scale, timings).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path

from urrbmi.synth import County
from urrbmi.synth.county import Resident
from urrbmi.synth.deptlists import department_lists
from urrbmi.synth.writers import write_faults, write_list, write_regions, write_residents


@dataclass(frozen=True)
class Summary:
    residents: int
    towns: int
    villages: int
    lists: dict[str, int]  # file name -> data rows (with injected extras)
    faults: int
    seconds: float
    phases: dict[str, float]  # residents, lists, files

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=2)


_FIELDS = tuple(f.name for f in fields(Resident))


def listed(r: Resident, as_of: dt.date) -> bool:
    """Whether some department list may name this resident (kept for list building)."""
    return bool(
        r.categories
        or r.student
        or r.employee_insured
        or r.deceased_on
        or r.birth_date.toordinal() > as_of.toordinal() - 366
    )


def _town_job(county: County, town_code: str, part: Path) -> tuple[int, list[tuple[object, ...]]]:
    """Write one town's residents to ``part`` (no header); return the count and the residents
    some department list may name."""
    keep: list[Resident] = []
    count = 0

    def through(rs: Iterator[Resident]) -> Iterator[Resident]:
        nonlocal count
        for r in rs:
            count += 1
            if listed(r, county.as_of):
                keep.append(r)
            yield r

    write_residents(through(county.residents(town_code)), part, header=False)
    # Plain tuples cross the process boundary ~10x faster than slotted dataclasses, whose
    # __getstate__/__setstate__ are Python code.
    return count, [tuple(getattr(r, f) for f in _FIELDS) for r in keep]


def generate(
    out: Path,
    scale: float,
    seed: int,
    as_of: dt.date | None = None,
    workers: int | None = None,
    fault_rate: float = 0.002,
) -> Summary:
    start = time.perf_counter()
    county = County.suixi(scale, seed) if as_of is None else County.suixi(scale, seed, as_of)
    out.mkdir(parents=True, exist_ok=True)
    write_regions(county.tree, out / "regions.csv")
    parts_dir = out / ".parts"
    parts_dir.mkdir(exist_ok=True)
    towns = [t.code for t in county.tree.towns]
    parts = [parts_dir / f"{code}.csv" for code in towns]
    workers = workers or min(len(towns), os.cpu_count() or 1)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_town_job, [county] * len(towns), towns, parts))
    else:
        results = [_town_job(county, code, p) for code, p in zip(towns, parts, strict=True)]
    write_residents([], out / "residents.csv")  # the header row
    with (out / "residents.csv").open("ab") as dst:
        for p in parts:
            with p.open("rb") as src:
                shutil.copyfileobj(src, dst)
    shutil.rmtree(parts_dir)
    t_residents = time.perf_counter()
    kept = [Resident(*t) for _, keep in results for t in keep]  # type: ignore[arg-type]
    lists = department_lists(kept, county.tree, seed, county.as_of, fault_rate)
    t_lists = time.perf_counter()
    for dl in lists:
        write_list(dl, out)
    n_faults = write_faults(lists, out / "faults.csv")
    summary = Summary(
        residents=sum(n for n, _ in results),
        towns=len(county.tree.towns),
        villages=len(county.tree.villages),
        lists={dl.filename: len(dl.rows) for dl in lists},
        faults=n_faults,
        seconds=round(time.perf_counter() - start, 2),
        phases={
            "residents": round(t_residents - start, 2),
            "lists": round(t_lists - t_residents, 2),
            "files": round(time.perf_counter() - t_lists, 2),
        },
    )
    (out / "summary.json").write_text(summary.to_json(), "utf-8")
    return summary
