"""Error report (Excel, Chinese headers), the `urrbmi list check` command, headers.yaml."""

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from import_helpers import AS_OF, MINZHENG_HEADER, minzheng_row, write_csv

from urrbmi.errors import InvalidInput
from urrbmi.imports.check import check_file
from urrbmi.imports.config import load, sources
from urrbmi.imports.report import ERROR_HEADERS, write_report
from urrbmi.interfaces.cli import main
from urrbmi.policy.categories import vocabulary


def messy(tmp_path: Path) -> Path:
    rows = [
        MINZHENG_HEADER,
        minzheng_row(1),
        minzheng_row(2, 身份证号码="34062119700506"),
        minzheng_row(3, 人员类别="五保户", 姓名=""),
        minzheng_row(1),
        minzheng_row(4),
        minzheng_row(4, 姓名="李某"),
    ]
    return write_csv(tmp_path / "民政名单.csv", rows, "gb18030")


def test_report_lists_each_problem_with_the_file_row(tmp_path: Path) -> None:
    batch = check_file(messy(tmp_path), "minzheng", as_of=AS_OF)
    out = write_report(batch, tmp_path / "report.xlsx")
    wb = openpyxl.load_workbook(out)
    errors = list(wb["错误明细"].values)
    assert errors[0][:4] == ("行号", "列", "原值", "错误原因") == ERROR_HEADERS[:4]
    got = sorted((r[0], r[1], r[2], r[4]) for r in errors[1:])
    assert got == [
        (3, "身份证号码", "34062119700506", "id_length"),
        (4, "人员类别", "五保户", "category_unknown"),
        (4, "姓名", None, "name_missing"),  # an empty original value is an empty cell
    ]
    assert list(wb["重复行"].values)[1:] == [(5, 2, batch.duplicates[0].id_number)]
    conflicts = list(wb["冲突待核"].values)[1:]
    assert [(r[1], r[2], r[3]) for r in conflicts] == [(6, "张丽一", "姓名"), (7, "李某", "姓名")]


def test_cli_list_check(tmp_path: Path) -> None:
    f = messy(tmp_path)
    report = tmp_path / "out.xlsx"
    res = CliRunner().invoke(
        main,
        [
            "list",
            "check",
            str(f),
            "--source",
            "minzheng",
            "--as-of",
            "2021-09-30",
            "--report",
            str(report),
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "有效 valid: 1" in res.output and "无效 invalid: 2" in res.output
    assert "重复 duplicates dropped: 1" in res.output and "冲突 conflicts (IDs / rows): 1 / 2" in res.output
    assert "gb18030" in res.output and "用时 time" in res.output
    assert report.exists()


def test_cli_unknown_source_is_one_bilingual_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["list", "check", str(messy(tmp_path)), "--source", "nobody"])
    assert res.exit_code == 2
    assert "未知的名单来源" in res.output and "unknown list source" in res.output


def test_every_source_maps_name_and_id_and_defaults_are_known() -> None:
    voc = vocabulary()
    assert set(sources()) == {
        "minzheng",
        "xiangcun",
        "canlian",
        "tuiyijunren",
        "weijian",
        "jiaoyu",
        "gongan",
        "renshe",
        "hukou",
        "enrollment",
    }
    for cfg in sources().values():
        assert {"name", "id_number"} <= set(cfg.fields)
        assert cfg.default_category is None or cfg.default_category in voc.by_code


@pytest.mark.parametrize(
    "text,message",
    [
        ("sources: {}", "common"),
        ("common: {name: [姓名]}\nsources:\n  x: {nmae: y}", "未知键"),
        ("common: {name: [姓名]}\nsources:\n  x: {default_category: nope}", "未知身份代码"),
        ("common: {name: [姓名]}\nsources:\n  x: {required: [id_number]}", "必填字段无别名"),
        ("common: {name: [姓名]}\nsources:\n  x: {category: maybe}", "category"),
    ],
)
def test_header_config_is_strict(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load(text)


HOSTILE = ('=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1")


def test_report_writes_hostile_cells_as_text(tmp_path: Path) -> None:
    """Issue 13.1: cells of a department list come back in the error report as the text they
    were, never as formulas (the old report wrote ``=…`` cells as live formulas)."""
    rows = [MINZHENG_HEADER]
    rows += [minzheng_row(i + 1, 人员类别=h) for i, h in enumerate(HOSTILE)]  # unknown categories
    rows += [minzheng_row(i + 11, 姓名=h) for i, h in enumerate(HOSTILE)]  # invalid or odd names
    rows += [minzheng_row(30), minzheng_row(30, 姓名=HOSTILE[0])]  # one ID, two names: a conflict
    batch = check_file(write_csv(tmp_path / "民政名单.csv", rows), "minzheng", as_of=AS_OF)
    wb = openpyxl.load_workbook(write_report(batch, tmp_path / "report.xlsx"))
    values = [r[2].value for r in wb["错误明细"].iter_rows(min_row=2)]
    assert set(HOSTILE) <= set(values)  # the text is preserved for a human
    assert HOSTILE[0] in [r[2].value for r in wb["冲突待核"].iter_rows(min_row=2)]
    hostile = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value}"
                if cell.value in HOSTILE:
                    assert cell.data_type == "s" and cell.quotePrefix
                    hostile += 1
    assert hostile >= 2 * len(HOSTILE)
