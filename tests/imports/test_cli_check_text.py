"""`urrbmi list check` speaks to officers in Chinese: problems by name, never by code, and a
list with no valid row is an error (exit 2), not a success."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from import_helpers import MINZHENG_HEADER, minzheng_row, write_csv

from urrbmi.interfaces.cli import main

CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # snake_case: an internal code


def check(path: Path, tmp_path: Path) -> tuple[int, str, str]:
    res = CliRunner().invoke(
        main,
        [
            "list",
            "check",
            str(path),
            "--source",
            "minzheng",
            "--as-of",
            "2021-09-30",
            "--report",
            str(tmp_path / "report.xlsx"),
            "--no-progress",
        ],
    )
    return res.exit_code, res.stdout, res.stderr


def test_problem_kinds_are_named_in_chinese(tmp_path: Path) -> None:
    rows = [
        MINZHENG_HEADER,
        minzheng_row(1),
        minzheng_row(2, 身份证号码="34062119700506"),
        minzheng_row(3, 人员类别="五保户"),
        minzheng_row(5, 性别="未知"),
    ]
    code, out, _ = check(write_csv(tmp_path / "名单.csv", rows), tmp_path)
    assert code == 0, out
    line = next(x for x in out.splitlines() if x.startswith("错误类型"))
    assert "身份证号码位数不对 1" in line and "未知的人员类别 1" in line and "性别不是“男”或“女” 1" in line
    assert not CODE.search(line), line


def test_no_valid_row_is_an_error(tmp_path: Path) -> None:
    rows = [MINZHENG_HEADER, minzheng_row(2, 身份证号码="34062119700506"), minzheng_row(3, 人员类别="五保户")]
    code, out, err = check(write_csv(tmp_path / "名单.csv", rows), tmp_path)
    assert code == 2, out
    assert "有效 valid: 0" in out and (tmp_path / "report.xlsx").exists()  # the report is still written
    assert (
        err.startswith("错误[no_valid_rows]：名单中没有一行有效数据") and len(err.strip().splitlines()) == 1
    )
    code, _, err = check(write_csv(tmp_path / "空名单.csv", [MINZHENG_HEADER]), tmp_path)
    assert code == 2 and "no_valid_rows" in err
