"""Administrative regions: province → prefecture → county → town → village.

Codes follow GB/T 2260 (6 digits, province to county) and the statistical division codes
(统计用区划代码: 9 digits for a town, 12 for a village). A region's descendants share the first
``LEVEL_DIGITS[level]`` digits of its code, which is how campaigns select their residents.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi.db.models import LEVEL_DIGITS, LEVELS, Region
from urrbmi.errors import InvalidInput
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict, NotFound

_LEVEL_ZH = {"province": "省", "prefecture": "市", "county": "县", "town": "乡镇", "village": "村"}


def prefix(region: Region) -> str:
    """The code prefix shared by the region and everything under it."""
    return region.code[: LEVEL_DIGITS[region.level]]


def contains(region: Region, code: str) -> bool:
    return code.startswith(prefix(region))


def get_region(session: Session, code: str) -> Region:
    region = session.get(Region, code)
    if region is None:
        raise NotFound(f"找不到行政区划{code}，请先用 urrbmi region add 登记", f"no region {code}")
    return region


def add_region(
    session: Session,
    code: str,
    name: str,
    level: str,
    parent: str | None = None,
    *,
    actor: str,
) -> Region:
    """Register a region; its code must have the length of its level and sit under its parent."""
    if level not in LEVELS:
        raise InvalidInput(f"未知的区划级别{level}", f"unknown level {level!r}; one of {', '.join(LEVELS)}")
    digits = 6 if LEVEL_DIGITS[level] <= 6 else LEVEL_DIGITS[level]
    if len(code) != digits or not code.isdigit():
        raise InvalidInput(
            f"{_LEVEL_ZH[level]}级区划代码应为{digits}位数字：{code}",
            f"a {level} code has {digits} digits: {code!r}",
        )
    if session.get(Region, code) is not None:
        raise Conflict(f"行政区划{code}已存在", f"region {code} already exists")
    if parent is not None:
        p = get_region(session, parent)
        if LEVELS.index(p.level) >= LEVELS.index(level) or not contains(p, code):
            raise InvalidInput(
                f"区划{code}（{_LEVEL_ZH[level]}）不属于上级{parent}（{_LEVEL_ZH[p.level]}）",
                f"region {code} ({level}) is not under {parent} ({p.level})",
            )
    region = Region(code=code, name=name, level=level, parent_code=parent)
    session.add(region)
    session.flush()
    audit.record(session, actor, "regions", code, "insert", None, {"name": name, "level": level})
    return region


def list_regions(
    session: Session,
    under: str | None = None,
    *,
    scope: str = "",
    limit: int | None = None,
    offset: int = 0,
) -> list[Region]:
    """Regions by code inside ``scope`` (a region-code prefix, "" = all) and under the region
    ``under``, paged in SQL."""
    stmt = select(Region).where(Region.code.startswith(scope, autoescape=True)).order_by(Region.code)
    if under is not None:
        stmt = stmt.where(Region.code.startswith(prefix(get_region(session, under)), autoescape=True))
    return list(session.scalars(stmt.limit(limit).offset(offset)))
