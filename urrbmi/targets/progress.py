"""Progress arithmetic (参保进度): rates against targets, what remains, ranks, change on last year.

Everything here takes counts; counting enrolled residents from the database is done elsewhere,
by the definition in docs/targets.md. Comparisons are exact: a unit meets its target when
``enrolled >= required``, with integers, never by comparing rounded percentages.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from ruamel.yaml import YAML

from urrbmi.errors import InvalidInput
from urrbmi.targets.tables import TaskTableError, parse_rate

RankBy = Literal["rate", "completion"]


class TargetRule(BaseModel):
    """A target rate for one group measured over one kind of unit, with its citation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    county: str = Field(min_length=1)
    group: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    rate: Decimal
    deadline: dt.date | None = None
    citation: str = Field(min_length=1)
    interpretation: str | None = None

    @field_validator("rate", mode="before")
    @classmethod
    def _rate(cls, value: object) -> Decimal:
        if isinstance(value, float):
            raise ValueError("write the rate as a string such as '98.5%'")
        return parse_rate(str(value))

    def count_date(self, as_of: dt.date) -> dt.date:
        """The date at which enrollment is counted for this rule: the bulletin date, but never
        after the deadline ("在集中参保期内参保率达到100%": a payment after the window does not
        count toward this target, although it still counts as enrollment elsewhere)."""
        return as_of if self.deadline is None else min(as_of, self.deadline)

    def days_left(self, as_of: dt.date) -> int | None:
        """Days from ``as_of`` to the deadline (0 on the day, negative after); None if none."""
        return None if self.deadline is None else (self.deadline - as_of).days


def load_target_rules() -> dict[str, TargetRule]:
    """The target rules shipped in ``data/target-rules.yaml``, by id."""
    text = resources.files("urrbmi.targets").joinpath("data/target-rules.yaml").read_text("utf-8")
    data = YAML(typ="safe", pure=True).load(text)
    rules = [TargetRule.model_validate(r) for r in data["rules"]]
    return {r.id: r for r in rules}


def required_count(base: int, target_rate: Decimal) -> int:
    """The fewest enrolled persons at which enrolled / base reaches the target rate (rounded up:
    '参保率达98.5%以上' of 1,001 people needs 986, since 985 is only 98.40%)."""
    return int((Decimal(base) * target_rate).to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True)
class UnitCounts:
    """Counts for one unit (town, school, village) at one date.

    ``base`` is the denominator of the enrollment rate (户籍人口, 在校学生数, 低收入人口数...);
    ``task`` the assigned task number when a task table gives one; last year's counts are
    optional, and last year's base defaults to this year's.
    """

    unit: str
    base: int
    enrolled: int
    task: int | None = None
    last_year_enrolled: int | None = None
    last_year_base: int | None = None


@dataclass(frozen=True)
class UnitProgress:
    unit: str
    base: int
    enrolled: int
    task: int | None
    target_rate: Decimal
    required: int  # the task if there is one, else required_count(base, target_rate)
    rate: Decimal  # enrolled / base
    completion: Decimal | None  # enrolled / task
    remaining: int  # max(0, required - enrolled)
    meets_target: bool
    rank: int | None  # None for a total row
    last_year_rate: Decimal | None
    rate_change: Decimal | None  # rate - last_year_rate, as a fraction (0.012 = 1.2 points)
    enrolled_change: int | None


def _ratio(num: int, den: int) -> Decimal:
    return Decimal(num) / Decimal(den)


def unit_progress(counts: UnitCounts, target_rate: Decimal) -> UnitProgress:
    c = counts
    if c.base <= 0 or c.enrolled < 0 or (c.task is not None and c.task <= 0):
        raise InvalidInput(
            f"“{c.unit}”的人数无效（基数{c.base}，已参保{c.enrolled}，任务{c.task}）",
            f"{c.unit}: invalid counts (base {c.base}, enrolled {c.enrolled}, task {c.task})",
        )
    required = c.task if c.task is not None else required_count(c.base, target_rate)
    last_rate: Decimal | None = None
    if c.last_year_enrolled is not None:
        last_base = c.last_year_base if c.last_year_base is not None else c.base
        if last_base <= 0:
            raise InvalidInput(f"“{c.unit}”上年基数无效", f"{c.unit}: invalid last-year base")
        last_rate = _ratio(c.last_year_enrolled, last_base)
    rate = _ratio(c.enrolled, c.base)
    return UnitProgress(
        unit=c.unit,
        base=c.base,
        enrolled=c.enrolled,
        task=c.task,
        target_rate=target_rate,
        required=required,
        rate=rate,
        completion=_ratio(c.enrolled, c.task) if c.task is not None else None,
        remaining=max(0, required - c.enrolled),
        meets_target=c.enrolled >= required,
        rank=None,
        last_year_rate=last_rate,
        rate_change=rate - last_rate if last_rate is not None else None,
        enrolled_change=(c.enrolled - c.last_year_enrolled if c.last_year_enrolled is not None else None),
    )


