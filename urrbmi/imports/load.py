"""Load a checked department list into the database (issue #4).

``load_list(session, file, source, as_of, actor=..., scope=..., allowed_sources=...)`` checks the
file (:func:`urrbmi.imports.check.check_file`), then in the caller's transaction:

1. refuses nothing twice: the same bytes from the same source (``import_batches`` unique
   ``(source, sha256)``) return the earlier batch and change nothing;
2. keeps the original bytes (``import_files``, content-addressed) and a batch row;
3. puts the valid rows in ``import_staging`` (bulk insert: COPY on PostgreSQL) and works from
   there with set-based SQL: match residents, scope, conflicts against the registry and against
   earlier files of the source (to the review queue), then, by the kind of list:

   - identity lists (民政, 乡村振兴, 残联, 退役军人, 卫健): new memberships from ``as_of``;
     in ``replace`` mode the source's open memberships of its categories that are absent from
     the list end on ``as_of − 1`` (monthly dynamics: gained and lost per category);
   - population lists (``hukou``, ``gongan``): new residents, moves, deaths and moves out;
   - last year's enrollment (``enrollment``): ``enrollments`` rows with ``source='import'``;

4. records the outcome of every row (``import_rows``: batch, row number, ID, status, reason).

Everything is in one transaction (the caller's): a failure anywhere leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import polars as pl
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.db.bulk import bulk_insert
from urrbmi.db.frames import is_postgres, read_frame, write_frame
from urrbmi.db.models import AuditLog, Base, Enrollment, Membership, Region, Resident, ResidentHistory
from urrbmi.db.models_imports import ImportBatch, ImportFile, ImportRow, ImportStaging, ReviewItem
from urrbmi.errors import InvalidInput, UrrbmiError
from urrbmi.imports import config as cfg
from urrbmi.imports.check import check_file
from urrbmi.imports.model import ListBatch, ListRow
from urrbmi.imports.validate import Regions
from urrbmi.limits import check_list_date, check_removals, check_size, list_date_window
from urrbmi.policy.categories import Vocabulary
from urrbmi.policy.identities import all_identities
from urrbmi.registry import audit
from urrbmi.registry.residents import snapshot, update_resident

POPULATION_SOURCES = ("hukou", "gongan")
# lists without identities that set a resident attribute: source -> the field carrying it
ATTRIBUTE_SOURCES = {"jiaoyu": "school", "renshe": "status"}
# 人社 参保状态 words meaning the person is no longer in employee insurance (else: insured)
EMPLOYEE_INSURANCE_ENDED = ("终止", "暂停", "中断", "停保", "退保")
# 人社 lists by insurance type (险种类型: the national codes of 社会保险险种, or their names). Only
# 职工基本医疗保险 (310) says a person is in employee insurance; the others are information shared by
# 人社 (昌吉 六: 城乡居民养老保险缴费和享受待遇人员信息) that excludes nobody. A list without the column
# is an employee-insurance list (assumed: the 人社 list the bureau asks for, 职工医保参保人员).
RENSHE_INSURANCE_TYPES = {
    "": "310",
    "310": "310",
    "职工基本医疗保险": "310",
    "城镇职工基本医疗保险": "310",
    "职工医保": "310",
    "职工医疗保险": "310",
    "390": "390",
    "城乡居民基本医疗保险": "390",
    "城乡居民医保": "390",
    "居民医保": "390",
    "110": "110",
    "企业职工基本养老保险": "110",
    "职工养老保险": "110",
    "120": "120",
    "机关事业单位养老保险": "120",
    "机关事业单位基本养老保险": "120",
    "170": "170",
    "城乡居民基本养老保险": "170",
    "城乡居民养老保险": "170",
    "居民养老保险": "170",
    "210": "210",
    "失业保险": "210",
    "410": "410",
    "工伤保险": "410",
    "510": "510",
    "生育保险": "510",
}
EMPLOYEE_MEDICAL = "310"
# 学段 words of a school roster meaning higher education: the row is a college student
COLLEGE_WORDS = ("大学", "本科", "专科", "大专", "高职", "研究生", "高校")
ENROLLMENT_SOURCES = ("enrollment",)
MODES = ("replace", "add")
# 公安 event words -> what they do to the registry (configurable by editing this table)
EVENTS = {
    "": "present",
    "户籍人口": "present",
    "正常": "present",
    "在册": "present",
    "出生": "birth",
    "出生登记": "birth",
    "迁入": "move_in",
    "死亡": "death",
    "死亡注销": "death",
    "迁出": "move_out",
    "迁出注销": "move_out",
}
INSURANCE_TYPES = {
    "390": "390",
    "城乡居民基本医疗保险": "390",
    "城乡居民医保": "390",
    "居民医保": "390",
    "310": "310",
    "职工基本医疗保险": "310",
    "职工医保": "310",
}


class SourceNotAllowed(UrrbmiError):
    code = "source_not_allowed"
    http_status = 403


class ListAlreadyLoading(UrrbmiError):
    code = "list_already_loading"
    http_status = 422


class ListOutOfOrder(InvalidInput):
    code = "list_out_of_order"
    http_status = 422


def _lookup(frame: pl.DataFrame, column: pl.Expr, convert: Callable[[str], str | None]) -> pl.Expr:
    """``convert`` of each distinct text of ``column`` (few: event words, insurance types), as an
    expression over the rows (None where ``convert`` gives None)."""
    texts = frame.select(column.alias("t")).to_series().unique().to_list()
    table = {t: convert(t) for t in texts}
    return column.replace_strict(table, default=None, return_dtype=pl.String)


def _t(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def batch_kind(source: str) -> str:
    if source in POPULATION_SOURCES:
        return "population"
    if source in ENROLLMENT_SOURCES:
        return "enrollment"
    return "list"


def source_categories(source: str) -> set[str]:
    """The categories a source certifies (vocabulary ``department``) plus its default one: a list
    in ``replace`` mode is the whole truth for these."""
    voc = all_identities()
    out = {
        c.code for c in voc.by_code.values() if c.department == source or any(s == source for s, _ in c.lists)
    }
    default = cfg.source(source).default_category
    if default:
        out.add(default)
    return out


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


def _in_scope(column: Any, scope: str) -> Any:
    return column.like(scope + "%") if scope else text("1 = 1")


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
    loader = _Loader(session, batch, checked, regions, scope, actor, result, confirm_removals)
    loader.stage()
    t2 = time.perf_counter()
    loader.match()
    if kind == "list":
        loader.apply_identities()
        if result.gained:
            from urrbmi.imports.effects import retro_subsidies  # effects imports this module

            gained = select(Membership.resident_id).where(Membership.batch_id == str(batch.id))
            result.retro_subsidies = retro_subsidies(session, gained, as_of, actor=actor)
    elif kind == "population":
        loader.apply_population()
    else:
        loader.apply_enrollments()
    loader.finish()
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


class _Loader:
    def __init__(
        self,
        session: Session,
        batch: ImportBatch,
        checked: ListBatch,
        regions: Regions | None,
        scope: str,
        actor: str,
        result: LoadResult,
        confirm_removals: bool = False,
    ) -> None:
        self.s = session
        self.confirm_removals = confirm_removals
        self.batch = batch
        self.checked = checked
        self.regions = regions
        self.scope = scope
        self.actor = actor
        self.result = result
        self.bid = batch.id
        self.st = _t(ImportStaging)
        self.extra_rows: list[dict[str, Any]] = []  # import_rows not from staging
        self.held: set[int] = set()  # registered residents whose rows conflict within the file
        # the status of staged rows still without one at the end (set in finish, not by an UPDATE
        # of every remaining row)
        self.rest = "loaded"
        self.shared = 0  # 人社 rows of another insurance type than 310 (shared information)

    # --- staging ---------------------------------------------------------------------------

    def _region_code(self, r: ListRow) -> str | None:
        village = r.values.get("village", "")
        if self.regions is not None and r.town_code and village:
            code = self.regions.villages.get(r.town_code, {}).get(village.replace(" ", ""))
            if code:
                return code
        return r.town_code

    def _registry_ids(self, numbers: pl.Series) -> pl.DataFrame:
        """``(id_number, resident_id)`` of the registered residents among ``numbers``: one read of
        the whole registry for a large list (COPY on PostgreSQL), chunks of 1,000 IDs otherwise.
        Matching here, rather than by an UPDATE of a million staged rows, writes each staged row
        once."""
        schema = {"id_number": pl.String, "resident_id": pl.Int64}
        if numbers.len() > 20_000:
            return read_frame(self.s, "SELECT id_number, id FROM residents", {}, schema)
        res = _t(Resident)
        found: list[tuple[str, int]] = []
        wanted = numbers.unique().sort().to_list()
        for i in range(0, len(wanted), 1000):
            found.extend(
                (n, r)
                for n, r in self.s.execute(
                    select(res.c.id_number, res.c.id).where(res.c.id_number.in_(wanted[i : i + 1000]))
                )
            )
        return pl.DataFrame(found, schema=schema, orient="row")

    def _region_codes(self, frame: pl.DataFrame) -> pl.Series:
        """Each row's region: its village's code when the village is known in its town, else the
        town's code (``_region_code`` for one row)."""
        if self.regions is None or "v.village" not in frame.columns:
            return frame["town_code"].alias("region_code")
        villages = pl.DataFrame(
            [(t, name, code) for t, names in self.regions.villages.items() for name, code in names.items()],
            schema={"town_code": pl.String, "_village": pl.String, "_village_code": pl.String},
            orient="row",
        )
        return (
            frame.select(
                "town_code", pl.col("v.village").str.replace_all(" ", "", literal=True).alias("_village")
            )
            .join(villages, on=["town_code", "_village"], how="left", maintain_order="left")
            .select(pl.col("_village_code").fill_null(pl.col("town_code")))
            .to_series()
            .alias("region_code")
        )

    def stage(self) -> None:
        """The valid rows of the checked list into ``import_staging``, one column at a time: the
        resident matched by ID, the region coded, the event or benefit year of population and
        enrollment lists read; rows whose event or year is unusable become ``invalid``."""
        kind = self.batch.kind
        frame = self.checked.frame
        staged = frame.join(
            self._registry_ids(frame["id_number"]), on="id_number", how="left", maintain_order="left"
        )

        def v(name: str) -> pl.Expr:  # a mapped field's column ("" when the file has none)
            return pl.col(f"v.{name}") if f"v.{name}" in frame.columns else pl.lit("")

        detail_field = ATTRIBUTE_SOURCES.get(self.batch.source)
        none_str, none_date, none_int = (pl.lit(None, dtype=t) for t in (pl.String, pl.Date, pl.Int32))
        columns: dict[str, pl.Expr] = {
            "event": none_str,
            "event_date": none_date,
            "benefit_year": none_int,
            "insurance_type": none_str,
            "detail": (v(detail_field).str.slice(0, 200).replace("", None) if detail_field else none_str),
            "problem": none_str,
        }
        if kind == "population":
            events = _lookup(staged, v("event"), lambda e: EVENTS.get(e.replace(" ", "")))
            columns["event"] = events
            columns["event_date"] = v("event_date").replace("", None).str.to_date("%Y-%m-%d")
            columns["problem"] = pl.when(events.is_null()).then(pl.lit("event_unknown")).otherwise(none_str)
        elif self.batch.source == "renshe":
            # the insurance type of the row (only 310 marks employee insurance) and the day it
            # ended (终止日期: the transfer rules of 濉溪 六（四）, 丰都 四（三） count from it)
            ins = _lookup(
                staged, v("insurance_type"), lambda t: RENSHE_INSURANCE_TYPES.get(t.replace(" ", ""))
            )
            columns["insurance_type"] = ins
            columns["event_date"] = v("end_date").replace("", None).str.to_date("%Y-%m-%d", strict=False)
            columns["problem"] = (
                pl.when(ins.is_null()).then(pl.lit("insurance_type_unknown")).otherwise(none_str)
            )
        elif kind == "enrollment":
            year_text = v("benefit_year").str.strip_suffix("年").str.strip_suffix(".0")
            year = year_text.cast(pl.Int32, strict=False)
            year_ok = year_text.str.contains(r"^[0-9]+$") & year.is_between(2000, 2100)
            ins = _lookup(
                staged, v("insurance_type"), lambda t: INSURANCE_TYPES.get(t.replace(" ", "") or "390")
            )
            columns["benefit_year"] = pl.when(year_ok).then(year).otherwise(none_int)
            columns["insurance_type"] = ins
            columns["problem"] = (
                pl.when(~year_ok.fill_null(False))
                .then(pl.lit("benefit_year_invalid"))
                .when(ins.is_null())
                .then(pl.lit("insurance_type_unknown"))
                .otherwise(none_str)
            )
        staged = staged.with_columns(self._region_codes(staged), *(e.alias(k) for k, e in columns.items()))
        for row, number, name, problem in (
            staged.filter(pl.col("problem").is_not_null())
            .select("row", "id_number", "name", "problem")
            .iter_rows()
        ):
            self.extra_rows.append(self._row(row, number, name, None, "invalid", problem))
        write_frame(
            self.s,
            "import_staging",
            staged.filter(pl.col("problem").is_null()).select(
                pl.lit(self.bid, dtype=pl.Int64).alias("batch_id"),
                pl.col("row").alias("row_no"),
                "id_number",
                "name",
                "sex",
                "birth_date",
                pl.col("category").alias("category_code"),
                "region_code",
                "event",
                "event_date",
                "benefit_year",
                "insurance_type",
                "detail",
                "resident_id",
            ),
        )
        if is_postgres(self.s):
            self.s.execute(text("ANALYZE import_staging"))
        for inv in self.checked.invalid:
            number = ids.normalize(inv.raw.get("id_number", ""))[:40] or None
            reason = ",".join(dict.fromkeys(p.code for p in inv.problems))
            self.extra_rows.append(
                self._row(inv.row, number, inv.raw.get("name", "")[:100], None, "invalid", reason)
            )
        for dup in self.checked.duplicates:
            self.extra_rows.append(
                self._row(dup.row, dup.id_number, None, None, "duplicate", f"same_as:{dup.same_as}")
            )

    def _row(
        self,
        row: int,
        number: str | None,
        name: str | None,
        category: str | None,
        status: str,
        reason: str | None,
    ) -> dict[str, Any]:
        return {
            "batch_id": self.bid,
            "row_no": row,
            "id_number": number,
            "name": name,
            "category_code": category,
            "resident_id": None,
            "status": status,
            "reason": reason[:200] if reason else None,
        }

    def _mine(self) -> Any:
        return self.st.c.batch_id == self.bid

    def _later_rows_unchanged(self, *partition: Any) -> None:
        """Rows repeating an earlier row's key (same resident and category…) are ``unchanged``:
        a window function, not ``NOT IN (SELECT min …)``, which PostgreSQL cannot hash at a
        million rows (it rescans the subquery per row)."""
        st = self.st
        rn = func.row_number().over(partition_by=partition, order_by=st.c.row_no).label("rn")
        inner = select(st.c.row_no, rn).where(self._mine(), st.c.status.is_(None)).subquery()
        later = select(inner.c.row_no).where(inner.c.rn > 1)
        self.s.execute(
            update(st)
            .where(self._mine(), st.c.status.is_(None), st.c.row_no.in_(later))
            .values(status="unchanged")
        )

    def _set_status(self, status: str, *where: Any) -> None:
        self.s.execute(
            update(self.st).where(self._mine(), self.st.c.status.is_(None), *where).values(status=status)
        )

    # --- matching, scope and conflicts -------------------------------------------------------

    def match(self) -> None:
        st = self.st
        res = _t(Resident)
        if self.scope:
            outside_registered = exists().where(
                res.c.id == st.c.resident_id, ~res.c.region_code.like(self.scope + "%")
            )
            self._set_status("out_of_scope", st.c.resident_id.is_not(None), outside_registered)
            self._set_status(
                "out_of_scope",
                st.c.resident_id.is_(None),
                or_(st.c.region_code.is_(None), ~st.c.region_code.like(self.scope + "%")),
            )
        self._registry_conflicts()
        self._file_conflicts()
        self._cross_file_conflicts()

    def _version_columns(self) -> tuple[Any, ...]:
        """The staged columns that make a row's version in a review item."""
        st = self.st
        c = st.c
        return (c.row_no, c.id_number, c.name, c.sex, c.birth_date, c.category_code, c.region_code)

    def _registry_conflicts(self) -> None:
        st = self.st
        res = _t(Resident)
        rows = self.s.execute(
            select(
                *self._version_columns(),
                st.c.benefit_year,
                st.c.insurance_type,
                res.c.id,
                res.c.name.label("r_name"),
                res.c.birth_date.label("r_birth"),
                res.c.sex.label("r_sex"),
                res.c.region_code.label("r_region"),
                res.c.status.label("r_status"),
            )
            .join(res, res.c.id == st.c.resident_id)
            .where(
                self._mine(),
                st.c.status.is_(None),
                or_(res.c.name != st.c.name, res.c.birth_date != st.c.birth_date),
            )
        ).all()
        if not rows:
            return
        items = []
        for r in rows:
            fields = [
                f
                for f, a, b in (("name", r.name, r.r_name), ("birth_date", r.birth_date, r.r_birth))
                if a != b
            ]
            items.append(
                self._item(
                    "registry",
                    r.id_number,
                    r.r_region,
                    fields,
                    {
                        "resident_id": r.id,
                        "name": r.r_name,
                        "sex": r.r_sex,
                        "birth_date": r.r_birth.isoformat(),
                        "region_code": r.r_region,
                        "status": r.r_status,
                    },
                    [
                        self._version(
                            self.bid,
                            r.row_no,
                            r.name,
                            r.sex,
                            r.birth_date,
                            r.category_code,
                            r.region_code,
                            {
                                "benefit_year": str(r.benefit_year or ""),
                                "insurance_type": r.insurance_type or "",
                            }
                            if r.benefit_year
                            else None,
                        )
                    ],
                )
            )
        bulk_insert(self.s, ReviewItem, items)
        self._set_status("conflict", st.c.row_no.in_([r.row_no for r in rows]))
        self.result.review_items += len(items)

    def _file_conflicts(self) -> None:
        """Rows of one ID in this file that disagree on the person (held back by the check)."""
        if not self.checked.conflicts:
            return
        res = _t(Resident)
        numbers = [c.id_number for c in self.checked.conflicts]
        registered: dict[str, Any] = {}
        for i in range(0, len(numbers), 1000):
            for r in self.s.execute(
                select(
                    res.c.id,
                    res.c.id_number,
                    res.c.name,
                    res.c.sex,
                    res.c.birth_date,
                    res.c.region_code,
                    res.c.status,
                ).where(res.c.id_number.in_(numbers[i : i + 1000]))
            ):
                registered[r.id_number] = r
        items = []
        for c in self.checked.conflicts:
            reg = registered.get(c.id_number)
            if reg is not None:
                self.held.add(reg.id)
            region = reg.region_code if reg is not None else (self._region_code(c.rows[0]) or "")
            if self.scope and not region.startswith(self.scope):
                for lr in c.rows:
                    self.extra_rows.append(
                        self._row(lr.row, lr.id_number, lr.name, lr.category, "out_of_scope", None)
                    )
                continue
            items.append(
                self._item(
                    "file",
                    c.id_number,
                    region,
                    list(c.fields),
                    None
                    if reg is None
                    else {
                        "resident_id": reg.id,
                        "name": reg.name,
                        "sex": reg.sex,
                        "birth_date": reg.birth_date.isoformat(),
                        "region_code": reg.region_code,
                        "status": reg.status,
                    },
                    [
                        self._version(
                            self.bid,
                            lr.row,
                            lr.name,
                            lr.sex,
                            lr.birth_date,
                            lr.category,
                            self._region_code(lr),
                            lr.values,
                        )
                        for lr in c.rows
                    ],
                )
            )
            for lr in c.rows:
                self.extra_rows.append(
                    self._row(
                        lr.row, lr.id_number, lr.name, lr.category, "conflict", "file:" + ",".join(c.fields)
                    )
                )
        bulk_insert(self.s, ReviewItem, items)
        self.result.review_items += len(items)

    def _cross_file_conflicts(self) -> None:
        """IDs not in the registry that an earlier file of the same source gave another name."""
        st = self.st
        ir = _t(ImportRow)
        ib = _t(ImportBatch)
        rows = self.s.execute(
            select(
                *self._version_columns(),
                ir.c.batch_id.label("o_batch"),
                ir.c.row_no.label("o_row"),
                ir.c.name.label("o_name"),
                ir.c.category_code.label("o_cat"),
            )
            .join(ir, ir.c.id_number == st.c.id_number)
            .join(ib, ib.c.id == ir.c.batch_id)
            .where(
                self._mine(),
                st.c.status.is_(None),
                st.c.resident_id.is_(None),
                ib.c.source == self.batch.source,
                text("import_rows.status = 'unregistered'"),  # a literal: the partial index's predicate
                ir.c.name != st.c.name,
            )
        ).all()
        if not rows:
            return
        by_row: dict[int, list[Any]] = {}
        for r in rows:
            by_row.setdefault(r.row_no, []).append(r)
        items = []
        for group in by_row.values():
            r = group[0]
            others = [
                self._version(o.o_batch, o.o_row, o.o_name, r.sex, r.birth_date, o.o_cat, None) for o in group
            ]
            mine = self._version(
                self.bid, r.row_no, r.name, r.sex, r.birth_date, r.category_code, r.region_code
            )
            items.append(
                self._item("file", r.id_number, r.region_code or "", ["name"], None, [*others, mine])
            )
        bulk_insert(self.s, ReviewItem, items)
        self._set_status("conflict", st.c.row_no.in_(list(by_row)))
        self.result.review_items += len(items)

    def _version(
        self,
        batch_id: int,
        row: int,
        name: str,
        sex: str,
        born: dt.date,
        category: str | None,
        region: str | None,
        values: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "batch_id": batch_id,
            "row": row,
            "name": name,
            "sex": sex,
            "birth_date": born.isoformat(),
            "category": category,
            "region_code": region,
        }
        if values:
            out["values"] = {k: v for k, v in values.items() if k != "id_number"}
        return out

    def _item(
        self,
        kind: str,
        number: str,
        region: str,
        fields: list[str],
        registry: dict[str, Any] | None,
        versions: list[dict[str, Any]],
    ) -> dict[str, Any]:
        return {
            "batch_id": self.bid,
            "source": self.batch.source,
            "kind": kind,
            "id_number": number,
            "region_code": region or "",
            "fields": ",".join(fields)[:100],
            "registry_version": registry,
            "file_versions": versions,
            "status": "open",
            "created_at": audit.now(),
        }

    # --- identity lists (monthly dynamics) ----------------------------------------------------

    def apply_identities(self) -> None:
        st = self.st
        m = _t(Membership)
        source, as_of = self.batch.source, self.batch.as_of
        self._set_status("unregistered", st.c.resident_id.is_(None))
        if self.batch.source in ATTRIBUTE_SOURCES:
            self._apply_attributes()
        # no identity on the row: nothing to load as a membership
        self._set_status("unchanged", st.c.category_code.is_(None))
        # one membership per (resident, category): later rows of the same pair are unchanged
        self._later_rows_unchanged(st.c.resident_id, st.c.category_code)
        holds = exists().where(
            m.c.resident_id == st.c.resident_id,
            m.c.category_code == st.c.category_code,
            m.c.source_department == source,
            m.c.valid_from <= as_of,
            or_(m.c.valid_to.is_(None), m.c.valid_to >= as_of),
        )
        self._set_status("unchanged", holds)
        gained = self.s.execute(
            select(st.c.category_code, func.count())
            .where(self._mine(), st.c.status.is_(None))
            .group_by(st.c.category_code)
        ).all()
        self.s.execute(
            insert(m).from_select(
                ["resident_id", "category_code", "source_department", "valid_from", "valid_to", "batch_id"],
                select(
                    st.c.resident_id,
                    st.c.category_code,
                    literal(source, String()),
                    literal(as_of, Date()),
                    null(),
                    literal(str(self.bid), String()),
                )
                .where(self._mine(), st.c.status.is_(None))
                # in key order: the (resident, category) index and the key check on residents then
                # touch their pages in order (a million rows: 20 s instead of 34 s on PostgreSQL)
                .order_by(st.c.resident_id),
            )
        )
        self.rest = "loaded"  # the rows left without a status are the memberships just inserted
        self.result.gained = {c: n for c, n in gained}
        if self.batch.mode == "replace":
            self._end_absent()

    def _end_absent(self) -> None:
        st = self.st
        m = _t(Membership)
        res = _t(Resident)
        source, as_of = self.batch.source, self.batch.as_of
        cats = source_categories(source) | {
            c for (c,) in self.s.execute(select(st.c.category_code).where(self._mine()).distinct()) if c
        }
        listed = exists().where(
            self._mine(),
            st.c.resident_id == m.c.resident_id,
            st.c.category_code == m.c.category_code,
            or_(st.c.status.is_(None), st.c.status.in_(("loaded", "unchanged", "conflict"))),  # None: loaded
        )
        in_scope = exists().where(res.c.id == m.c.resident_id, res.c.region_code.like(self.scope + "%"))
        current = (
            m.c.source_department == source,
            or_(m.c.batch_id.is_(None), m.c.batch_id != str(self.bid)),  # this list's own are listed
            m.c.category_code.in_(sorted(cats)),
            or_(m.c.valid_to.is_(None), m.c.valid_to >= as_of),
            *([in_scope] if self.scope else []),
        )
        ending = self.s.execute(
            select(m.c.id, m.c.resident_id, m.c.category_code, m.c.valid_from, m.c.valid_to).where(
                *current,
                ~listed,
                # residents whose rows in this file disagree (held for review) keep their identities
                *([m.c.resident_id.not_in(sorted(self.held))] if self.held else []),
            )
        ).all()
        if not ending:
            return
        held = self.s.scalar(select(func.count()).select_from(m).where(*current))
        check_removals(
            len(ending),
            int(held or 0),
            what_zh=f"“{cfg.source(source).name}”身份",
            what_en=f"current identities from {source}",
            confirmed=self.confirm_removals,
        )
        end = as_of - dt.timedelta(days=1)
        started_later = [r.id for r in ending if r.valid_from > end]
        ended = [r.id for r in ending if r.valid_from <= end]
        for i in range(0, len(ended), 1000):
            self.s.execute(update(m).where(m.c.id.in_(ended[i : i + 1000])).values(valid_to=end))
        for i in range(0, len(started_later), 1000):
            self.s.execute(delete(m).where(m.c.id.in_(started_later[i : i + 1000])))
        self.result.lost = dict(Counter(r.category_code for r in ending))
        stamp = audit.now()
        bulk_insert(
            self.s,
            AuditLog,
            [
                {
                    "at": stamp,
                    "actor": self.actor,
                    "table_name": "memberships",
                    "row_key": str(r.id),
                    "action": "update" if r.valid_from <= end else "delete",
                    "old": {
                        "resident_id": r.resident_id,
                        "category": r.category_code,
                        "to": r.valid_to.isoformat() if r.valid_to else None,
                    },
                    "new": {"to": end.isoformat(), "batch_id": self.bid} if r.valid_from <= end else None,
                }
                for r in ending
            ],
        )

    def _apply_attributes(self) -> None:
        """教育 rosters: the resident is a school student at the named school; 人社 lists: the
        resident is in employee insurance (unless the status says it ended). Only residents whose
        fields change are touched: previous version to ``resident_history``, one audit row each.

        In ``replace`` mode the list is also the whole truth for what it covers, so residents in
        scope who are not on it lose the attribute: a 人社 list covers employee insurance (absent
        → ``employee_insured`` False; the end date is not guessed), a school roster covers the
        schools it names (an absent student of one of them → no longer a school student; students
        of other schools are untouched). Residents whose rows are held for review keep theirs."""
        st = self.st
        school = self.batch.source == "jiaoyu"
        if not school:
            self._renshe_shared_rows()
        rows = self.s.execute(
            select(st.c.row_no, st.c.resident_id, st.c.detail, st.c.event_date).where(
                self._mine(), st.c.status.is_(None)
            )
        ).all()
        years = {} if school else self._renshe_years()
        students = self._school_rows() if school else {}
        wanted: dict[int, dict[str, Any]] = {}
        row_of: dict[int, int] = {}
        for r in rows:
            if r.resident_id in wanted:
                continue
            if school:
                kind, graduates = students.get(r.row_no, ("school", None))
                wanted[r.resident_id] = {"student": kind, "school_name": r.detail}
                if graduates is not None:
                    wanted[r.resident_id]["graduation_year"] = graduates
            else:
                wanted[r.resident_id] = self._renshe_fields(r.detail, r.event_date, years.get(r.row_no))
            row_of[r.resident_id] = r.row_no
        changed = self._set_attributes(wanted)
        changed_rows = [row_of[i] for i in changed]
        for i in range(0, len(changed_rows), 1000):
            self._set_status("loaded", st.c.row_no.in_(changed_rows[i : i + 1000]))
        self.result.population = {"updated": len(changed_rows)}
        if self.shared:
            self.result.population["shared"] = self.shared
        if self.batch.mode == "replace":
            absent, holders = self._absent_attributes(school, {r.detail for r in rows if r.detail})
            check_removals(
                len(absent),
                holders,
                what_zh="在校学生登记" if school else "职工医保参保标记",
                what_en="school enrolments" if school else "employee-insurance flags",
                confirmed=self.confirm_removals,
            )
            cleared = self._set_attributes(absent)
            self.result.population["cleared"] = len(cleared)

    def _school_rows(self) -> dict[int, tuple[str, int | None]]:
        """Row → (student kind, graduation year) of a school roster: a 学段 naming higher
        education (大学, 本科, 专科…) is a college student, else a school pupil; 毕业年份 (any text
        with a four-digit year: 2023, 2023年6月, 2023-06-30) is the year they graduate (丰都
        三（三）: graduating college students are covered to 12-31)."""
        frame = self.checked.frame
        cols = [c for c in ("v.grade", "v.graduation_year") if c in frame.columns]
        if not cols:
            return {}
        grade = pl.col("v.grade") if "v.grade" in frame.columns else pl.lit("")
        college = grade.str.contains("|".join(COLLEGE_WORDS))
        year = (
            pl.col("v.graduation_year").str.extract(r"((?:19|20)[0-9]{2})", 1).cast(pl.Int64, strict=False)
            if "v.graduation_year" in frame.columns
            else pl.lit(None, dtype=pl.Int64)
        )
        got = frame.select("row", college.fill_null(False).alias("c"), year.alias("y"))
        return {
            int(r): ("college" if c else "school", None if y is None else int(y))
            for r, c, y in got.iter_rows()
        }

    def _renshe_shared_rows(self) -> None:
        """Rows of another insurance type than employee medical insurance (城乡居民养老保险…) are
        kept as shared information (``unchanged``, counted as ``shared``): they mark nobody."""
        st = self.st
        shared = self.s.scalar(
            select(func.count()).where(
                self._mine(), st.c.status.is_(None), st.c.insurance_type != EMPLOYEE_MEDICAL
            )
        )
        self._set_status("unchanged", st.c.insurance_type != EMPLOYEE_MEDICAL)
        self.shared = int(shared or 0)

    def _renshe_years(self) -> dict[int, int]:
        """Row → whole years of employee insurance (缴费年限; fractions dropped: the notices ask
        for at least N whole years), where the list has the column and the value is a number."""
        frame = self.checked.frame
        if "v.insurance_years" not in frame.columns:
            return {}
        text_ = pl.col("v.insurance_years").str.replace_all(r"[年\s]", "").cast(pl.Float64, strict=False)
        got = frame.select("row", text_.alias("y")).filter(pl.col("y").is_not_null() & (pl.col("y") >= 0))
        return {int(r): int(y) for r, y in got.iter_rows()}

    def _renshe_fields(
        self, status: str | None, ended_on: dt.date | None, years: int | None
    ) -> dict[str, Any]:
        """What an employee-medical-insurance row of a 人社 list says: in it, or ended (the status
        says so, or the end date is on or before the list's date) on the date given."""
        as_of = self.batch.as_of
        ended = any(w in (status or "") for w in EMPLOYEE_INSURANCE_ENDED) or (
            ended_on is not None and ended_on <= as_of
        )
        out: dict[str, Any] = {"employee_insured": not ended}
        if ended and ended_on is not None:
            out["employee_insurance_ended_on"] = ended_on
        if years is not None:
            out["employee_insurance_years"] = years
        return out

    def _absent_attributes(self, school: bool, schools: set[str]) -> tuple[dict[int, dict[str, Any]], int]:
        """Residents in scope holding the attribute this list covers but not on it (replace mode),
        and how many in scope hold it."""
        st = self.st
        res = _t(Resident)
        listed = exists().where(
            self._mine(),
            st.c.resident_id == res.c.id,
            or_(st.c.status.is_(None), st.c.status.in_(("loaded", "unchanged", "conflict"))),
        )
        if school:
            if not schools:  # a roster without school names covers no school
                return {}, 0
            holding = and_(res.c.student.in_(("school", "college")), res.c.school_name.in_(sorted(schools)))
            reset: dict[str, Any] = {"student": None, "school_name": None}
        else:
            # only employee-medical rows say who is insured: a list whose rows are all of other
            # insurance types (pension data shared by 人社, 昌吉 六) covers no employee insurance
            # and clears nobody
            listed = exists().where(
                self._mine(),
                st.c.resident_id == res.c.id,
                st.c.insurance_type == EMPLOYEE_MEDICAL,
                or_(st.c.status.is_(None), st.c.status.in_(("loaded", "unchanged", "conflict"))),
            )
            covers = self.s.scalar(
                select(func.count()).where(self._mine(), st.c.insurance_type == EMPLOYEE_MEDICAL)
            )
            if not covers and self.shared:
                return {}, 0
            holding = res.c.employee_insured.is_(True)
            reset = {"employee_insured": False}
        found = self.s.scalars(
            select(res.c.id).where(
                holding,
                res.c.region_code.like(self.scope + "%"),
                ~listed,
                *([res.c.id.not_in(sorted(self.held))] if self.held else []),
            )
        ).all()
        holders = 0
        if found:
            holders = int(
                self.s.scalar(
                    select(func.count())
                    .select_from(res)
                    .where(holding, res.c.region_code.like(self.scope + "%"))
                )
                or 0
            )
        return {i: dict(reset) for i in found}, holders

    def _set_attributes(self, wanted: dict[int, dict[str, Any]]) -> list[int]:
        """Set the fields of each resident (id → fields) where they differ, with the previous
        version to ``resident_history`` and one audit row each; the residents changed."""
        res = _t(Resident)
        changed: list[int] = []
        history: list[dict[str, Any]] = []
        audits: list[dict[str, Any]] = []
        stamp = audit.now()
        ids_ = sorted(wanted)
        for i in range(0, len(ids_), 1000):
            for obj in self.s.scalars(select(Resident).where(res.c.id.in_(ids_[i : i + 1000]))):
                new = wanted[obj.id]
                if all(getattr(obj, k) == v for k, v in new.items()):
                    continue
                old = snapshot(obj)
                history.append(
                    {
                        "resident_id": obj.id,
                        "id_number": obj.id_number,
                        "row_version": obj.row_version,
                        "data": old,
                        "valid_from": obj.updated_at,
                        "valid_to": stamp,
                        "changed_by": self.actor,
                        "reason": f"import batch {self.bid} ({self.batch.source})",
                    }
                )
                for k, v in new.items():
                    setattr(obj, k, v)
                obj.row_version += 1
                obj.updated_at = stamp
                audits.append(
                    {
                        "at": stamp,
                        "actor": self.actor,
                        "table_name": "residents",
                        "row_key": str(obj.id),
                        "action": "update",
                        "old": audit.masked({k: old[k] for k in new}),
                        "new": audit.masked(new),
                    }
                )
                changed.append(obj.id)
            self.s.flush()
        bulk_insert(self.s, ResidentHistory, history)
        bulk_insert(self.s, AuditLog, audits)
        return changed

    # --- population (公安) ---------------------------------------------------------------------

    def apply_population(self) -> None:
        st = self.st
        res = _t(Resident)
        # several rows for one ID (出生 then 死亡…): the first one decides; the rest are unchanged
        self._later_rows_unchanged(st.c.id_number)
        new = and_(st.c.resident_id.is_(None), st.c.event.in_(("present", "birth", "move_in")))
        self._set_status("unregistered", st.c.resident_id.is_(None), st.c.region_code.is_(None))
        self._set_status("unregistered", st.c.resident_id.is_(None), ~new)
        stamp = audit.now()
        added = self.s.execute(
            select(func.count()).where(self._mine(), st.c.status.is_(None), new)
        ).scalar_one()
        self.s.execute(
            insert(res).from_select(
                [
                    "id_number",
                    "name",
                    "sex",
                    "birth_date",
                    "region_code",
                    "residence",
                    "employee_insured",
                    "status",
                    "row_version",
                    "updated_at",
                ],
                select(
                    st.c.id_number,
                    st.c.name,
                    st.c.sex,
                    st.c.birth_date,
                    st.c.region_code,
                    literal("hukou", String()),
                    literal(False, Boolean()),
                    literal("active", String()),
                    literal(1, Integer()),
                    literal(stamp, DateTime(timezone=True)),
                ).where(self._mine(), st.c.status.is_(None), new),
            )
        )
        self.s.execute(
            update(st)
            .where(self._mine(), st.c.status.is_(None), new)
            .values(
                status="loaded",
                resident_id=select(res.c.id).where(res.c.id_number == st.c.id_number).scalar_subquery(),
            )
        )
        if added:
            audit.record(
                self.s, self.actor, "residents", f"batch:{self.bid}", "insert", None, {"added": added}
            )
        # changes to registered residents: few per month, through the registry (history + audit)
        changes = self.s.execute(
            select(
                st.c.row_no,
                st.c.id_number,
                st.c.event,
                st.c.event_date,
                st.c.region_code,
                res.c.region_code.label("r_region"),
                res.c.status.label("r_status"),
            )
            .join(res, res.c.id == st.c.resident_id)
            .where(
                self._mine(),
                st.c.status.is_(None),
                or_(
                    and_(st.c.event == "death", res.c.status != "deceased"),
                    and_(st.c.event == "move_out", res.c.status == "active"),
                    and_(
                        st.c.region_code.is_not(None),
                        st.c.region_code != res.c.region_code,
                        st.c.event.in_(("present", "move_in", "birth")),
                    ),
                ),
            )
        ).all()
        counts = Counter[str]({"added": added})
        reason = f"import batch {self.bid} ({self.batch.source})"
        for r in changes:
            if r.event == "death":
                update_resident(
                    self.s,
                    r.id_number,
                    {"status": "deceased", "died_on": r.event_date or self.batch.as_of},
                    actor=self.actor,
                    reason=reason,
                )
                counts["deceased"] += 1
            elif r.event == "move_out":
                update_resident(self.s, r.id_number, {"status": "moved_out"}, actor=self.actor, reason=reason)
                counts["moved_out"] += 1
            else:
                update_resident(
                    self.s, r.id_number, {"region_code": r.region_code}, actor=self.actor, reason=reason
                )
                counts["moved"] += 1
        if changes:
            self._set_status("loaded", st.c.row_no.in_([r.row_no for r in changes]))
        self.rest = "unchanged"
        self.result.population = dict(counts)

    # --- last year's enrollment ---------------------------------------------------------------

    def apply_enrollments(self) -> None:
        from urrbmi.campaign import ledger  # the one writer of enrollments (issue 14)
        from urrbmi.db.models import EnrollmentSource, EnrollmentStatus

        st = self.st
        res = _t(Resident)
        en = _t(Enrollment)
        self._set_status("unregistered", st.c.resident_id.is_(None))
        self._later_rows_unchanged(st.c.resident_id, st.c.benefit_year)
        known = exists().where(
            en.c.resident_id == st.c.resident_id,
            en.c.benefit_year == st.c.benefit_year,
            en.c.source == EnrollmentSource.IMPORT.value,
            en.c.status == EnrollmentStatus.ENROLLED.value,
        )
        self._set_status("unchanged", known)
        self.result.enrollments = ledger.enroll_from(
            self.s,
            select(
                ledger.typed_null("int").label("campaign_id"),
                st.c.resident_id.label("resident_id"),
                st.c.benefit_year.label("benefit_year"),
                res.c.region_code.label("region_code"),
                st.c.insurance_type.label("insurance_type"),
                ledger.typed_null("int").label("payment_id"),
                literal(self.batch.as_of, Date()).label("enrolled_on"),
                ledger.typed_null("date").label("start_on"),  # reports from elsewhere: no period
                ledger.typed_null("date").label("end_on"),
            )
            .join(res, res.c.id == st.c.resident_id)
            .where(self._mine(), st.c.status.is_(None)),
            source=EnrollmentSource.IMPORT,
            actor=self.actor,
            audit_key=f"batch:{self.bid}",
            with_periods=False,
        )
        self.rest = "loaded"

    # --- row outcomes -------------------------------------------------------------------------

    def finish(self) -> None:
        st = self.st
        ir = _t(ImportRow)
        self.s.execute(
            insert(ir).from_select(
                [
                    "batch_id",
                    "row_no",
                    "id_number",
                    "name",
                    "category_code",
                    "resident_id",
                    "status",
                    "reason",
                ],
                select(
                    st.c.batch_id,
                    st.c.row_no,
                    st.c.id_number,
                    st.c.name,
                    st.c.category_code,
                    st.c.resident_id,
                    func.coalesce(st.c.status, literal(self.rest, String())),
                    null(),
                ).where(self._mine()),
            )
        )
        bulk_insert(self.s, ImportRow, self.extra_rows)
        if self.s.get_bind().dialect.name == "sqlite":
            # one writer at a time on SQLite: the table holds only this batch's rows, and an
            # unqualified DELETE is SQLite's fast truncate
            self.s.execute(delete(st))
        else:
            self.s.execute(delete(st).where(self._mine()))
        self.result.rows = {
            status: n
            for status, n in self.s.execute(
                select(ir.c.status, func.count()).where(ir.c.batch_id == self.bid).group_by(ir.c.status)
            )
        }
