"""Read, validate and de-duplicate one department list: ``check_file(path, source) -> ListBatch``."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from urrbmi import clock
from urrbmi.imports import config as cfg
from urrbmi.imports.dedupe import dedupe_frame
from urrbmi.imports.headers import SCAN_ROWS, find_header
from urrbmi.imports.model import Counts, InvalidRow, ListBatch, Problem, SourceFile
from urrbmi.imports.reader import read
from urrbmi.imports.validate import Regions, TableValidator
from urrbmi.limits import SHOWN_CHARS, check_list_date, limits
from urrbmi.policy.categories import Vocabulary

Progress = Callable[[int], None]


def load_regions(path: Path) -> Regions:
    """A regions.csv (code,name,level,parent,…) as written by ``urrbmi synth county``."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return Regions.from_rows(list(csv.DictReader(f)))


def _long_cells(
    numbers: pl.Series, cells: dict[int, pl.Series], columns: dict[str, int], labels: dict[str, str]
) -> tuple[pl.Series, dict[int, pl.Series], list[InvalidRow]]:
    """Rows with a mapped cell over ``URRBMI_MAX_CELL_CHARS``: invalid (``cell_too_long``, the
    value cut to ``SHOWN_CHARS``), and taken out before validation; the other rows and cells."""
    cap = limits().max_cell_chars
    field_of = {c: f for f, c in columns.items()}
    long = pl.Series([False] * numbers.len(), dtype=pl.Boolean)
    for c in field_of:
        long = long | (cells[c].str.len_chars() > cap)
    if not long.any():
        return numbers, cells, []
    out: list[InvalidRow] = []
    picked = {c: col.filter(long) for c, col in cells.items()}
    for i, row in enumerate(numbers.filter(long).to_list()):
        problems = []
        raw: dict[str, str] = {}
        for c, f in field_of.items():
            text = picked[c][i] or ""
            shown = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"
            raw[f] = shown
            if len(text) > cap:
                problems.append(
                    Problem(
                        row,
                        labels[f],
                        shown,
                        "cell_too_long",
                        f"{labels[f]}超过{cap}个字符（{len(text):,}个）",
                        f"{labels[f]} is longer than {cap} characters ({len(text):,}, URRBMI_MAX_CELL_CHARS)",
                    )
                )
        out.append(InvalidRow(row, tuple(problems), raw))
    return numbers.filter(~long), {c: col.filter(~long) for c, col in cells.items()}, out


def _check_file(
    path: Path,
    source: str,
    *,
    as_of: dt.date | None = None,
    regions: Regions | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    content: bytes | None = None,
    vocabulary: Vocabulary | None = None,
) -> ListBatch:
    config = cfg.source(source)
    as_of = as_of or clock.today()
    check_list_date(as_of)
    t0 = time.perf_counter()
    table = read(path, sheet, content)
    t1 = time.perf_counter()
    header, start = find_header(table.head(SCAN_ROWS + 2), config)
    labels = {fld: header.labels[c] for fld, c in header.columns.items()}
    validator = TableValidator(config, header.columns, labels, as_of, regions, vocabulary)
    data_rows = table.count() - start
    if on_total is not None:
        on_total(data_rows)
    numbers, cells = table.columns(start, sorted(set(header.columns.values())))
    # Footers (制表人…) have neither a name nor an ID; lists pasted from pages repeat the header.
    header_texts = sorted({t.strip() for t in header.labels.values()})
    idv = cells[header.columns["id_number"]].str.strip_chars()
    namev = cells[header.columns["name"]].str.strip_chars()
    skip = ((idv == "") & (namev == "")) | (idv.is_in(header_texts) & namev.is_in(header_texts))
    skipped = numbers.filter(skip).to_list()
    if skipped:
        numbers = numbers.filter(~skip)
        cells = {c: col.filter(~skip) for c, col in cells.items()}
    numbers, cells, too_long = _long_cells(numbers, cells, header.columns, labels)
    valid, invalid = validator.check(numbers, {f: cells[c] for f, c in header.columns.items()}, progress)
    if too_long:
        invalid = sorted(invalid + too_long, key=lambda r: r.row)
    t2 = time.perf_counter()
    kept, duplicates, conflicts = dedupe_frame(valid, table.sha256)
    t3 = time.perf_counter()
    counts = Counts(
        data_rows=data_rows,
        valid=kept.height,
        invalid=len(invalid),
        duplicates=len(duplicates),
        conflict_rows=sum(len(c.rows) for c in conflicts),
        conflicts=len(conflicts),
        blank=table.blank_rows,
        skipped=len(skipped),
        unique_ids=kept["id_number"].n_unique(),
    )
    file = SourceFile(
        path=str(path),
        sha256=table.sha256,
        size=table.size,
        format=table.format,
        encoding=table.encoding,
        sheet=table.sheet,
        header_rows=header.rows,
        columns=labels,
        ignored_columns=header.ignored,
    )
    return ListBatch(
        source=config.key,
        file=file,
        frame=kept,
        invalid=invalid,
        duplicates=duplicates,
        conflicts=conflicts,
        skipped=skipped,
        counts=counts,
        as_of=as_of,
        seconds={"read": round(t1 - t0, 3), "validate": round(t2 - t1, 3), "dedupe": round(t3 - t2, 3)},
    )


def check_file(
    path: Path,
    source: str,
    *,
    as_of: dt.date | None = None,
    regions: Regions | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    content: bytes | None = None,
    vocabulary: Vocabulary | None = None,
) -> ListBatch:
    """Check a list file from ``source`` (a key of headers.yaml). ``as_of`` is the date the list
    describes (default today): later birth dates and dates more than a year after it are errors.
    ``progress`` is called with the number of rows done since the last call. ``content``: the
    file's bytes when the caller has read them already (``path`` then only names the file).
    ``vocabulary``: the campaign policy's (:func:`urrbmi.policy.identities.vocabulary_for`), so
    a column value a policy identity lists for this source is read as that identity; default:
    every identity of the policies on the search path.

    The cyclic garbage collector is paused meanwhile: the rows are millions of small acyclic
    objects, and its passes over them cost a quarter of the time (measured)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check_file(
            path,
            source,
            as_of=as_of,
            regions=regions,
            sheet=sheet,
            progress=progress,
            on_total=on_total,
            content=content,
            vocabulary=vocabulary,
        )
    finally:
        if enabled:
            gc.enable()
