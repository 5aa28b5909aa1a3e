"""Targets for particular groups (issue 18 item 2): low-income groups within the window (丰都 一),
hardship groups by a staged deadline (昌吉 七), students per school and general residents per town
(泰兴 二), each with its deadline and the days left.

The targets are data: the campaign policy's ``targets.rates`` (group, unit, rate, categories, the
milestone whose window counts) and ``targets.staged_deadlines`` (a group of categories and a date);
deadlines come from the policy's milestones. Who is enrolled is :func:`counting.resident_state`,
grouped here by village, school and categories; nothing else decides it.

Groups: ``all`` everyone; ``general`` residents who are not students (ordinary residents and
students are counted apart, 泰兴 二); ``students`` students, per school; ``low_income`` and a
staged group: residents whose assessment names one of the categories; a staged group without
categories (昌吉 "其他城乡居民"): everyone not in another staged group.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urrbmi.campaign.campaigns import campaign_policy
from urrbmi.db.models import Campaign, Resident
from urrbmi.targets.counting import Level, effective_prefix, region_names, resident_state, with_unit
from urrbmi.targets.progress import UnitCounts, UnitProgress, progress_table, progress_total
from urrbmi.targets.store import campaign_or_fail

GROUP_NAMES = {
    "all": "全体居民",
    "general": "一般居民（不含在校学生）",
    "students": "在校学生",
    "low_income": "低收入人口",
}
UNIT_NAMES = {"county": "县（市、区）", "town": "乡镇（街道）", "village": "村（社区）", "school": "学校"}
NO_SCHOOL = "（未填学校）"
# 昌吉 七 gives dates, not rates ("完成……参保缴费工作"): read as 100% (docs/decisions.md, assumed)
STAGED_RATE = Decimal(1)


@dataclass(frozen=True)
class GroupTarget:
    """A target for one group over one kind of unit, from the policy."""

    label: str  # as printed: 低收入人口参保率100%, 困难群众 2022-11-30前…
    group: str  # all | general | students | low_income | staged
    unit: Level
    rate: Decimal  # a fraction
    categories: frozenset[str]  # category codes; empty: by group
    deadline: dt.date | None
    deadline_source: str  # the milestone or clause the deadline comes from
    counts_to_deadline: bool  # enrollment after the deadline does not count toward this target
    cite: str
    excluded: frozenset[str] = frozenset()  # staged "others": categories of the other stages

    def count_date(self, on: dt.date) -> dt.date:
        if self.counts_to_deadline and self.deadline is not None:
            return min(on, self.deadline)
        return on

    def days_left(self, on: dt.date) -> int | None:
        return None if self.deadline is None else (self.deadline - on).days


def group_targets(c: Campaign) -> list[GroupTarget]:
    """The campaign policy's group targets, in the policy's order: rates, then staged deadlines.

    A rate's deadline is the end of the milestone it is measured within (``within_window``), else
    the end of the centralized window (shown with the days left, not a cut-off); a staged
    deadline's is its date, and only enrollment by that date counts toward it."""
    policy = campaign_policy(c)
    m = policy.model
    vocab = policy.vocabulary
    milestones = {ms.code: ms for ms in m.milestones}
    central = milestones.get("centralized")
    out: list[GroupTarget] = []
    for t in m.targets.rates:
        cats = frozenset(vocab.code(x) for x in t.categories)
        name = GROUP_NAMES.get(t.group, t.group)
        if t.within_window and t.within_window in milestones:
            ms = milestones[t.within_window]
            deadline, source, cut = ms.end, f"{ms.label}（{ms.cite}）", True
        elif central is not None:
            deadline, source, cut = central.end, f"{central.label}截止（{central.cite}）", False
        else:
            deadline, source, cut = None, "", False
        out.append(
            GroupTarget(
                label=f"{name}以{UNIT_NAMES[t.unit]}为单位参保率{t.rate}%",
                group=t.group,
                unit=t.unit,
                rate=Decimal(t.rate) / 100,
                categories=cats,
                deadline=deadline,
                deadline_source=source,
                counts_to_deadline=cut,
                cite=f"{m.documents['main'].number if 'main' in m.documents else ''} {t.cite}".strip(),
            )
        )
    staged = list(m.targets.staged_deadlines)
    named = frozenset(vocab.code(x) for sd in staged for x in sd.categories)
    for sd in staged:
        cats = frozenset(vocab.code(x) for x in sd.categories)
        out.append(
            GroupTarget(
                label=f"{sd.group}于{sd.by:%Y年%-m月%-d日}前完成参保",
                group="staged",
                unit="county",
                rate=STAGED_RATE,
                categories=cats,
                deadline=sd.by,
                deadline_source=f"{sd.group}完成时限（{sd.cite}）",
                counts_to_deadline=True,
                cite=f"{m.documents['main'].number if 'main' in m.documents else ''} {sd.cite}".strip(),
                excluded=frozenset() if cats else named,
            )
        )
    return out


