"""Header detection: titles above, merged two-row headers, header variants per source."""

from pathlib import Path

import openpyxl
import pytest
from import_helpers import AS_OF, MINZHENG_HEADER, minzheng_row, person, write_csv

from urrbmi.errors import InvalidInput
from urrbmi.imports.check import check_file
from urrbmi.imports.config import source
from urrbmi.imports.headers import find_header


def rows_of(*lines: list[str]) -> list[tuple[int, list[str]]]:
    return [(i + 1, line) for i, line in enumerate(lines)]


def test_merged_two_row_header_under_a_title(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["濉溪县2021年9月城乡低保人员名单"])
    ws.merge_cells("A1:H1")
    ws.append(["序号", "基本信息", None, None, "人员类别", "居住地", None, "认定时间"])
    ws.append([None, "姓名", "性别", "身份证号码", None, "所属乡镇", "村（社区）", None])
    for r1 in ("A2:A3", "B2:D2", "E2:E3", "F2:G2", "H2:H3"):
        ws.merge_cells(r1)
    ws.append(minzheng_row(1))
    ws.append(minzheng_row(2))
    f = tmp_path / "民政.xlsx"
    wb.save(f)
    batch = check_file(f, "minzheng", as_of=AS_OF)
    assert batch.file.header_rows == (2, 3)
    assert batch.file.columns == {
        "name": "姓名",
        "sex": "性别",
        "id_number": "身份证号码",
        "category": "人员类别",
        "town": "所属乡镇",
        "village": "村（社区）",
        "start_date": "认定时间",
    }
    assert [r.row for r in batch.rows] == [4, 5]
    assert batch.rows[0].category == "dibao"


def test_upper_group_words_join_the_lower_cells() -> None:
    # "身份证" over "号码": only the joined text is an alias
    header, start = find_header(
        rows_of(["姓名", "身份证", "类别"], ["", "号码", ""], ["张三", person(1), "低保对象"]),
        source("minzheng"),
    )
    assert header.columns == {"name": 0, "id_number": 1, "category": 2} and start == 2


def test_single_header_is_not_joined_with_the_first_data_row() -> None:
    header, start = find_header(rows_of(MINZHENG_HEADER, minzheng_row(1)), source("minzheng"))
    assert header.rows == (1,) and start == 1


@pytest.mark.parametrize(
    "id_header",
    [
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "证件号码",
        "身份证件号",
        " 身份证号码 ",
        "*身份证号码",
        "身份证号码(18位)",
        "身份证号码（18位）",
    ],
)
def test_header_variants(id_header: str) -> None:
    header, _ = find_header(rows_of(["姓名", id_header, "人员类别"]), source("minzheng"))
    assert header.columns["id_number"] == 1


def test_variants_are_per_source() -> None:
    # 学生姓名 is a name for 教育 lists only; 残疾类别 is not a category for 残联
    header, _ = find_header(rows_of(["学生姓名", "身份证件号", "学校名称"]), source("jiaoyu"))
    assert header.columns == {"name": 0, "id_number": 1, "school": 2}
    with pytest.raises(InvalidInput):
        find_header(rows_of(["学生姓名", "身份证件号", "人员类别"]), source("minzheng"))
    header, _ = find_header(rows_of(["姓名", "公民身份号码", "残疾类别"]), source("canlian"))
    assert "category" not in header.columns and header.columns["disability_kind"] == 2


def test_no_header_found() -> None:
    with pytest.raises(InvalidInput) as err:
        find_header(rows_of(["a", "b"], ["1", "2"]), source("minzheng"))
    assert err.value.code == "header_not_found"


def test_required_column_missing() -> None:
    with pytest.raises(InvalidInput) as err:
        find_header(rows_of(["姓名", "身份证号码", "所属乡镇"]), source("minzheng"))
    assert err.value.code == "header_missing_column" and "category" in err.value.en


def test_header_after_20_rows_is_not_searched() -> None:
    with pytest.raises(InvalidInput):
        find_header(rows_of(*[["说明"]] * 20, MINZHENG_HEADER), source("minzheng"))


def test_repeated_header_rows_and_footers_are_skipped(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "l.csv",
        [
            MINZHENG_HEADER,
            minzheng_row(1),
            MINZHENG_HEADER,
            minzheng_row(2),
            ["制表人：李四", "", "", "", "", "", "", ""],
        ],
    )
    batch = check_file(f, "minzheng", as_of=AS_OF)
    assert batch.counts.valid == 2 and batch.counts.invalid == 0
    assert batch.skipped == [3, 5]
