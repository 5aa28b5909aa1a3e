"""Within-file de-duplication by ID: exact repeats are dropped and counted; rows with the same ID
that disagree on the person (name, sex or birth-date column) all go to a conflict record for a
person to decide, never merged. Rows with the same ID and name but other differences (the same
person listed under two categories) are all kept."""

from __future__ import annotations

import polars as pl

from urrbmi.imports.model import Conflict, Duplicate, ListRow, rows_of

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


def dedupe_frame(
    frame: pl.DataFrame, file_sha256: str = ""
) -> tuple[pl.DataFrame, list[Duplicate], list[Conflict]]:
    """``dedupe`` over the columns of a checked list (``ListBatch.frame``), with the same result:
    a row whose mapped values (the ``v.`` columns) all equal an earlier row's is a duplicate of
    the first such row; the rows left that share an ID go through ``dedupe`` itself (few), and
    every row of an ID in conflict is held back."""
    values = [c for c in frame.columns if c.startswith("v.")]
    if frame.is_empty():
        return frame, [], []
    marked = frame.with_columns(pl.col("row").min().over(values).alias("_same_as"))
    repeats = marked.filter(pl.col("row") != pl.col("_same_as"))
    duplicates = [
        Duplicate(row, same_as, number)
        for row, same_as, number in repeats.select("row", "_same_as", "id_number").iter_rows()
    ]
    unique = marked.filter(pl.col("row") == pl.col("_same_as")).drop("_same_as")
    shared = unique.filter(pl.col("id_number").is_duplicated())
    if shared.is_empty():
        return unique, duplicates, []
    _, _, conflicts = dedupe(rows_of(shared, file_sha256))
    if conflicts:
        held = [c.id_number for c in conflicts]
        unique = unique.filter(~pl.col("id_number").is_in(held))
    return unique, duplicates, conflicts
