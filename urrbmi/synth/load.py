"""Load a synthetic county into the registry (regions, residents, identities) in bulk.

For demos and benchmarks: real department lists go through :mod:`urrbmi.imports`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi.db.bulk import bulk_insert
from urrbmi.db.models import Membership, Resident
from urrbmi.registry.audit import now
from urrbmi.registry.regions import add_region
from urrbmi.synth import County

_STUDENT = {
    "preschool": "school",
    "primary": "school",
    "junior": "school",
    "senior": "school",
    "college": "college",
}
_CHUNK = 10_000


def load_county(session: Session, county: County, *, actor: str, province: tuple[str, str]) -> int:
    """Insert the county's region tree under ``province`` (code, name) and all its residents
    with their identities (valid from the county's as-of date). Returns the resident count."""
    add_region(session, province[0], province[1], "province", actor=actor)
    tree = county.tree
    add_region(session, tree.county.code, tree.county.name, "county", province[0], actor=actor)
    for town in tree.towns:
        add_region(session, town.code, town.name, "town", tree.county.code, actor=actor)
    for village in tree.villages:
        add_region(session, village.code, village.name, "village", village.parent, actor=actor)
    stamp = now()
    rows: list[dict[str, Any]] = []
    cats: dict[str, tuple[str, ...]] = {}
    count = 0
    for r in county.residents():
        rows.append(
            {
                "id_number": r.id_number,
                "name": r.name,
                "sex": r.sex,
                "birth_date": r.birth_date,
                "region_code": r.village_code,
                "residence": r.residence,
                "student": _STUDENT.get(r.student),
                "employee_insured": r.employee_insured,
                "status": "deceased" if r.deceased_on else "active",
                "died_on": r.deceased_on,
                "household_id": r.household_id,
                "row_version": 1,
                "updated_at": stamp,
            }
        )
        if r.categories:
            cats[r.id_number] = r.categories
        if len(rows) == _CHUNK:
            bulk_insert(session, Resident, rows)
            count += len(rows)
            rows = []
    bulk_insert(session, Resident, rows)
    count += len(rows)
    session.flush()
    _load_identities(session, cats, county.as_of)
    return count


def _load_identities(session: Session, cats: dict[str, tuple[str, ...]], since: dt.date) -> None:
    rows = session.execute(select(Resident.id_number, Resident.id))
    by_number: dict[str, int] = {number: rid for number, rid in rows}
    members = [
        {
            "resident_id": by_number[number],
            "category_code": code,
            "source_department": "synth",
            "valid_from": since,
            "valid_to": None,
            "batch_id": "synth",
        }
        for number, codes in cats.items()
        for code in codes
    ]
    for k in range(0, len(members), _CHUNK):
        bulk_insert(session, Membership, members[k : k + _CHUNK])
