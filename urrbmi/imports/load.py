"""Load a checked department list into the database (issue #4): the orchestration.

``load_list(session, file, source, as_of, actor=..., scope=..., allowed_sources=...)`` checks the
file (:func:`urrbmi.imports.check.check_file`), then in the caller's transaction:

1. refuses nothing twice: the same bytes from the same source (``import_batches`` unique
   ``(source, sha256)``) return the earlier batch and change nothing;
2. keeps the original bytes (``import_files``, content-addressed) and a batch row;
3. puts the valid rows in ``import_staging`` (:mod:`urrbmi.imports.staging`; bulk insert: COPY on
   PostgreSQL) and works from there with set-based SQL: match residents, scope, conflicts against
   the registry and against earlier files of the source (:mod:`urrbmi.imports.conflicts`, to the
   review queue), then the applier of the list's kind (:mod:`urrbmi.imports.apply`):

   - identity lists (民政, 乡村振兴, 残联, 退役军人, 卫健): new memberships from ``as_of``;
     in ``replace`` mode the source's open memberships of its categories that are absent from
     the list end on ``as_of − 1`` (monthly dynamics: gained and lost per category);
   - population lists (``hukou``, ``gongan``): new residents, moves, deaths and moves out;
   - last year's enrollment (``enrollment``): ``enrollments`` rows with ``source='import'``;

4. records the outcome of every row (``import_rows``: batch, row number, ID, status, reason).

Everything is in one transaction (the caller's): a failure anywhere leaves nothing behind. The
words the loader reads in cells (公安 events, insurance types…) are in ``list_words.yaml``
(:mod:`urrbmi.imports.kinds`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urrbmi.db.frames import read_frame
from urrbmi.db.models import Region
from urrbmi.db.models_imports import ImportBatch, ImportFile
from urrbmi.errors import InvalidInput, UrrbmiError
from urrbmi.imports import config as cfg
from urrbmi.imports.apply import apply, source_categories
from urrbmi.imports.check import check_file
from urrbmi.imports.conflicts import match
from urrbmi.imports.kinds import (
    ATTRIBUTE_SOURCES,
    EMPLOYEE_MEDICAL,
    ENROLLMENT_SOURCES,
    MODES,
    POPULATION_SOURCES,
    batch_kind,
)
from urrbmi.imports.model import ListBatch
from urrbmi.imports.staging import Staging
from urrbmi.imports.validate import Regions
from urrbmi.limits import check_list_date, check_size, list_date_window
from urrbmi.policy.categories import Vocabulary
from urrbmi.registry import audit

# the staging of one batch: the name tests patch (``_Loader.finish``) to fail after the appliers
_Loader = Staging

__all__ = [
    "ATTRIBUTE_SOURCES",
    "EMPLOYEE_MEDICAL",
    "ENROLLMENT_SOURCES",
    "MODES",
    "POPULATION_SOURCES",
    "ListAlreadyLoading",
    "ListOutOfOrder",
    "LoadResult",
    "SourceNotAllowed",
    "absent_from_hukou",
    "batch_kind",
    "load_list",
    "regions_from_db",
    "source_categories",
]


class SourceNotAllowed(UrrbmiError):
    code = "source_not_allowed"
    http_status = 403


class ListAlreadyLoading(UrrbmiError):
    code = "list_already_loading"
    http_status = 422


class ListOutOfOrder(InvalidInput):
    code = "list_out_of_order"
    http_status = 422


@dataclass
class LoadResult:
    batch_id: int
    source: str
    kind: str
    file_name: str
    sha256: str
    as_of: dt.date
    already_loaded: bool
    data_rows: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # per import_rows status
    gained: dict[str, int] = field(default_factory=dict)  # per category (memberships started)
    lost: dict[str, int] = field(default_factory=dict)  # per category (memberships ended)
    population: dict[str, int] = field(default_factory=dict)  # added, deceased, moved_out, moved
    enrollments: int = 0
    review_items: int = 0
    retro_subsidies: int = 0  # pending 补发 of residents who paid before the identity (昌吉 三)
    phones: dict[str, Any] = field(default_factory=dict)  # urrbmi.imports.phones.PhoneLoad.as_dict
    seconds: dict[str, float] = field(default_factory=dict)
    check: ListBatch | None = None  # the checked file (for the error report); None if already loaded

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "source": self.source,
            "kind": self.kind,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "as_of": self.as_of.isoformat(),
            "already_loaded": self.already_loaded,
            "data_rows": self.data_rows,
            "rows": dict(self.rows),
            "gained": dict(self.gained),
            "lost": dict(self.lost),
            "population": dict(self.population),
            "enrollments": self.enrollments,
            "review_items": self.review_items,
            "retro_subsidies": self.retro_subsidies,
            "phones": dict(self.phones),
            "seconds": dict(self.seconds),
        }


def regions_from_db(session: Session, scope: str = "") -> Regions | None:
    """Towns and villages of the registry (under ``scope``), to check and code the town/village
    columns; None when the registry has no towns."""
    rows = session.execute(
        select(Region.code, Region.name, Region.level, Region.parent_code).where(
            Region.level.in_(("town", "village")), Region.code.like(scope + "%")
        )
    ).all()
    if not any(r.level == "town" for r in rows):
        return None
    return Regions.from_rows(
        [{"code": r.code, "name": r.name, "level": r.level, "parent": r.parent_code or ""} for r in rows]
    )


def load_list(
    session: Session,
    file: Path | bytes,
    source: str,
    as_of: dt.date | None = None,
    *,
    actor: str,
    scope: str = "",
    allowed_sources: Collection[str] | None = None,
    mode: str = "replace",
    file_name: str | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    confirm_removals: bool = False,
    vocabulary: Vocabulary | None = None,
) -> LoadResult:
    """Check and load one list file (a path or its bytes) from ``source`` in the session's
    transaction. ``scope`` is a region-code prefix ("" = everything): rows of residents outside
    it are not loaded (``out_of_scope``), and only memberships inside it are ended.
    ``allowed_sources`` (None = any) is what the uploader may load. ``mode``: ``replace`` (the
    list is the source's whole list for its categories; absent members lose the identity) or
    ``add`` (a supplement: only adds). A ``replace`` list that would end more than
    ``URRBMI_REPLACE_MAX_SHARE`` percent of the source's current identities (or attributes) in
    ``scope``, or all of them (an empty or header-only list), is refused (``ConfirmRemovals``,
    nothing changed) unless ``confirm_removals``. ``vocabulary``: the campaign policy's identities
    (see :func:`~urrbmi.imports.check.check_file`). Same file and source twice: nothing changes,
    ``already_loaded`` is True."""
    t0 = time.perf_counter()
    config = cfg.source(source)
    if allowed_sources is not None and source not in allowed_sources:
        raise SourceNotAllowed(
            f"无权导入“{config.name}”的名单", f"you may not load lists from source {source!r}"
        )
    if mode not in MODES:
        raise InvalidInput(f"导入方式应为{MODES}之一：{mode}", f"mode must be one of {MODES}: {mode!r}")
    if as_of is not None:
        check_list_date(as_of)  # before anything: a far-future date would block the source
    if isinstance(file, bytes):
        content = file
        name = file_name or "upload"
    else:
        check_size(Path(file).stat().st_size)  # before reading it
        content = Path(file).read_bytes()
        name = file_name or Path(file).name
    sha = hashlib.sha256(content).hexdigest()
    kind = batch_kind(source)
    earlier = session.scalars(
        select(ImportBatch).where(ImportBatch.source == source, ImportBatch.sha256 == sha)
    ).first()
    if earlier is not None:
        return LoadResult(
            earlier.id,
            source,
            kind,
            earlier.file_name,
            sha,
            earlier.as_of,
            True,
            earlier.data_rows,
            dict(earlier.counts.get("rows", {})),
        )
    as_of = as_of or _today()
    if kind == "list" and mode == "replace":
        latest = session.scalar(
            select(func.max(ImportBatch.as_of)).where(
                ImportBatch.source == source,
                ImportBatch.mode == "replace",
                ImportBatch.scope == scope,
                # a list dated beyond today's window (loaded before the window existed) blocks nothing
                ImportBatch.as_of <= list_date_window()[1],
            )
        )
        if latest is not None and latest > as_of:
            raise ListOutOfOrder(
                f"“{config.name}”已导入{latest}的名单，不能再以替换方式导入更早（{as_of}）的名单；"
                "补充名单请用 add 方式",
                f"a list of {source} as of {latest} is loaded; an older list ({as_of}) cannot replace it "
                "(use mode add for a supplement)",
            )
    regions = regions_from_db(session)  # towns are checked against the whole registry; scope is per resident
    # the bytes read above (hashed, stored below) are the ones checked: the file is read once
    checked = check_file(
        Path(name),
        source,
        as_of=as_of,
        regions=regions,
        progress=progress,
        on_total=on_total,
        content=content,
        vocabulary=vocabulary,
    )
    t1 = time.perf_counter()

    if session.get(ImportFile, sha) is None:
        session.add(ImportFile(sha256=sha, size=len(content), content=content))
        session.flush()  # before the batch that refers to it
    batch = ImportBatch(
        source=source,
        kind=kind,
        mode=mode,
        file_name=name[:300],
        sha256=sha,
        size=len(content),
        format=checked.file.format,
        encoding=checked.file.encoding,
        as_of=as_of,
        scope=scope,
        status="loaded",
        data_rows=checked.counts.data_rows,
        counts={},
        actor=actor,
        created_at=audit.now(),
    )
    session.add(batch)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same file loaded concurrently by another session won the race
        raise ListAlreadyLoading(
            "同一文件正由他人同时导入，请稍后查看导入批次",
            "the same file is being loaded concurrently; try later",
        ) from None
    result = LoadResult(
        batch.id, source, kind, name, sha, as_of, False, checked.counts.data_rows, check=checked
    )
    staging = _Loader(session, batch, checked, regions, scope, actor, result, confirm_removals)
    staging.stage()
    t2 = time.perf_counter()
    match(staging)  # scope and conflicts, to the review queue
    apply(staging)  # the applier of the batch's kind (urrbmi.imports.apply.APPLIERS)
    staging.finish()
    from urrbmi.imports.phones import load_phones  # phone numbers of the matched rows (issue 15)

    result.phones = load_phones(session, batch, checked, actor=actor).as_dict()
    if source == "hukou" and mode == "replace":
        result.population["absent"] = absent_from_hukou(session, batch.id).height
    t3 = time.perf_counter()
    result.seconds = {
        "check": round(t1 - t0, 3),
        "stage": round(t2 - t1, 3),
        "apply": round(t3 - t2, 3),
        "total": round(t3 - t0, 3),
        **{f"check_{k}": v for k, v in checked.seconds.items()},
    }
    batch.counts = {
        "rows": result.rows,
        "gained": result.gained,
        "lost": result.lost,
        "population": result.population,
        "enrollments": result.enrollments,
        "review_items": result.review_items,
    }
    batch.seconds = result.seconds["total"]
    audit.record(
        session,
        actor,
        "import_batches",
        batch.id,
        "load",
        None,
        {
            "source": source,
            "file": name,
            "sha256": sha,
            "as_of": as_of,
            "mode": mode,
            "scope": scope,
            **batch.counts,
        },
    )
    session.flush()
    return result


def absent_from_hukou(session: Session, batch_id: int, *, scope: str = "") -> pl.DataFrame:
    """Registered, active hukou residents (in the batch's scope and in ``scope``, the reader's
    region prefix) whose ID is not on the hukou list of ``batch_id`` (a ``replace`` list: the whole
    hukou population of its scope). They are not changed: absence does not say whether the person
    moved out, died or now lives here on a residence permit, so a 公安 event or a person must say.
    Columns: id_number, name, region_code (full IDs: mask before showing)."""
    b = session.get(ImportBatch, batch_id)
    if b is None or b.source != "hukou":
        raise InvalidInput(f"批次{batch_id}不是户籍人口名单", f"batch {batch_id} is not a hukou list")
    residents = read_frame(
        session,
        "SELECT id_number, name, region_code FROM residents WHERE status = 'active' AND residence = 'hukou'"
        " AND region_code LIKE :scope AND region_code LIKE :reader ORDER BY region_code, id_number",
        {"scope": b.scope + "%", "reader": scope + "%"},
        {"id_number": pl.String, "name": pl.String, "region_code": pl.String},
    )
    listed = read_frame(
        session,
        "SELECT id_number FROM import_rows WHERE batch_id = :b AND id_number IS NOT NULL",
        {"b": batch_id},
        {"id_number": pl.String},
    )
    return residents.join(listed, on="id_number", how="anti", maintain_order="left")


def _today() -> dt.date:
    from urrbmi import clock

    return clock.today()
