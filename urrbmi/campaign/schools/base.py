"""Schools themselves (学校代缴): registering a school in a region, finding and listing schools in a
scope, and the checks every school service shares (the campaign covers the school; the region
prefix its pupils share).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urrbmi.db.models import Campaign, Resident
from urrbmi.db.models_schools import School, SchoolPupil
from urrbmi.errors import InvalidInput
from urrbmi.imports import normalize
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict, NotFound
from urrbmi.registry.regions import get_region, prefix

LOOKUP_BATCH = 900


def register_school(
    session: Session, *, name: str, region_code: str, code: str | None = None, actor: str, scope: str = ""
) -> School:
    """A school in ``region_code`` (inside ``scope``); a second school of the same name in the
    same region is refused."""
    name = normalize.clean(name)
    if not name or len(name) > 200:
        raise InvalidInput(
            "学校名称为空或超过200个字符", "the school's name is empty or longer than 200 characters"
        )
    if code is not None and (not code.strip() or len(code.strip()) > 20):
        raise InvalidInput(
            "学校标识码为空或超过20个字符", "the school code is empty or longer than 20 characters"
        )
    region = get_region(session, region_code)
    if not region.code.startswith(scope):
        raise NotFound(f"找不到区划{region_code}", f"no region {region_code}")
    school = School(
        region_code=region.code,
        name=name,
        code=None if code is None else code.strip(),
        created_at=audit.now(),
        created_by=actor,
    )
    try:
        with session.begin_nested():
            session.add(school)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"{region.name}已登记学校“{name}”",
            f"a school of that name is already registered in {region.code}",
        ) from None
    audit.record(
        session,
        actor,
        "schools",
        school.id,
        "insert",
        None,
        {"name": name, "region": region.code, "code": code},
    )
    return school


def get_school(session: Session, school_id: int, *, scope: str = "") -> School:
    school = session.get(School, school_id)
    if school is None or not school.region_code.startswith(scope):
        raise NotFound(f"找不到学校{school_id}", f"no school {school_id}")
    return school


def list_schools(session: Session, *, scope: str = "") -> list[School]:
    return list(
        session.scalars(
            select(School).where(School.region_code.startswith(scope, autoescape=True)).order_by(School.id)
        )
    )


def check_campaign(session: Session, school: School, c: Campaign) -> None:
    """The campaign must cover the school's region (its pupils are the campaign's residents)."""
    if not school.region_code.startswith(prefix(get_region(session, c.region_code))):
        raise InvalidInput(
            f"学校“{school.name}”不在征缴批次{c.id}的范围内",
            f"school {school.id} is outside campaign {c.id}'s region",
        )


def pupils_prefix(session: Session, c: Campaign, school_ids: Sequence[int] | Any) -> str:
    """The longest region-code prefix shared by the pupils of these schools' rosters (at least the
    campaign's): :func:`resident_state` then reads one town, not the whole county."""
    own = prefix(get_region(session, c.region_code))
    codes = list(
        session.scalars(
            select(Resident.region_code)
            .join(SchoolPupil, SchoolPupil.resident_id == Resident.id)
            .where(SchoolPupil.campaign_id == c.id, SchoolPupil.school_id.in_(school_ids))
            .distinct()
        )
    )
    common = codes[0] if codes else own
    for code in codes[1:]:
        while not code.startswith(common):
            common = common[:-1]
    return common if common.startswith(own) else own
