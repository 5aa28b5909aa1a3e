"""Units of a progress report: the region tree (:func:`region_names`), a village's town or
county (:func:`with_unit`) and the counts per unit (:func:`unit_counts`, pure Polars over the
grouped frames of :mod:`urrbmi.targets.state_queries`).
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from urrbmi.db.models import Region
from urrbmi.targets.state import Level

# --- units ------------------------------------------------------------------------------------


def region_names(session: Session, prefix: str) -> dict[str, tuple[str, str, str | None]]:
    """code -> (name, level, parent) for every region under ``prefix`` (and its ancestors)."""
    rows = session.execute(
        select(Region.code, Region.name, Region.level, Region.parent_code).where(
            Region.code.like(f"{prefix[:6]}%")
        )
    ).all()
    return {code: (name, level, parent) for code, name, level, parent in rows}


def _ancestor(regions: dict[str, tuple[str, str, str | None]], code: str, level: str) -> str | None:
    seen = code
    while seen in regions:
        _name, lv, parent = regions[seen]
        if lv == level:
            return seen
        if parent is None:
            return None
        seen = parent
    return None


def with_unit(session: Session, prefix: str, status: pl.DataFrame, level: Level) -> pl.DataFrame:
    """``status`` (weighed: see :func:`grouped_status`) with a ``unit`` column: the school name
    (students only), or the region code of the resident's village, town or county (students
    count at their hukou village there)."""
    if level == "school":
        return status.filter(pl.col("school").is_not_null()).with_columns(unit=pl.col("school"))
    if level == "village":
        return status.with_columns(unit=pl.col("village"))
    regions = region_names(session, prefix)
    villages = status.get_column("village").unique().to_list()
    mapping = pl.DataFrame(
        {"village": villages, "unit": [_ancestor(regions, v, level) for v in villages]},
        schema={"village": pl.Utf8, "unit": pl.Utf8},
    )
    return status.join(mapping, on="village", how="left")


def unit_counts(status: pl.DataFrame) -> pl.DataFrame:
    """Per unit: registry (living residents), enrolled, paid, subsidised, employee, elsewhere,
    last year's enrolled (``status`` weighed: ``n`` residents per row)."""
    alive = status.filter(pl.col("alive"))
    n = pl.col("n")
    return (
        alive.group_by("unit")
        .agg(
            n.sum().alias("registry"),
            n.filter(pl.col("enrolled")).sum().alias("enrolled"),
            n.filter(pl.col("paid")).sum().alias("paid"),
            n.filter(pl.col("subsidised")).sum().alias("subsidised"),
            n.filter(pl.col("employee")).sum().alias("employee"),
            n.filter(pl.col("elsewhere")).sum().alias("elsewhere"),
            n.filter(pl.col("last_year")).sum().alias("last_year_enrolled"),
        )
        .sort("unit")
    )
