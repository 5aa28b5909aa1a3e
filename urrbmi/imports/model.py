"""Result objects of reading a department list: a batch (one file, its checksum), its valid
rows, invalid rows with reasons, exact duplicates and conflicts for a human review queue.

Every row keeps its row number as in the original file; the batch keeps the file's SHA-256, so
a later loader can record where each fact came from and refuse to load the same file twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

# the columns of ``ListBatch.frame`` before the ``v.<field>`` columns (the ListRow attributes)
VALID_COLUMNS = ("row", "id_number", "name", "sex", "birth_date", "category", "town", "town_code")


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a row is invalid."""

    row: int  # row number in the original file
    column: str  # the column's header text as in the file ("" when not about one column)
    value: str  # the original cell value
    code: str  # stable: id_check_digit, name_missing, category_unknown, …
    zh: str
    en: str


# Short Chinese names of the problem codes, for summaries that count problems by kind (a code
# with no name here is shown by its first problem's message, never by the code).
PROBLEM_ZH = {
    "id_missing": "身份证号码为空",
    "id_length": "身份证号码位数不对",
    "id_chars": "身份证号码含非法字符",
    "id_birth_date": "身份证号码中的出生日期无效",
    "id_check_digit": "身份证号码校验位不对",
    "id_region": "身份证号码的地区码不存在",
    "id_birth_future": "出生日期晚于名单日期",
    "id_too_old": "年龄超过上限",
    "sex_mismatch": "性别与身份证号码不符",
    "birth_mismatch": "出生日期与身份证号码不符",
    "town_unknown": "乡镇不在本县区划中",
    "village_unknown": "村（社区）不在所属乡镇中",
    "date_order": "退出时间早于认定时间",
    "value_missing": "必填项为空",
    "name_missing": "姓名为空",
    "name_invalid": "姓名含数字或过长",
    "sex_invalid": "性别不是“男”或“女”",
    "category_missing": "人员类别为空",
    "category_unknown": "未知的人员类别",
    "date_invalid": "日期无法识别",
    "date_out_of_range": "日期不在合理范围",
}


@dataclass(slots=True)
class ListRow:
    """A valid, normalised row."""

    row: int  # row number in the original file
    id_number: str  # 18 characters, validated
    name: str
    sex: str  # "M" | "F", from the ID
    birth_date: dt.date  # from the ID
    category: str | None  # vocabulary code (from the column or the source's default)
    town: str  # as written, normalised ("" if no column)
    town_code: str | None  # when a region list was given and the town is known
    values: dict[str, str]  # every mapped field, normalised text
    file_sha256: str = ""  # SHA-256 of the file the row came from (with ``row``: its provenance)

    def key(self) -> tuple[str, ...]:
        """What makes two rows of one file exact duplicates: every mapped value (the fields of
        one file come in the same order on every row)."""
        return tuple(self.values.values())


@dataclass(frozen=True, slots=True)
class InvalidRow:
    row: int
    problems: tuple[Problem, ...]
    raw: dict[str, str]  # mapped fields as in the file


@dataclass(frozen=True, slots=True)
class Duplicate:
    """An exact repeat of an earlier row: dropped, counted."""

    row: int
    same_as: int  # the row kept
    id_number: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """Rows with the same ID that disagree on who the person is (name, sex, birth date): none of
    them is loaded; a person decides."""

    id_number: str
    rows: tuple[ListRow, ...]
    fields: tuple[str, ...]  # the fields that differ


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    sha256: str
    size: int
    format: str
    encoding: str | None
    sheet: str | None
    header_rows: tuple[int, ...]
    columns: dict[str, str]  # field -> header text in the file
    ignored_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Counts:
    data_rows: int  # rows after the header, excluding blank lines
    valid: int  # rows in ``rows`` (after dropping duplicates and conflicts)
    invalid: int
    duplicates: int
    conflict_rows: int
    conflicts: int  # distinct IDs in conflict
    blank: int  # blank lines (anywhere in the file)
    skipped: int  # rows without name and ID (footers such as 制表人) and repeated header rows
    unique_ids: int  # distinct IDs among valid rows


@dataclass
class ListBatch:
    """One department list file, read and checked.

    The valid rows are kept as columns (``frame``: ``VALID_COLUMNS``, then ``v.<field>`` for
    every mapped field in file order, ``v.id_number`` last); ``rows`` gives them as ``ListRow``
    objects, made on first use (the loader works on the columns)."""

    source: str
    file: SourceFile
    frame: pl.DataFrame
    invalid: list[InvalidRow]
    duplicates: list[Duplicate]
    conflicts: list[Conflict]
    skipped: list[int]
    counts: Counts
    as_of: dt.date
    seconds: dict[str, float] = field(default_factory=dict)  # read, validate, dedupe

    @cached_property
    def rows(self) -> list[ListRow]:
        return rows_of(self.frame, self.file.sha256)

    def problems(self) -> list[Problem]:
        return [p for r in self.invalid for p in r.problems]


def rows_of(frame: pl.DataFrame, file_sha256: str = "") -> list[ListRow]:
    """The rows of a checked-list frame as ``ListRow`` objects (file order kept)."""
    fields = [c.removeprefix("v.") for c in frame.columns if c.startswith("v.")]
    width = len(VALID_COLUMNS)
    out: list[ListRow] = []
    for r in frame.select(*VALID_COLUMNS, *(f"v.{f}" for f in fields)).iter_rows():
        row, number, name, sex, born, category, town, town_code = r[:width]
        values = dict(zip(fields, r[width:], strict=True))
        out.append(ListRow(row, number, name, sex, born, category, town, town_code, values, file_sha256))
    return out