def _state(session: Session, c: Campaign, prefix: str, on: dt.date) -> pl.DataFrame:
    """:func:`resident_state` at ``on`` grouped by village, school, student, categories and the
    flags that decide a group target: one row per group with ``n`` residents."""
    rs = resident_state(
        session,
        c,
        prefix,
        on,
        columns=["rid", "village", "school", "categories", "alive", "enrolled", "employee", "elsewhere"],
    )
    student = (Resident.student.is_not(None)).label("student")
    keys = [
        rs.c.village,
        rs.c.school,
        student,
        rs.c.categories,
        rs.c.alive,
        rs.c.enrolled,
        rs.c.employee,
        rs.c.elsewhere,
    ]
    q = (
        select(*keys, func.count().label("n"))
        .select_from(rs)
        .join(Resident, Resident.id == rs.c.rid)
        .group_by(*keys)
    )
    schema = {
        "village": pl.Utf8,
        "school": pl.Utf8,
        "student": pl.Boolean,
        "categories": pl.Utf8,
        "alive": pl.Int64,
        "enrolled": pl.Int64,
        "employee": pl.Int64,
        "elsewhere": pl.Int64,
        "n": pl.Int64,
    }
    rows = [tuple(r) for r in session.execute(q)]
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(
        pl.col("student").cast(pl.Boolean), cats=pl.col("categories").fill_null("").str.split(",")
    )


def _members(frame: pl.DataFrame, t: GroupTarget) -> pl.DataFrame:
    def has(codes: frozenset[str]) -> pl.Expr:
        return pl.col("cats").list.eval(pl.element().is_in(sorted(codes))).list.any()

    if t.group == "general":
        return frame.filter(~pl.col("student"))
    if t.group == "students":
        return frame.filter(pl.col("student"))
    if t.categories:
        return frame.filter(has(t.categories))
    if t.excluded:
        return frame.filter(~has(t.excluded))
    return frame


@dataclass(frozen=True)
class GroupUnit:
    unit: str  # region code or school name
    name: str
    registry: int
    enrolled: int
    progress: UnitProgress


@dataclass(frozen=True)
class GroupProgress:
    target: GroupTarget
    on: dt.date
    counted_on: dt.date  # the date enrollment is counted at (never after a cut-off deadline)
    days_left: int | None
    rows: tuple[GroupUnit, ...]
    total: GroupUnit | None

    @property
    def met(self) -> bool:
        return self.total is not None and all(r.progress.meets_target for r in self.rows)


