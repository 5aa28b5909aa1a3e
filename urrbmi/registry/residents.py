"""Residents and their identities (人员身份).

One live row per ID number; every change first copies the previous version to
``resident_history`` and writes an audit row. Identities are memberships: resident × category ×
certifying department × validity period × the batch (department list) that brought them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.db.models import RESIDENCE, STUDENT, AuditLog, Membership, Resident, ResidentHistory
from urrbmi.errors import InvalidInput
from urrbmi.policy.identities import all_identities
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict, NotFound
from urrbmi.registry.regions import get_region
from urrbmi.registry.regions import prefix as region_prefix

# the fields a caller may set (the rest are derived or bookkeeping)
EDITABLE = (
    "name",
    "region_code",
    "residence",
    "student",
    "school_name",
    "employee_insured",
    "employee_insurance_ended_on",
    "employee_insurance_years",
    "graduation_year",
    "returning_migrant_year",
    "status",
    "died_on",
    "household_id",
    "guardian_id",
)


@dataclass(frozen=True)
class NewResident:
    id_number: str
    name: str
    region_code: str
    residence: str = "hukou"
    student: str | None = None
    school_name: str | None = None
    employee_insured: bool = False
    household_id: str | None = None
    guardian_id_number: str | None = None


def snapshot(r: Resident) -> dict[str, Any]:
    """The resident's fields as a JSON-able dict (dates as ISO text)."""
    out: dict[str, Any] = {"id_number": r.id_number, "sex": r.sex, "birth_date": r.birth_date}
    out.update({f: getattr(r, f) for f in EDITABLE})
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in out.items()}


def find_resident(session: Session, id_number: str) -> Resident | None:
    return session.scalars(select(Resident).where(Resident.id_number == ids.normalize(id_number))).first()


def get_resident(session: Session, id_number: str) -> Resident:
    found = find_resident(session, id_number)
    if found is None:
        shown = ids.mask(id_number)
        raise NotFound(f"登记册中没有身份证号码为{shown}的居民", f"no resident with ID {shown}")
    return found


def _check_choice(field: str, value: str | None, allowed: tuple[str, ...], zh: str) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(
            f"{zh}应为{'、'.join(allowed)}之一：{value}", f"{field} must be one of {allowed}: {value!r}"
        )


_YEAR_ZH = {"graduation_year": "毕业年份", "returning_migrant_year": "春节返乡务工年度"}


def _check_facts(changes: dict[str, Any]) -> None:
    """Years are four-digit years; employee-insurance years are not negative."""
    for key, zh in _YEAR_ZH.items():
        value = changes.get(key)
        if value is not None and not (isinstance(value, int) and 1950 <= value <= 2100):
            raise InvalidInput(f"{zh}应为四位年份：{value}", f"{key} must be a four-digit year: {value!r}")
    years = changes.get("employee_insurance_years")
    if years is not None and not (isinstance(years, int) and 0 <= years <= 80):
        raise InvalidInput(
            f"职工医保缴费年限应为0至80的整数：{years}",
            f"employee_insurance_years must be a whole number from 0 to 80: {years!r}",
        )


def already_registered() -> Conflict:
    """The one answer to registering an ID number that is registered already, wherever (inside the
    user's scope or not): it names no region, resident or record, only that the number is taken
    (see docs/api.md, Scope)."""
    return Conflict(
        "该身份证号码已登记，不能重复登记；如该居民已迁入本辖区，请联系县医保局办理迁移",
        "this ID number is already registered; if the person moved into your area, ask the county "
        "bureau to move the record",
    )


