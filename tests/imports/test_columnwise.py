"""The column-wise check (Polars over columns, ``TableValidator.check``) against its row-by-row
definition (``TableValidator.reference``), and the column-wise de-duplication against ``dedupe``,
on randomly spoiled rows: every kind of problem, alone and together, many times over."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from import_helpers import AS_OF, person

from urrbmi import ids
from urrbmi.imports import config as cfg
from urrbmi.imports.dedupe import dedupe, dedupe_frame
from urrbmi.imports.model import rows_of
from urrbmi.imports.reader import _csv_lines, _dialect, columns_of, read
from urrbmi.imports.validate import _PLAIN_NAME, Regions, TableValidator

REGIONS = Regions.from_rows(
    [
        {"code": "340621101", "name": "百善镇", "level": "town", "parent": "340621"},
        {"code": "340621101201", "name": "张楼村", "level": "village", "parent": "340621101"},
        {"code": "340621101202", "name": "李庄村", "level": "village", "parent": "340621101"},
        {"code": "340621102", "name": "双堆集镇", "level": "town", "parent": "340621"},
    ]
)
FIELDS = ["name", "sex", "id_number", "birth_date", "category", "town", "village", "start_date", "end_date"]
LABELS = dict(
    zip(
        FIELDS,
        ["姓名", "性别", "身份证号码", "出生日期", "人员类别", "所属乡镇", "村", "认定时间", "退出时间"],
        strict=True,
    )
)


def _spoiled_row(rng: random.Random, n: int) -> list[str]:
    born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 34000))
    male = rng.random() < 0.5
    number = person(n % 50, "M" if male else "F", born)
    choice = rng.random
    if choice() < 0.2:
        number = rng.choice(
            [
                number[:17] + ("1" if number[17] != "1" else "2"),  # check digit
                number[:10] + "1399" + number[14:],  # birth date
                number[:16],  # length
                number.lower() + " ",
                "",
                "１２３" + number[3:],  # full width
                ids.make("340621", dt.date(2023, 1, 1), 3),  # born after the list
                ids.make("340621", dt.date(1890, 1, 1), 3),  # too old
                "990000" + number[6:],  # not a region
            ]
        )

    def pick(good: str, *other: str) -> str:  # mostly good, so that valid rows occur too
        return good if choice() < 0.85 else rng.choice(other)

    name = pick("张伟", "李 芳", "阿依·买买提", "赵静 ", "张3", "", "Ｌｉ", "䶮", "钱" * 31, "孙•丽")
    sex = pick("男" if male else "女", "女" if male else "男", "", "M", "2", "x")
    birth = pick("", born.isoformat(), (born + dt.timedelta(days=1)).isoformat(), "1980年13月1日")
    category = pick("低保对象", "特困人员", "", "五保户", "重度残疾人", "dibao")
    town = pick("百善镇", "百善", "双堆集镇", "", "不存在镇")
    village = (
        pick("张楼村", "李庄村", "", "王村", "张 楼村") if town.startswith("百善") else pick("", "张楼村")
    )
    start = pick("2020-03-01", "2021/9/1", "", "1900-01-01", "2030-01-01", "not a date", "44470")
    end = pick("", "2019-01-01", "2022-01-01")
    return [name, sex, number, birth, category, town, village, start, end]


def _validator(source: str = "minzheng") -> TableValidator:
    return TableValidator(cfg.source(source), {f: i for i, f in enumerate(FIELDS)}, LABELS, AS_OF, REGIONS)


@pytest.mark.parametrize("seed", range(6))
def test_column_wise_check_agrees_with_the_row_by_row_definition(seed: int) -> None:
    rng = random.Random(seed)
    data = [(i + 2, _spoiled_row(rng, i)) for i in range(1500)]
    if seed % 2:  # short rows: missing cells read as empty
        data = [(r, cells[: rng.randrange(3, 10)]) for r, cells in data]
    v = _validator("minzheng" if seed < 3 else "canlian")
    numbers, cells = columns_of(data, list(range(len(FIELDS))))
    valid, invalid = v.check(numbers, {f: cells[i] for i, f in enumerate(FIELDS)})
    expected = v.reference(data)
    assert {r.row: list(r.problems) for r in invalid} == {r: p for r, p in expected.items() if p}
    assert valid["row"].to_list() == [r for r, p in expected.items() if not p]
    assert len(invalid) > 300 and valid.height > 200  # both kinds really occur
    kinds = {p.code for r in invalid for p in r.problems}
    assert {"sex_mismatch", "birth_mismatch", "village_unknown", "date_order", "id_birth_future"} <= kinds


def test_plain_names_need_no_normalisation() -> None:
    """Names matching the fast-path pattern are returned unchanged and valid by ``_name``."""
    import polars as pl

    v = _validator()
    sample = ["张伟", "阿依·买买提", "䶮", "一" * 30, "一" * 31, "张 伟", "张3", "", "孙•丽", "Ｌｉ"]
    plain = pl.Series(sample).str.contains(_PLAIN_NAME).to_list()
    assert plain == [True, True, True, True, False, False, False, False, False, False]
    for text, fast in zip(sample, plain, strict=True):
        if fast:
            assert v._name(text).value == text and not v._name(text).problems


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.sampled_from(["甲", "乙"]), st.sampled_from(["dibao", "tekun"])),
        min_size=1,
        max_size=25,
    )
)
def test_column_wise_dedupe_agrees_with_dedupe(rows: list[tuple[int, str, str]]) -> None:
    import polars as pl

    frame = pl.DataFrame(
        {
            "row": [i + 2 for i in range(len(rows))],
            "id_number": [person(p) for p, _, _ in rows],
            "name": [n for _, n, _ in rows],
            "sex": ["M"] * len(rows),
            "birth_date": [dt.date(1970, 5, 6)] * len(rows),
            "category": [c for _, _, c in rows],
            "town": [""] * len(rows),
            "town_code": pl.Series([None] * len(rows), dtype=pl.String),
            "v.name": [n for _, n, _ in rows],
            "v.category": [c for _, _, c in rows],
            "v.id_number": [person(p) for p, _, _ in rows],
        }
    )
    kept, dups, conflicts = dedupe_frame(frame)
    ref_kept, ref_dups, ref_conflicts = dedupe(rows_of(frame))
    assert [r.row for r in rows_of(kept)] == [r.row for r in ref_kept]
    assert dups == ref_dups
    assert [(c.id_number, [r.row for r in c.rows], c.fields) for c in conflicts] == [
        (c.id_number, [r.row for r in c.rows], c.fields) for c in ref_conflicts
    ]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet="ab 张,\t\r|", max_size=4), min_size=0, max_size=4), min_size=0, max_size=8
    ),
    st.sampled_from([",", "\t"]),
    st.booleans(),
)
def test_unquoted_csv_fast_path_reads_as_csv_reader(
    rows: list[list[str]], delimiter: str, crlf: bool
) -> None:
    """Text without quote characters is split by line (``_csv_lines``); the kept rows, their row
    numbers and the blank-line count must be those of ``csv.reader`` under the sniffed dialect
    (the path taken otherwise)."""
    cells = [[c.replace(delimiter, "").replace("\r", "") for c in r] for r in rows]
    text = ("\r\n" if crlf else "\n").join(delimiter.join(r) for r in cells) + ("\r\n" if crlf else "\n")
    dialect = _dialect(text)  # what read() sniffs, with all its options (skipinitialspace…)
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    every = [(reader.line_num, r) for r in reader]
    kept = [(n, r) for n, r in every if any(r) and "".join(r).strip()]
    lines = _csv_lines(text, dialect)
    assume(lines is not None)  # a sniffed dialect with skipinitialspace goes to csv.reader
    assert lines is not None
    frame, blank = lines
    split = [(n, line.split(dialect.delimiter)) for n, line in frame.iter_rows()]
    assert split == kept and blank == len(every) - len(kept)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet="ab 张,", max_size=4), min_size=0, max_size=5), min_size=1, max_size=8
    ),
    st.booleans(),
)
def test_unquoted_csv_read_as_lines_gives_the_rows_and_columns_of_csv_reader(
    rows: list[list[str]], crlf: bool
) -> None:
    """``read`` keeps an unquoted CSV file as lines and splits columns in Polars: the kept rows,
    the blank-line count and the columns must be those of ``csv.reader`` with blank rows dropped."""
    import tempfile
    from pathlib import Path

    lines = [",".join(c.replace(",", "") for c in r) for r in rows]
    text = ("\r\n" if crlf else "\n").join(["姓名,身份证号码,类别", *lines]) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "l.csv"
        path.write_bytes(text.encode("gb18030"))
        table = read(path)
    dialect = _dialect(text)
    assume(dialect.delimiter == "," and not dialect.skipinitialspace)  # else csv.reader reads it
    assert table.lines is not None  # the line path was taken
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    every = [(reader.line_num, r) for r in reader]
    kept = [(n, r) for n, r in every if any(r) and "".join(r).strip()]
    assert table.rows == kept and table.blank_rows == len(every) - len(kept)
    numbers, cells = table.columns(1, [0, 1, 2, 3])
    assert numbers.to_list() == [n for n, _ in kept[1:]]
    for c in range(4):
        assert cells[c].to_list() == [r[c] if c < len(r) else "" for _, r in kept[1:]]
