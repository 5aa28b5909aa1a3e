"""Within-file de-duplication by ID: exact repeats are dropped and counted; rows with the same ID
that disagree on the person (name, sex or birth-date column) all go to a conflict record for a
person to decide, never merged. Rows with the same ID and name but other differences (the same
person listed under two categories) are all kept."""

from __future__ import annotations

from urrbmi.imports.model import Conflict, Duplicate, ListRow

IDENTITY_FIELDS = ("name", "sex", "birth_date")


def dedupe(rows: list[ListRow]) -> tuple[list[ListRow], list[Duplicate], list[Conflict]]:
    """(rows kept in file order, duplicates dropped, conflicts held back)."""
    seen: dict[tuple[str, ...], int] = {}
    first: dict[str, ListRow] = {}
    repeated: dict[str, list[ListRow]] = {}  # only IDs met more than once
    unique: list[ListRow] = []
    duplicates: list[Duplicate] = []
    for r in rows:
        kept_row = seen.setdefault(r.key(), r.row)
        if kept_row != r.row:
            duplicates.append(Duplicate(r.row, kept_row, r.id_number))
            continue
        unique.append(r)
        prev = first.setdefault(r.id_number, r)
        if prev is not r:
            repeated.setdefault(r.id_number, [prev]).append(r)
    conflicts: list[Conflict] = []
    for number, group in repeated.items():
        differ = tuple(f for f in IDENTITY_FIELDS if len({g.values.get(f, "") for g in group}) > 1)
        if differ:
            conflicts.append(Conflict(number, tuple(group), differ))
    if conflicts:
        held = {c.id_number for c in conflicts}
        unique = [r for r in unique if r.id_number not in held]
    return unique, duplicates, conflicts