def add_resident(session: Session, new: NewResident, *, actor: str) -> Resident:
    """Register a resident. A second live row for the same ID number is refused."""
    number = ids.validate(new.id_number)
    _check_choice("residence", new.residence, RESIDENCE, "户籍或居住证")
    _check_choice("student", new.student, STUDENT, "学生类型")
    get_region(session, new.region_code)
    guardian_id = None
    if new.guardian_id_number is not None:
        guardian_id = get_resident(session, new.guardian_id_number).id
    if find_resident(session, number) is not None:
        raise already_registered()
    resident = Resident(
        id_number=number,
        name=new.name,
        sex=ids.sex(number),
        birth_date=ids.birth_date(number),
        region_code=new.region_code,
        residence=new.residence,
        student=new.student,
        school_name=new.school_name,
        employee_insured=new.employee_insured,
        status="active",
        household_id=new.household_id,
        guardian_id=guardian_id,
        row_version=1,
        updated_at=audit.now(),
    )
    session.add(resident)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent registration of the same ID won the race
        raise already_registered() from None
    audit.record(session, actor, "residents", resident.id, "insert", None, snapshot(resident))
    return resident


def update_resident(
    session: Session, id_number: str, changes: dict[str, Any], *, actor: str, reason: str | None = None
) -> Resident:
    """Change a resident's fields, keeping the previous version in ``resident_history``."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(
            f"不能修改的字段：{sorted(unknown)}", f"fields that cannot be changed: {sorted(unknown)}"
        )
    _check_choice("residence", changes.get("residence"), RESIDENCE, "户籍或居住证")
    _check_choice("student", changes.get("student"), STUDENT, "学生类型")
    if "region_code" in changes:
        get_region(session, changes["region_code"])
    _check_facts(changes)
    if changes.get("employee_insurance_ended_on") is not None and "employee_insured" not in changes:
        # the end of employee insurance (人社 list, CLI, API) means the person left it: collected
        # from again, and priced by the transfer rules (濉溪 六（四）, 丰都 四（三）)
        changes = {**changes, "employee_insured": False}
    resident = get_resident(session, id_number)
    old = snapshot(resident)
    stamp = audit.now()
    session.execute(
        insert(ResidentHistory).values(
            resident_id=resident.id,
            id_number=resident.id_number,
            row_version=resident.row_version,
            data=old,
            valid_from=resident.updated_at,
            valid_to=stamp,
            changed_by=actor,
            reason=reason,
        )
    )
    for key, value in changes.items():
        setattr(resident, key, value)
    if changes.get("died_on") is not None:
        resident.status = "deceased"
    resident.row_version += 1
    resident.updated_at = stamp
    session.flush()
    audit.record(session, actor, "residents", resident.id, "update", old, snapshot(resident))
    return resident


def update_many(
    session: Session, changes: dict[int, dict[str, Any]], *, actor: str, reason: str | None = None
) -> int:
    """:func:`update_resident` for many residents at once (resident id -> changes): the same
    history and audit rows, written with one statement each per batch of residents (a school's
    roster of thousands of pupils). Only ``student`` and ``school_name`` (the fields a roster
    sets); returns the number of residents changed."""
    fields = {f for ch in changes.values() for f in ch}
    if not fields <= {"student", "school_name"}:
        raise InvalidInput(
            f"不能批量修改的字段：{sorted(fields)}",
            f"fields that cannot be changed in bulk: {sorted(fields)}",
        )
    for ch in changes.values():
        _check_choice("student", ch.get("student"), STUDENT, "学生类型")
    wanted = list(changes)
    stamp = audit.now()
    done = 0
    for i in range(0, len(wanted), 900):
        found = list(session.scalars(select(Resident).where(Resident.id.in_(wanted[i : i + 900]))))
        history: list[dict[str, Any]] = []
        logs: list[dict[str, Any]] = []
        for r in found:
            old = snapshot(r)
            history.append(
                {
                    "resident_id": r.id,
                    "id_number": r.id_number,
                    "row_version": r.row_version,
                    "data": old,
                    "valid_from": r.updated_at,
                    "valid_to": stamp,
                    "changed_by": actor,
                    "reason": reason,
                }
            )
            for key, value in changes[r.id].items():
                setattr(r, key, value)
            r.row_version += 1
            r.updated_at = stamp
            logs.append(
                {
                    "at": stamp,
                    "actor": actor,
                    "table_name": "residents",
                    "row_key": str(r.id),
                    "action": "update",
                    "old": audit.masked(old),
                    "new": audit.masked(snapshot(r)),
                }
            )
        if history:
            session.execute(insert(ResidentHistory), history)
            session.execute(insert(AuditLog), logs)
            done += len(history)
    session.flush()
    return done


def history(session: Session, id_number: str) -> list[ResidentHistory]:
    number = ids.normalize(id_number)
    stmt = select(ResidentHistory).where(ResidentHistory.id_number == number).order_by(ResidentHistory.id)
    return list(session.scalars(stmt))


def history_of(
    session: Session, resident_id: int, *, limit: int | None = None, offset: int = 0
) -> list[ResidentHistory]:
    """A resident's earlier versions, oldest first, paged in SQL."""
    stmt = (
        select(ResidentHistory)
        .where(ResidentHistory.resident_id == resident_id)
        .order_by(ResidentHistory.id)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))


