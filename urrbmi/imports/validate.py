"""Row validation: every problem of a row is collected (not the first only), messages bilingual.

Validation is column-wise: a column's cell texts repeat (towns, categories, dates, many names),
so each distinct text is normalised and checked once and rows look the outcome up; only the ID
column is checked cell by cell, and the checks that span columns (sex and birth date against the
ID, village within town, end after start) run per row.

The ID check is ``urrbmi.ids``: its problem codes (``ids.error_codes`` for the column,
``ids.error_code`` for one cell) decide validity, and only failing IDs go through
``ids.validate`` for its message. The codes agree with ``ids.is_valid`` (tested).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import polars as pl

from urrbmi import ids
from urrbmi.errors import InvalidId, UnknownCategory
from urrbmi.imports import normalize as norm
from urrbmi.imports.config import SourceConfig
from urrbmi.imports.model import InvalidRow, Problem
from urrbmi.imports.reader import columns_of
from urrbmi.policy.categories import Vocabulary
from urrbmi.policy.identities import all_identities

EARLIEST_DATE = dt.date(1949, 10, 1)  # no list date (认定时间, 变动日期) is earlier
MAX_AGE = 120
# a name of CJK ideographs (basic block and extension A) and the middle dot only, at most 30:
# already normalised and valid (``_name`` would return it unchanged)
_PLAIN_NAME = r"^[\u4e00-\u9fff\u3400-\u4dbf·]{1,30}$"
_SEX = {"男": "M", "女": "F", "M": "M", "F": "F", "1": "M", "2": "F", "男性": "M", "女性": "F"}


@dataclass
class Regions:
    """Known towns (and villages) for checking the town column: name -> code. Short names
    (濉溪 for 濉溪镇) are accepted when they are unambiguous."""

    towns: dict[str, str]
    villages: dict[str, dict[str, str]] = field(default_factory=dict)  # town code -> name -> code

    @classmethod
    def from_rows(cls, rows: list[Mapping[str, str]]) -> Regions:
        towns: dict[str, str] = {}
        villages: dict[str, dict[str, str]] = {}
        short: dict[str, set[str]] = {}
        for r in rows:
            name = norm.name(r["name"])
            if r["level"] == "town":
                towns[name] = r["code"]
                s = name.split("(")[0].split("（")[0]
                for suffix in ("街道", "镇", "乡"):
                    if s.endswith(suffix) and len(s) > len(suffix) + 1:
                        short.setdefault(s[: -len(suffix)], set()).add(r["code"])
            elif r["level"] == "village":
                villages.setdefault(r["parent"], {})[name] = r["code"]
        for s, codes in short.items():
            if len(codes) == 1 and s not in towns:
                towns[s] = next(iter(codes))
        return cls(towns, villages)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What one distinct cell text of one column comes to."""

    value: str  # normalised text
    problems: tuple[tuple[str, str, str], ...] = ()  # (code, zh, en)
    code: str | None = None  # category code, town code or sex (M/F)
    date: dt.date | None = None