def group_progress(
    session: Session, campaign_id: int, *, on: dt.date, scope: str = "", include_all: bool = True
) -> list[GroupProgress]:
    """Every group target of the campaign's policy at ``on``: per unit of the target's kind, the
    living members (less those insured elsewhere or as employees: the base), the enrolled
    counted at the target's count date, the required count, remaining, rate and rank.
    ``include_all=False`` leaves out the targets for everyone (a bulletin's table shows them)."""
    c = campaign_or_fail(session, campaign_id)
    prefix = effective_prefix(session, c, scope)
    targets = [t for t in group_targets(c) if include_all or t.group != "all"]
    frames: dict[dt.date, pl.DataFrame] = {}
    out: list[GroupProgress] = []
    names = region_names(session, prefix or c.region_code)
    for t in targets:
        day = t.count_date(on)
        rows: list[GroupUnit] = []
        total: GroupUnit | None = None
        if prefix is not None:
            if day not in frames:
                frames[day] = _state(session, c, prefix, day)
            members = _members(frames[day], t)
            if t.unit == "school":
                members = members.with_columns(school=pl.col("school").fill_null(NO_SCHOOL))
            units = with_unit(session, prefix, members, t.unit)
            alive = units.filter((pl.col("alive") == 1) & pl.col("unit").is_not_null())
            agg = (
                alive.group_by("unit")
                .agg(
                    pl.col("n").sum().alias("registry"),
                    pl.col("n").filter(pl.col("enrolled") == 1).sum().alias("enrolled"),
                    pl.col("n")
                    .filter((pl.col("employee") == 1) | (pl.col("elsewhere") == 1))
                    .sum()
                    .alias("out"),
                )
                .sort("unit")
            )
            kept: list[tuple[str, int, int]] = []
            counts: list[UnitCounts] = []
            for r in agg.iter_rows(named=True):
                base = int(r["registry"]) - int(r["out"])
                if base <= 0:
                    continue
                counts.append(UnitCounts(r["unit"], base, int(r["enrolled"])))
                kept.append((r["unit"], int(r["registry"]), int(r["enrolled"])))
            if counts:
                ranked = progress_table(counts, t.rate, rank_by="rate")
                rows = [
                    GroupUnit(u, _name(names, u, t.unit), reg, enr, p)
                    for (u, reg, enr), p in zip(kept, ranked, strict=True)
                ]
                rows.sort(key=lambda g: (g.progress.rank or 0, g.unit))
                total = GroupUnit(
                    "合计",
                    "合计",
                    sum(k[1] for k in kept),
                    sum(k[2] for k in kept),
                    progress_total(counts, t.rate),
                )
        out.append(GroupProgress(t, on, day, t.days_left(on), tuple(rows), total))
    return out


def _name(names: dict[str, tuple[str, str, str | None]], unit: str, level: Level) -> str:
    if level == "school":
        return unit
    return names.get(unit, (unit, "", None))[0]


def deadline_text(days: int | None) -> str:
    """剩余天数 as an officer reads it: 剩余5天 / 今日截止 / 已逾期3天 / 无期限."""
    if days is None:
        return "无期限"
    if days > 0:
        return f"剩余{days}天"
    if days == 0:
        return "今日截止"
    return f"已逾期{-days}天"


def as_json(g: GroupProgress) -> dict[str, Any]:
    """One group target's progress for the API (ratios as the rounded fractions printed)."""
    from urrbmi.targets.progress import shown_ratio

    def unit(u: GroupUnit) -> dict[str, Any]:
        p = u.progress
        return {
            "unit": u.unit,
            "name": u.name,
            "registry": u.registry,
            "base": p.base,
            "enrolled": u.enrolled,
            "required": p.required,
            "remaining": p.remaining,
            "rate": shown_ratio(p.rate),
            "meets_target": p.meets_target,
            "rank": p.rank,
        }

    t = g.target
    return {
        "label": t.label,
        "group": t.group,
        "group_name": GROUP_NAMES.get(t.group, t.label),
        "unit_kind": t.unit,
        "unit_label": UNIT_NAMES[t.unit],
        "target_rate": t.rate,
        "deadline": t.deadline,
        "deadline_source": t.deadline_source,
        "days_left": g.days_left,
        "days_left_text": deadline_text(g.days_left),
        "counted_on": g.counted_on,
        "cite": t.cite,
        "met": g.met,
        "rows": [unit(u) for u in g.rows],
        "total": unit(g.total) if g.total else None,
    }
