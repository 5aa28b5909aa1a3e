"""Every validation error kind, with the row number, column and original value of the file."""

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from import_helpers import AS_OF, MINZHENG_HEADER, minzheng_row, person, write_csv

from urrbmi import ids
from urrbmi.imports.check import check_file
from urrbmi.imports.model import ListBatch
from urrbmi.imports.validate import Regions

GOOD = person(7)
REGIONS = Regions.from_rows(
    [
        {"code": "340621101", "name": "百善镇", "level": "town", "parent": "340621"},
        {"code": "340621101201", "name": "张楼村", "level": "village", "parent": "340621101"},
        {"code": "340621102", "name": "双堆集镇", "level": "town", "parent": "340621"},
    ]
)
HEADER = [*MINZHENG_HEADER, "退出时间", "出生日期"]


def check_rows(tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER) -> ListBatch:
    f = write_csv(tmp_path / "l.csv", [header, *rows])
    return check_file(f, "minzheng", as_of=AS_OF, regions=REGIONS)


def row(**change: str) -> list[str]:
    extra = {"退出时间": change.pop("退出时间", ""), "出生日期": change.pop("出生日期", "")}
    r = minzheng_row(3, **{"身份证号码": GOOD, **change})
    return [*r, extra["退出时间"], extra["出生日期"]]


def spoil_check_digit(n: str) -> str:
    return n[:17] + ("1" if n[17] != "1" else "2")


def bad_date_id() -> str:
    first17 = "340621" + "19700230" + "123"
    return first17 + ids.check_digit(first17)


def unknown_region_id() -> str:
    first17 = "990000" + "19700506" + "123"
    return first17 + ids.check_digit(first17)


CASES = [
    ("id_missing", {"身份证号码": ""}, "身份证号码"),
    ("id_length", {"身份证号码": GOOD[:-1]}, "身份证号码"),
    ("id_chars", {"身份证号码": GOOD[:10] + "A" + GOOD[11:]}, "身份证号码"),
    ("id_birth_date", {"身份证号码": bad_date_id()}, "身份证号码"),
    ("id_check_digit", {"身份证号码": spoil_check_digit(GOOD)}, "身份证号码"),
    ("id_region", {"身份证号码": unknown_region_id()}, "身份证号码"),
    ("id_birth_future", {"身份证号码": person(1, born=dt.date(2022, 1, 1))}, "身份证号码"),
    ("id_too_old", {"身份证号码": person(1, born=dt.date(1890, 1, 1))}, "身份证号码"),
    ("name_missing", {"姓名": " "}, "姓名"),
    ("name_invalid", {"姓名": "张三3"}, "姓名"),
    ("sex_invalid", {"性别": "未知"}, "性别"),
    ("sex_mismatch", {"性别": "女"}, "性别"),
    ("category_missing", {"人员类别": ""}, "人员类别"),
    ("category_unknown", {"人员类别": "五保户"}, "人员类别"),
    ("town_unknown", {"所属乡镇": "城关镇"}, "所属乡镇"),
    ("village_unknown", {"村（社区）": "王庄村"}, "村（社区）"),
    ("date_invalid", {"认定时间": "2021-02-30"}, "认定时间"),
    ("date_out_of_range", {"认定时间": "2035-01-01"}, "认定时间"),
    ("date_out_of_range", {"认定时间": "1900-01-01"}, "认定时间"),
    ("date_order", {"认定时间": "2021-03-01", "退出时间": "2020-01-01"}, "退出时间"),
    ("birth_mismatch", {"出生日期": "1971-01-01"}, "出生日期"),
]