class TableValidator:
    """Checks the data rows of one file for one source."""

    def __init__(
        self,
        config: SourceConfig,
        columns: dict[str, int],
        labels: dict[str, str],
        as_of: dt.date,
        regions: Regions | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.config = config
        # the campaign policy's identities (its list mappings); default: every policy's
        self.vocabulary = vocabulary if vocabulary is not None else all_identities()
        self.columns = columns  # field -> column index
        self.labels = labels  # field -> header text in the file
        self.as_of = as_of
        self.regions = regions
        self.latest = as_of + dt.timedelta(days=366)
        self.oldest_birth = dt.date(as_of.year - MAX_AGE, as_of.month, min(as_of.day, 28))
        self.required_other = tuple(f for f in config.required if f not in ("id_number", "name", "category"))
        self._makers: dict[str, Callable[[str], _Outcome]] = {
            "name": self._name,
            "sex": self._sex,
            "category": self._category,
            "town": self._town,
        }

    def check(
        self,
        numbers: pl.Series,
        cells: dict[str, pl.Series],
        progress: Callable[[int], None] | None = None,
    ) -> tuple[pl.DataFrame, list[InvalidRow]]:
        """(valid rows as columns, invalid rows with every problem).

        Which rows are invalid is decided over columns: each distinct cell text of a column has
        an outcome (``_outcomes``), rows gather their outcome by index, and the ID, age and
        cross-column checks are Polars expressions. Only the rows found invalid (a fraction of a
        percent of a real list) are then looked at one by one (``_row_problems``) for their
        messages, so the messages have a single definition. The valid rows stay columns
        (``model.VALID_COLUMNS`` plus ``v.<field>`` for every mapped field, the ID last): a million
        ``ListRow`` objects were most of the time of a large check."""
        fields = [f for f in self.columns if f != "id_number"]
        n = numbers.len()
        outcomes: dict[str, dict[str, _Outcome]] = {}
        ids_ = [norm.id_number(raw) for raw in cells["id_number"].to_list()]
        frame = pl.DataFrame(
            {
                "row": numbers.cast(pl.Int64).alias("row"),
                "id_number": pl.Series(ids_, dtype=pl.String),
                "id_code": pl.Series(ids.error_codes(ids_), dtype=pl.String),
            }
        )
        if progress is not None and n:
            progress(n // 2)
        # each field: the outcome of each distinct cell text, joined back to the rows
        picked: list[pl.DataFrame] = []
        for f in fields:
            raw = cells[f].alias("raw")
            distinct = raw.unique()
            if f == "name":  # a plain Chinese name is its own normalised value; only the rest need Python
                distinct = distinct.filter(~distinct.str.contains(_PLAIN_NAME))
            out = outcomes[f] = self._outcomes(f, distinct.to_list())
            texts = list(out)
            table: dict[str, pl.Series] = {
                "raw": pl.Series(texts, dtype=pl.String),
                f"v.{f}": pl.Series([out[t].value for t in texts], dtype=pl.String),
                f"bad.{f}": pl.Series([bool(out[t].problems) for t in texts], dtype=pl.Boolean),
            }
            if f in ("sex", "category", "town"):
                table[f"code.{f}"] = pl.Series([out[t].code for t in texts], dtype=pl.String)
            if f.endswith("date"):
                table[f"date.{f}"] = pl.Series([out[t].date for t in texts], dtype=pl.Date)
            joined = raw.to_frame().join(pl.DataFrame(table), on="raw", how="left", maintain_order="left")
            if f == "name":
                joined = joined.with_columns(
                    pl.col("v.name").fill_null(pl.col("raw")), pl.col("bad.name").fill_null(False)
                )
            picked.append(joined.drop("raw"))
        frame = pl.concat([frame, *picked], how="horizontal")
        frame = frame.with_columns(
            pl.when(pl.col("id_number") == "")
            .then(pl.lit("id_missing"))
            .otherwise(pl.col("id_code"))
            .alias("id_code"),
        )
        id_ok = pl.col("id_code").is_null()
        born = pl.col("id_number").str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
        id_sex = (
            pl.when(pl.col("id_number").str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1)
            .then(pl.lit("M"))
            .otherwise(pl.lit("F"))
        )
        frame = frame.with_columns(
            pl.when(id_ok).then(born).otherwise(pl.lit(None, dtype=pl.Date)).alias("birth_date"),
            pl.when(id_ok).then(id_sex).otherwise(pl.lit(None, dtype=pl.String)).alias("sex"),
        )
        bad = (~id_ok) | (pl.col("birth_date") > self.as_of) | (pl.col("birth_date") < self.oldest_birth)
        for f in fields:
            bad = bad | pl.col(f"bad.{f}")
        if "sex" in outcomes:
            bad = bad | (pl.col("code.sex").is_not_null() & id_ok & (pl.col("code.sex") != pl.col("sex")))
        if "birth_date" in outcomes:
            bad = bad | (
                pl.col("date.birth_date").is_not_null()
                & id_ok
                & (pl.col("date.birth_date") != pl.col("birth_date"))
            )
        if "village" in outcomes and "town" in outcomes and self.regions is not None:
            pairs = frame.select("code.town", "v.village").unique()
            unknown = [
                (t, v)
                for t, v in pairs.iter_rows()
                if v
                and self.regions.villages.get(t or "")
                and v.replace(" ", "") not in self.regions.villages[t]
            ]
            if unknown:
                key = pl.concat_str(pl.col("code.town").fill_null(""), pl.lit("\x00"), pl.col("v.village"))
                bad = bad | key.is_in([f"{t or ''}\x00{v}" for t, v in unknown])
        if "end_date" in outcomes and "start_date" in outcomes:
            bad = bad | (pl.col("date.end_date") < pl.col("date.start_date")).fill_null(False)
        frame = frame.with_columns(bad.fill_null(False).alias("bad"))
        invalid: list[InvalidRow] = []
        flagged = frame.with_row_index("i").filter(pl.col("bad")).select("i", "row", "id_code")
        for i, row, code in flagged.iter_rows():
            problems = self._row_problems(row, i, ids_[i], code, outcomes, cells)
            if not problems:  # the column-wise and the row-wise checks disagree: a bug, never a silent pass
                raise RuntimeError(f"row {row} was flagged invalid but has no problem")
            invalid.append(InvalidRow(row, tuple(problems), {f: cells[f][i] for f in self.columns}))
        default_category = self.config.default_category if self.config.category != "none" else None
        category = pl.col("code.category") if "category" in outcomes else pl.lit(None, dtype=pl.String)
        valid = frame.filter(~pl.col("bad")).select(
            "row",
            "id_number",
            pl.col("v.name").alias("name"),
            "sex",
            "birth_date",
            category.fill_null(pl.lit(default_category, dtype=pl.String)).alias("category"),
            (pl.col("v.town") if "town" in outcomes else pl.lit("")).alias("town"),
            (pl.col("code.town") if "town" in outcomes else pl.lit(None, dtype=pl.String)).alias("town_code"),
            *(pl.col(f"v.{f}") for f in fields),
            pl.col("id_number").alias("v.id_number"),
        )
        if progress is not None and n:
            progress(n - n // 2)
        return valid, invalid

    def reference(self, data: list[tuple[int, list[str]]]) -> dict[int, list[Problem]]:
        """Every row's problems found row by row (``_row_problems`` over every row): the definition
        the column-wise ``check`` must agree with (tested); too slow for large files."""
        fields = [f for f in self.columns if f != "id_number"]
        _, by_index = columns_of(data, sorted(set(self.columns.values())))
        cols = {f: by_index[c] for f, c in self.columns.items()}
        outcomes = {f: self._outcomes(f, cols[f].unique().to_list()) for f in fields}
        out: dict[int, list[Problem]] = {}
        for i, (row, _cells) in enumerate(data):
            number = norm.id_number(cols["id_number"][i])
            code = ids.error_code(number) if number else "id_missing"
            out[row] = self._row_problems(row, i, number, code, outcomes, cols)
        return out

    def _row_problems(
        self,
        row: int,
        i: int,
        number: str,
        id_code: str | None,
        outcomes: dict[str, dict[str, _Outcome]],
        cols: Mapping[str, pl.Series],
    ) -> list[Problem]:
        """Every problem of data row ``i`` (file row ``row``), with its messages."""
        raw_id = cols["id_number"][i]
        problems: list[Problem] = []
        born: dt.date | None = None
        if id_code is not None:
            problems.append(self._id_problem(row, raw_id, number, id_code))
        else:
            born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            if born > self.as_of:
                problems.append(
                    Problem(
                        row,
                        self.labels["id_number"],
                        raw_id,
                        "id_birth_future",
                        f"身份证号码中的出生日期晚于{self.as_of}",
                        f"the ID's birth date is after {self.as_of}",
                    )
                )
            elif born < self.oldest_birth:
                problems.append(
                    Problem(
                        row,
                        self.labels["id_number"],
                        raw_id,
                        "id_too_old",
                        f"按身份证号码年龄超过{MAX_AGE}岁",
                        f"older than {MAX_AGE} by the ID",
                    )
                )
        values: dict[str, str] = {}
        for f, out in outcomes.items():
            o = out.get(cols[f][i]) or self._outcome(f, cols[f][i])
            values[f] = o.value
            if o.problems:
                label = self.labels[f]
                problems.extend(Problem(row, label, cols[f][i], *p) for p in o.problems)
        self._cross(row, number if born else "", born, values, outcomes, cols, i, problems)
        return problems

    def _id_problem(self, row: int, raw: str, number: str, code: str) -> Problem:
        if code == "id_missing":
            return Problem(
                row, self.labels["id_number"], raw, code, "身份证号码为空", "the ID number is empty"
            )
        try:
            ids.validate(number)
            zh, en = "身份证号码无效", "invalid ID number"
        except InvalidId as exc:
            zh, en = exc.zh, exc.en
        return Problem(row, self.labels["id_number"], raw, code, zh, en)

    def _cross(
        self,
        row: int,
        number: str,
        born: dt.date | None,
        values: dict[str, str],
        outcomes: dict[str, dict[str, _Outcome]],
        cols: Mapping[str, pl.Series],
        i: int,
        problems: list[Problem],
    ) -> None:
        def bad(f: str, code: str, zh: str, en: str) -> None:
            problems.append(Problem(row, self.labels[f], cols[f][i], code, zh, en))

        if "sex" in outcomes and number:
            sex = outcomes["sex"][cols["sex"][i]].code
            if sex and sex != ("M" if int(number[16]) % 2 else "F"):
                bad("sex", "sex_mismatch", "性别与身份证号码不符", "the sex does not match the ID number")
        if "birth_date" in outcomes and born is not None:
            d = outcomes["birth_date"][cols["birth_date"][i]].date
            if d is not None and d != born:
                bad(
                    "birth_date",
                    "birth_mismatch",
                    "出生日期与身份证号码不符",
                    "the birth date does not match the ID",
                )
        if "village" in outcomes and "town" in outcomes and self.regions is not None and values["village"]:
            town_code = outcomes["town"][cols["town"][i]].code
            known = self.regions.villages.get(town_code or "")
            if known and values["village"].replace(" ", "") not in known:
                bad(
                    "village",
                    "village_unknown",
                    f"村（社区）“{values['village']}”不在{values['town']}",
                    f"village {values['village']!r} is not in {values['town']}",
                )
        if "end_date" in outcomes and "start_date" in outcomes:
            start = outcomes["start_date"][cols["start_date"][i]].date
            end = outcomes["end_date"][cols["end_date"][i]].date
            if start and end and end < start:
                bad("end_date", "date_order", "退出时间早于认定时间", "the end date is before the start date")

    def _outcomes(self, field_: str, texts: list[str]) -> dict[str, _Outcome]:
        """The outcome of each of a column's distinct texts."""
        return {text: self._outcome(field_, text) for text in texts}

    def _outcome(self, field_: str, text: str) -> _Outcome:
        """What one cell text of a field comes to: normalised value, problems, code, date."""
        make = self._makers.get(field_)
        if make is not None:
            o = make(text)
        elif field_.endswith("date"):
            o = self._date(field_, text)
        else:
            o = _Outcome(norm.clean(text))
        if field_ in self.required_other and not o.value:
            label = self.labels.get(field_, field_)
            o = _Outcome(
                o.value,
                (*o.problems, ("value_missing", f"必填项“{label}”为空", f"required {field_} is empty")),
                o.code,
                o.date,
            )
        return o

    def _name(self, text: str) -> _Outcome:
        name = norm.name(text)
        if not name:
            return _Outcome(name, (("name_missing", "姓名为空", "the name is empty"),))
        if len(name) > 30 or any(ch.isdigit() for ch in name):
            return _Outcome(
                name, (("name_invalid", "姓名含数字或过长", "the name has digits or is too long"),)
            )
        return _Outcome(name)

    def _sex(self, text: str) -> _Outcome:
        value = norm.clean(text)
        if not value:
            return _Outcome(value)
        sex = _SEX.get(value.upper())
        if sex is None:
            return _Outcome(value, (("sex_invalid", "性别应为“男”或“女”", "sex must be 男 or 女"),))
        return _Outcome(value, code=sex)

    def _category(self, text: str) -> _Outcome:
        value = norm.clean(text)
        mode = self.config.category
        if mode == "none":
            return _Outcome(value)
        if not value:
            if mode == "required" and self.config.default_category is None:
                return _Outcome(value, (("category_missing", "人员类别为空", "the category is empty"),))
            return _Outcome(value, code=self.config.default_category)
        listed = self.vocabulary.for_list(self.config.key, value)
        if listed is not None:
            return _Outcome(value, code=listed.code)
        try:
            return _Outcome(value, code=self.vocabulary.code(value))
        except UnknownCategory:
            return _Outcome(
                value, (("category_unknown", f"未知的人员类别“{value}”", f"unknown category {value!r}"),)
            )

    def _town(self, text: str) -> _Outcome:
        value = norm.clean(text)
        if self.regions is None or not value:
            return _Outcome(value)
        code = self.regions.towns.get(value) or self.regions.towns.get(norm.name(value))
        if code is None:
            return _Outcome(
                value,
                (("town_unknown", f"乡镇“{value}”不在本县区划中", f"town {value!r} is not in the county"),),
            )
        return _Outcome(value, code=code)

    def _date(self, field_: str, text: str) -> _Outcome:
        value = norm.clean(text)
        if not value:
            return _Outcome(value)
        d = norm.parse_date(value)
        if d is None:
            return _Outcome(value, (("date_invalid", "日期无法识别", "not a date"),))
        if field_ != "birth_date" and not EARLIEST_DATE <= d <= self.latest:
            return _Outcome(
                value,
                (
                    (
                        "date_out_of_range",
                        f"日期{d}不在合理范围（{EARLIEST_DATE}至{self.latest}）",
                        f"date {d} outside {EARLIEST_DATE}..{self.latest}",
                    ),
                ),
                date=d,
            )
        return _Outcome(d.isoformat(), date=d)
