"""urrbmi/imports: department lists (部门名单) read, validated and de-duplicated, without a database.

>>> from urrbmi.imports import check_file  # check_file(path, "minzheng", as_of=..., regions=...)

See docs/imports.md. Modules: reader (formats, encodings), headers (+ headers.yaml, per-source
aliases), normalize, validate, dedupe, model (the result objects), report (the Excel report),
check (the whole pass). Into the database (not imported here): load (the orchestrator,
``load_list``), staging, conflicts, apply/ (one applier per list kind), kinds (+ list_words.yaml),
review, effects.
"""

from urrbmi.imports.check import check_file, load_regions
from urrbmi.imports.model import Conflict, Counts, Duplicate, InvalidRow, ListBatch, ListRow, Problem

__all__ = [
    "Conflict",
    "Counts",
    "Duplicate",
    "InvalidRow",
    "ListBatch",
    "ListRow",
    "Problem",
    "check_file",
    "load_regions",
]