@pytest.mark.parametrize("code,change,column", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_error_kind(tmp_path: Path, code: str, change: dict[str, str], column: str) -> None:
    batch = check_rows(tmp_path, [row(), [], row(**dict(change))])
    assert batch.counts.invalid == 1 and batch.counts.valid == 1
    (bad,) = batch.invalid
    assert bad.row == 4  # header 1, good row 2, blank line 3
    codes = [p.code for p in bad.problems]
    assert codes == [code]
    p = bad.problems[0]
    assert p.column == column
    original = dict(zip(HEADER, row(**dict(change)), strict=True))[column]
    assert p.value == original
    assert p.zh and p.en and p.zh != p.en


def test_several_problems_on_one_row_are_all_reported(tmp_path: Path) -> None:
    batch = check_rows(tmp_path, [row(姓名="", 人员类别="五保户", 所属乡镇="城关镇")])
    assert sorted(p.code for p in batch.invalid[0].problems) == [
        "category_unknown",
        "name_missing",
        "town_unknown",
    ]


def test_value_missing_for_a_required_field(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "ga.csv",
        [["姓名", "公民身份号码", "变动类型"], ["李四", GOOD, ""], ["王五", person(9), "死亡"]],
    )
    batch = check_file(f, "gongan", as_of=AS_OF)
    assert [p.code for p in batch.problems()] == ["value_missing"]
    assert batch.rows[0].values["event"] == "死亡" and batch.rows[0].category is None


def test_normalisation_makes_messy_rows_valid(tmp_path: Path) -> None:
    full_width = GOOD.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    x_id = next(n for n in (person(i) for i in range(200)) if n.endswith("X"))
    batch = check_rows(
        tmp_path,
        [
            row(身份证号码=full_width, 姓名="  张 伟  "),
            row(身份证号码=x_id.lower(), 人员类别="城乡低保对象"),
            row(身份证号码=f" '{person(11)} ", 所属乡镇="百善", 认定时间="2020年3月1日"),
        ],
    )
    assert batch.counts.invalid == 0, batch.problems()
    assert [r.id_number for r in batch.rows] == [GOOD, x_id, person(11)]
    assert batch.rows[0].name == "张伟"
    assert batch.rows[1].category == "dibao"
    assert batch.rows[2].town_code == "340621101"
    assert batch.rows[2].values["start_date"] == "2020-03-01"
    assert batch.rows[0].birth_date == ids.birth_date(GOOD) and batch.rows[0].sex == "M"


def test_default_category_for_lists_that_are_one_category(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "cl.csv", [["姓名", "公民身份号码", "残疾等级"], ["李四", GOOD, "一级"]])
    batch = check_file(f, "canlian", as_of=AS_OF)
    assert batch.rows[0].category == "severe_disability"


_digits = st.text(alphabet="0123456789X", min_size=17, max_size=19)


@given(st.one_of(_digits, st.builds(lambda n: n, st.sampled_from([GOOD, person(2, "F"), bad_date_id()]))))
def test_fast_id_check_agrees_with_ids_validate(number: str) -> None:
    assert (ids.error_code(number) is None) == ids.is_valid(number)


@given(st.integers(0, 16), st.sampled_from("0123456789X"))
def test_fast_id_check_agrees_on_single_changes(pos: int, ch: str) -> None:
    number = GOOD[:pos] + ch + GOOD[pos + 1 :]
    assert (ids.error_code(number) is None) == ids.is_valid(number)


def test_short_rows_read_missing_cells_as_empty(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "l.csv", [MINZHENG_HEADER, minzheng_row(1), ["2", "李四", "男", GOOD]])
    batch = check_file(f, "minzheng", as_of=AS_OF)
    assert [(r.row, [p.code for p in r.problems]) for r in batch.invalid] == [(3, ["category_missing"])]


@given(
    st.lists(
        st.one_of(_digits, st.sampled_from([GOOD, person(2, "F"), bad_date_id(), "", "11" * 9])), max_size=30
    )
)
@settings(deadline=None)  # timing on a shared 2-CPU machine is not what this test checks
def test_column_wise_id_check_agrees_with_the_single_one(numbers: list[str]) -> None:
    assert ids.error_codes(numbers) == [ids.error_code(n) for n in numbers]
