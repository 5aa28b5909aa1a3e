"""Progress at a date (参保进度) by county, town, village or school: :func:`progress` (with the
target set's tasks and the policy's rate), :func:`burnup` and :func:`composition`, assembled
from :func:`urrbmi.targets.state_queries.state_summary`; the arithmetic is
:mod:`urrbmi.targets.progress`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from urrbmi.campaign.campaigns import campaign_policy
from urrbmi.db.models import Campaign, Enrollment
from urrbmi.db.models_targets import TargetSet
from urrbmi.errors import InvalidInput
from urrbmi.targets.progress import RankBy, UnitCounts, UnitProgress, progress_table, progress_total
from urrbmi.targets.state import LEVELS, Level, effective_prefix, in_prefix
from urrbmi.targets.state_queries import grouped_status, state_summary
from urrbmi.targets.store import StoredTask, campaign_or_fail, region_prefix, stored_tasks
from urrbmi.targets.units import region_names, unit_counts, with_unit

# --- progress ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressRow:
    unit: str  # region code, or school name
    name: str
    registry: int  # living residents in the registry at the date
    enrolled: int
    paid: int
    subsidised: int
    employee: int
    elsewhere: int
    covered: int  # what is compared with the target: enrolled (+ employee if the task counts it)
    last_year_enrolled: int | None  # None when last year's enrollment was never imported
    progress: UnitProgress  # base, task, required, remaining, rate, completion, rank, change


@dataclass(frozen=True)
class ProgressReport:
    campaign_id: int
    on: dt.date
    level: Level
    scope: str
    target_rate: Decimal
    target_name: str | None
    counts_employee: bool
    rank_by: RankBy
    rows: tuple[ProgressRow, ...]  # in rank order
    total: ProgressRow | None


def policy_rate(c: Campaign, level: Level) -> Decimal | None:
    """The policy's target rate for the unit kind: ``students`` at school level, else ``all`` or
    ``general`` (a fraction: 99% -> 0.99)."""
    groups = ("students",) if level == "school" else ("all", "general")
    rates = [t for t in campaign_policy(c).model.targets.rates if t.group in groups and not t.categories]
    return rates[0].rate / 100 if rates else None


def _target(
    session: Session, c: Campaign, level: Level, target: str | None
) -> tuple[TargetSet | None, list[StoredTask]]:
    q = select(TargetSet).where(TargetSet.campaign_id == c.id, TargetSet.unit == level)
    if target is not None:
        q = select(TargetSet).where(TargetSet.campaign_id == c.id, TargetSet.name == target)
    ts = session.scalars(q.order_by(TargetSet.id)).first()
    if ts is None:
        if target is not None:
            raise InvalidInput(f"征缴批次{c.id}没有任务表{target}", f"campaign {c.id} has no target {target}")
        return None, []
    if ts.unit != level:
        raise InvalidInput(
            f"任务表{ts.name}按{ts.unit}下达，不能用于{level}",
            f"target {ts.name} is per {ts.unit}, not {level}",
        )
    return ts, stored_tasks(session, ts)


def progress(
    session: Session,
    campaign_id: int,
    *,
    on: dt.date,
    level: Level = "town",
    scope: str = "",
    target: str | None = None,
    target_rate: Decimal | None = None,
    count_employee: bool | None = None,
) -> ProgressReport:
    """Progress of every unit of ``level`` at ``on``, ranked, with a total row.

    Tasks and bases come from the target set loaded for this level (``target`` names one; by
    default the first loaded for the level), else bases are the living residents in the registry
    less those insured elsewhere (and, unless ``count_employee``, less employee-insured ones).
    ``target_rate`` defaults to the set's rate, then the policy's. ``count_employee`` defaults to
    whether the set's task counts employee insurance (濉溪 annex note 2)."""
    if level not in LEVELS:
        raise InvalidInput(f"层级须为{LEVELS}之一", f"level must be one of {LEVELS}")
    c = campaign_or_fail(session, campaign_id)
    ts, tasks = _target(session, c, level, target)
    rate = target_rate
    if rate is None and ts is not None and ts.rate is not None:
        rate = Decimal(ts.rate)
    if rate is None:
        rate = policy_rate(c, level)
    if rate is None and tasks:
        rate = Decimal(1)  # fixed tasks without a rate (黔江): the target is the whole task
    if rate is None:
        raise InvalidInput(
            "政策和任务表都没有该层级的目标参保率，请用 --rate 给出",
            "neither the policy nor a target set gives a target rate here; pass --rate",
            code="no_target_rate",
        )
    employee_counts = count_employee if count_employee is not None else bool(ts and ts.includes_employee)
    prefix = effective_prefix(session, c, scope)
    if level == "school":
        status = grouped_status(session, campaign_id, on, scope, ("school",))
    else:  # one pass by village; towns and the county roll up from it
        status = state_summary(session, campaign_id, on, scope).by_village
    counts = unit_counts(with_unit(session, prefix or "", status, level))
    names = region_names(session, prefix or c.region_code) if level != "school" else {}
    by_unit = {row["unit"]: row for row in counts.iter_rows(named=True) if row["unit"] is not None}
    units: list[tuple[str, str, dict[str, Any], int | None, int | None]] = []
    if tasks:
        for t in tasks:
            key = t.region_code or t.unit_name
            if prefix is not None and (level == "school" or key.startswith(prefix)):
                units.append((key, t.unit_name, by_unit.get(key, _zero()), t.base, t.task))
    else:
        for key, row in by_unit.items():
            units.append((key, names.get(key, (key, "", None))[0], row, None, None))
    kept: list[tuple[str, str, dict[str, Any], int]] = []
    uc: list[UnitCounts] = []
    known = last_year_known(session, c)
    for key, name, row, base, task in units:
        covered = int(row["enrolled"]) + (int(row["employee"]) if employee_counts else 0)
        reg_base = (
            int(row["registry"]) - int(row["elsewhere"]) - (0 if employee_counts else int(row["employee"]))
        )
        b = base if base is not None else reg_base
        if b <= 0:
            continue
        last = int(row["last_year_enrolled"]) if known else None
        uc.append(UnitCounts(key, b, covered, task, last))
        kept.append((key, name, row, covered))
    by: RankBy = "completion" if uc and all(u.task is not None for u in uc) else "rate"
    ranked = progress_table(uc, rate, rank_by=by) if uc else ()
    done = [
        _row(key, name, row, covered, p, known)
        for (key, name, row, covered), p in zip(kept, ranked, strict=True)
    ]
    done.sort(key=lambda r: (r.progress.rank or 0, r.unit))
    total: ProgressRow | None = None
    if uc:
        sums = {f: sum(int(row[f]) for _, _, row, _ in kept) for f in _COUNTED}
        total = _row("合计", "合计", sums, sum(cv for *_, cv in kept), progress_total(uc, rate), known)
    return ProgressReport(
        c.id, on, level, scope, rate, ts.name if ts else None, employee_counts, by, tuple(done), total
    )