RATE_PLACES = 4  # a ratio as printed: a percentage with two decimals (0.8830 = 88.30%)


def shown_ratio(value: Decimal) -> Decimal:
    """A ratio rounded as every report prints it (half-up to 0.01 percentage point): the value
    units are ranked by, so two units printed alike share a rank."""
    return value.quantize(Decimal(1).scaleb(-RATE_PLACES), rounding=ROUND_HALF_UP)


def _key(p: UnitProgress, rank_by: RankBy) -> Decimal:
    if rank_by == "completion":
        if p.task is None or p.completion is None:
            raise TaskTableError(
                f"“{p.unit}”没有任务数，不能按完成率排名",
                f"{p.unit} has no task: cannot rank by completion",
            )
        return shown_ratio(p.completion)
    return shown_ratio(p.rate)


def progress_table(
    counts: Sequence[UnitCounts], target_rate: Decimal, *, rank_by: RankBy | None = None
) -> tuple[UnitProgress, ...]:
    """Progress of every unit, ranked, in input order.

    ``rank_by`` defaults to ``completion`` (enrolled / task) when every unit has a task, else
    ``rate`` (enrolled / base). Ranks are competition ranks ("1224"): units whose ratios are
    equal *as printed* (:func:`shown_ratio`: a percentage to two decimals, half-up) share the
    better rank and the next rank is skipped, so the table never shows two different ranks
    beside the same percentage (docs/decisions.md).
    """
    names = [c.unit for c in counts]
    if len(set(names)) != len(names):
        raise InvalidInput("进度表中有重复单位", "the progress table repeats a unit")
    rows = [unit_progress(c, target_rate) for c in counts]
    by: RankBy = rank_by or ("completion" if all(c.task is not None for c in counts) else "rate")
    keys = [_key(p, by) for p in rows]
    ordered = sorted(keys)
    # rank = 1 + the number of units with a strictly greater ratio (bisect: n log n, not n²)
    return tuple(
        replace(p, rank=1 + len(ordered) - bisect_right(ordered, keys[i])) for i, p in enumerate(rows)
    )


def progress_total(counts: Sequence[UnitCounts], target_rate: Decimal, unit: str = "合计") -> UnitProgress:
    """The total row: sums of the counts. Its ``required`` is the sum of the units' required
    counts (each rounded on its own, as the annexes do), not the total base times the rate."""
    units = [unit_progress(c, target_rate) for c in counts]
    has_task = all(c.task is not None for c in counts)
    has_last = all(c.last_year_enrolled is not None for c in counts)
    total = UnitCounts(
        unit=unit,
        base=sum(c.base for c in counts),
        enrolled=sum(c.enrolled for c in counts),
        task=sum(c.task or 0 for c in counts) if has_task else None,
        last_year_enrolled=sum(c.last_year_enrolled or 0 for c in counts) if has_last else None,
        last_year_base=(
            sum(c.last_year_base if c.last_year_base is not None else c.base for c in counts)
            if has_last
            else None
        ),
    )
    p = unit_progress(total, target_rate)
    required = sum(u.required for u in units)
    return replace(
        p,
        required=required,
        remaining=max(0, required - p.enrolled),
        meets_target=p.enrolled >= required,
    )


def bottom_units(rows: Sequence[UnitProgress], n: int) -> set[str]:
    """Units among the last ``n`` by rank. A unit is in when fewer than ``n`` units rank strictly
    below it, so units tied at the boundary are all in (the list may be longer than ``n``)."""
    if n <= 0:
        return set()
    ranks = [p.rank for p in rows]
    if any(r is None for r in ranks):
        raise InvalidInput("进度行未排名", "progress rows are not ranked")
    return {p.unit for p in rows if sum(1 for q in rows if (q.rank or 0) > (p.rank or 0)) < n}


def percent(value: Decimal, places: int = 2) -> str:
    """0.98765 -> '98.77%' (half-up), for text; spreadsheets get the fraction itself."""
    quantum = Decimal(1).scaleb(-places)
    return f"{(value * 100).quantize(quantum, rounding=ROUND_HALF_UP)}%"
