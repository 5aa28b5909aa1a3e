"""Within-file de-duplication by ID: exact repeats are dropped and counted; rows with the same ID
that disagree on the person (name, sex or birth-date column) all go to a conflict record for a
person to decide, never merged. Rows with the same ID and name but other differences (the same
person listed under two categories) are all kept."""

from __future__ import annotations

from urrbmi.imports.model import Conflict, Duplicate, ListRow

IDENTITY_FIELDS = ("name", "sex", "birth_date")


def dedupe(rows: list[ListRow]) -> tuple[list[ListRow], list[Duplicate], list[Conflict]]:
    by_id: dict[str, list[ListRow]] = {}
    seen: dict[tuple[str, ...], int] = {}
    duplicates: list[Duplicate] = []
    for r in rows:
        key = r.key()
        first = seen.get(key)
        if first is not None:
            duplicates.append(Duplicate(r.row, first, r.id_number))
            continue
        seen[key] = r.row
        by_id.setdefault(r.id_number, []).append(r)
    kept: list[ListRow] = []
    conflicts: list[Conflict] = []
    for number, group in by_id.items():
        if len(group) == 1:
            kept.append(group[0])
            continue
        differ = tuple(f for f in IDENTITY_FIELDS if len({g.values.get(f, "") for g in group}) > 1)
        if differ:
            conflicts.append(Conflict(number, tuple(group), differ))
        else:
            kept.extend(group)
    kept.sort(key=lambda r: r.row)
    return kept, duplicates, conflicts