def list_residents(
    session: Session,
    *,
    scope: str = "",
    under: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Resident]:
    """Residents inside ``scope`` (a region-code prefix, "" = all), under the region ``under``, of
    ``status``, by region and number, paged in SQL."""
    stmt = select(Resident).where(Resident.region_code.startswith(scope, autoescape=True))
    if under is not None:
        stmt = stmt.where(
            Resident.region_code.startswith(region_prefix(get_region(session, under)), autoescape=True)
        )
    if status is not None:
        stmt = stmt.where(Resident.status == status)
    stmt = stmt.order_by(Resident.region_code, Resident.id).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def add_membership(
    session: Session,
    id_number: str,
    category: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    *,
    department: str | None = None,
    batch_id: str | None = None,
    actor: str,
) -> Membership:
    """Record an identity; the category may be a name, an alias or a code (national vocabulary).
    The department defaults to the one that certifies the category."""
    cat = all_identities().resolve(category)
    if valid_to is not None and valid_to < valid_from:
        raise InvalidInput(
            f"身份有效期止{valid_to}早于起{valid_from}",
            f"valid_to {valid_to} is before valid_from {valid_from}",
        )
    resident = get_resident(session, id_number)
    m = Membership(
        resident_id=resident.id,
        category_code=cat.code,
        source_department=department or cat.department,
        valid_from=valid_from,
        valid_to=valid_to,
        batch_id=batch_id,
    )
    session.add(m)
    session.flush()
    audit.record(
        session,
        actor,
        "memberships",
        m.id,
        "insert",
        None,
        {"resident_id": resident.id, "category": cat.code, "from": valid_from, "to": valid_to},
    )
    return m


def end_membership(session: Session, id_number: str, category: str, valid_to: dt.date, *, actor: str) -> int:
    """Close the open memberships of a category on ``valid_to``; returns how many."""
    code = all_identities().code(category)
    resident = get_resident(session, id_number)
    rows = session.scalars(
        select(Membership).where(
            Membership.resident_id == resident.id,
            Membership.category_code == code,
            or_(Membership.valid_to.is_(None), Membership.valid_to > valid_to),
        )
    ).all()
    for m in rows:
        old = {"to": m.valid_to}
        m.valid_to = valid_to
        audit.record(session, actor, "memberships", m.id, "update", old, {"to": valid_to})
    session.flush()
    return len(rows)


def valid_on(day: dt.date) -> Any:
    """SQL condition: the membership is valid on ``day``."""
    return and_(Membership.valid_from <= day, or_(Membership.valid_to.is_(None), Membership.valid_to >= day))


def categories_on(session: Session, resident_id: int, day: dt.date) -> tuple[str, ...]:
    """Sorted category codes the resident holds on ``day``."""
    rows = session.scalars(
        select(Membership.category_code).where(Membership.resident_id == resident_id, valid_on(day))
    )
    return tuple(sorted(set(rows)))


def memberships(session: Session, resident_id: int) -> list[Membership]:
    stmt = select(Membership).where(Membership.resident_id == resident_id).order_by(Membership.valid_from)
    return list(session.scalars(stmt))
