"""Staging a checked list: its valid rows into ``import_staging`` and, at the end, every row's
outcome into ``import_rows`` (the staged rows then removed).

:class:`Staging` carries one batch through :func:`urrbmi.imports.load.load_list`: the conflict
detectors (:mod:`urrbmi.imports.conflicts`) and the appliers (:mod:`urrbmi.imports.apply`) work on
its staged rows with set-based SQL, marking each row's status (``set_status``); rows left without
one take ``rest`` in :meth:`Staging.finish`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import polars as pl
from sqlalchemy import String, Table, delete, func, insert, literal, null, select, text, update
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.db.bulk import bulk_insert
from urrbmi.db.frames import is_postgres, read_frame, write_frame
from urrbmi.db.models import Base, Resident
from urrbmi.db.models_imports import ImportBatch, ImportRow, ImportStaging
from urrbmi.imports.kinds import ATTRIBUTE_SOURCES, words
from urrbmi.imports.model import ListBatch, ListRow
from urrbmi.imports.validate import Regions

if TYPE_CHECKING:
    from urrbmi.imports.load import LoadResult


def table(model: type[Base]) -> Table:
    """The Core table of a mapped class."""
    return cast(Table, model.__table__)


def _lookup(frame: pl.DataFrame, column: pl.Expr, convert: Callable[[str], str | None]) -> pl.Expr:
    """``convert`` of each distinct text of ``column`` (few: event words, insurance types), as an
    expression over the rows (None where ``convert`` gives None)."""
    texts = frame.select(column.alias("t")).to_series().unique().to_list()
    mapping = {t: convert(t) for t in texts}
    return column.replace_strict(mapping, default=None, return_dtype=pl.String)


class Staging:
    """One batch's staged rows and what the loader knows while applying them: the session, the
    batch, the checked file, the registry's regions, the scope and actor, the result being filled,
    the rows recorded outside staging and the residents held for review."""

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
        self.st = table(ImportStaging)
        self.extra_rows: list[dict[str, Any]] = []  # import_rows not from staging
        self.held: set[int] = set()  # registered residents whose rows conflict within the file
        # the status of staged rows still without one at the end (set in finish, not by an UPDATE
        # of every remaining row)
        self.rest = "loaded"
        self.shared = 0  # 人社 rows of another insurance type than 310 (shared information)

    def region_code(self, r: ListRow) -> str | None:
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
        res = table(Resident)
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
        town's code (``region_code`` for one row)."""
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

        w = words()
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
            events = _lookup(staged, v("event"), lambda e: w.events.get(e.replace(" ", "")))
            columns["event"] = events
            columns["event_date"] = v("event_date").replace("", None).str.to_date("%Y-%m-%d")
            columns["problem"] = pl.when(events.is_null()).then(pl.lit("event_unknown")).otherwise(none_str)
        elif self.batch.source == "renshe":
            # the insurance type of the row (only 310 marks employee insurance) and the day it
            # ended (终止日期: the transfer rules of 濉溪 六（四）, 丰都 四（三） count from it)
            ins = _lookup(
                staged, v("insurance_type"), lambda t: w.renshe_insurance_types.get(t.replace(" ", ""))
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
                staged, v("insurance_type"), lambda t: w.insurance_types.get(t.replace(" ", "") or "390")
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
            self.extra_rows.append(self.row(row, number, name, None, "invalid", problem))
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
                self.row(inv.row, number, inv.raw.get("name", "")[:100], None, "invalid", reason)
            )
        for dup in self.checked.duplicates:
            self.extra_rows.append(
                self.row(dup.row, dup.id_number, None, None, "duplicate", f"same_as:{dup.same_as}")
            )

    def row(
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

    def mine(self) -> Any:
        return self.st.c.batch_id == self.bid

    def later_rows_unchanged(self, *partition: Any) -> None:
        """Rows repeating an earlier row's key (same resident and category…) are ``unchanged``:
        a window function, not ``NOT IN (SELECT min …)``, which PostgreSQL cannot hash at a
        million rows (it rescans the subquery per row)."""
        st = self.st
        rn = func.row_number().over(partition_by=partition, order_by=st.c.row_no).label("rn")
        inner = select(st.c.row_no, rn).where(self.mine(), st.c.status.is_(None)).subquery()
        later = select(inner.c.row_no).where(inner.c.rn > 1)
        self.s.execute(
            update(st)
            .where(self.mine(), st.c.status.is_(None), st.c.row_no.in_(later))
            .values(status="unchanged")
        )

    def set_status(self, status: str, *where: Any) -> None:
        self.s.execute(
            update(self.st).where(self.mine(), self.st.c.status.is_(None), *where).values(status=status)
        )

    def finish(self) -> None:
        st = self.st
        ir = table(ImportRow)
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
                ).where(self.mine()),
            )
        )
        bulk_insert(self.s, ImportRow, self.extra_rows)
        if self.s.get_bind().dialect.name == "sqlite":
            # one writer at a time on SQLite: the table holds only this batch's rows, and an
            # unqualified DELETE is SQLite's fast truncate
            self.s.execute(delete(st))
        else:
            self.s.execute(delete(st).where(self.mine()))
        self.result.rows = {
            status: n
            for status, n in self.s.execute(
                select(ir.c.status, func.count()).where(ir.c.batch_id == self.bid).group_by(ir.c.status)
            )
        }