_COUNTED = ("registry", "enrolled", "paid", "subsidised", "employee", "elsewhere", "last_year_enrolled")


def _zero() -> dict[str, Any]:
    return dict.fromkeys(_COUNTED, 0)


def last_year_known(session: Session, c: Campaign) -> bool:
    """Whether last year's enrollment is known for the campaign's region: some enrollment of the
    previous benefit year was recorded or imported there. Otherwise last year's figures are
    unknown (shown "—"), not zero."""
    prefix = region_prefix(session, c.region_code)
    q = select(Enrollment.id).where(
        Enrollment.benefit_year == c.benefit_year - 1, in_prefix(Enrollment.region_code, prefix)
    )
    return session.execute(q.limit(1)).first() is not None


def _row(key: str, name: str, row: dict[str, Any], covered: int, p: UnitProgress, known: bool) -> ProgressRow:
    return ProgressRow(
        unit=key,
        name=name,
        registry=int(row["registry"]),
        enrolled=int(row["enrolled"]),
        paid=int(row["paid"]),
        subsidised=int(row["subsidised"]),
        employee=int(row["employee"]),
        elsewhere=int(row["elsewhere"]),
        covered=covered,
        last_year_enrolled=int(row["last_year_enrolled"]) if known else None,
        progress=p,
    )


def burnup(session: Session, campaign_id: int, *, on: dt.date, scope: str = "") -> list[tuple[dt.date, int]]:
    """Cumulative enrolled (the same definition as :func:`progress`, at each date) per day on
    which the count changed, up to ``on``. Counted at ``on`` for the reversals: a point for an
    earlier day ``d`` counts enrollments registered by ``d`` that are still in force at ``on``."""
    daily = state_summary(session, campaign_id, on, scope).by_day.sort("first_day")
    points: list[tuple[dt.date, int]] = []
    running = 0
    for day, n in daily.iter_rows():
        running += int(n)
        points.append((day, running))
    return points


def composition(session: Session, campaign_id: int, *, on: dt.date, scope: str = "") -> dict[str, int]:
    """Enrolled at ``on`` by subsidy category (its Chinese name; ``普通居民`` without a subsidy)."""
    from urrbmi.policy.identities import all_identities

    counted = state_summary(session, campaign_id, on, scope).by_category  # alive and enrolled
    counts = counted.group_by("subsidy_category").agg(pl.col("n").sum())
    vocab = all_identities().by_code
    out: dict[str, int] = {}
    for code, n in counts.iter_rows():
        label = vocab[code].name if code in vocab else (code or "普通居民")
        out[label] = out.get(label, 0) + int(n)
    return out
