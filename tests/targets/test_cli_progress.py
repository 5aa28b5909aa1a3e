"""`urrbmi targets` commands of issue 18 items 2-6 on a campaign database (SQLite file): Chinese
output for officers, errors exit 2 without a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from world import build_changji, build_suixi

from urrbmi.db.session import get_engine, upgrade
from urrbmi.interfaces.cli import main


def _runner(url: str) -> tuple[Callable[..., str], Callable[..., str]]:
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(main, ["targets", *args, "--db", url])
        assert result.exit_code == 0, result.output
        return result.output

    def fails(*args: str) -> str:
        result = run(main, ["targets", *args, "--db", url])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        return result.output

    return ok, fails


def test_changji_7_2_5_groups_and_funding_levels_by_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    upgrade(url)
    build_changji(get_engine(url))
    ok, fails = _runner(url)
    out = ok("groups", "--on", "2022-12-10")
    assert "于2022年11月30日前完成参保" in out and "已逾期10天" in out and "剩余52天" in out
    assert "50.00%" in out  # hardship: 1 of 2 counted at 11-30
    out = ok(
        "funding-pay",
        "--level",
        "county",
        "--amount",
        "296.40",
        "--paid-on",
        "2022-12-20",
        "--reference",
        "拨-1",
    )
    assert "县级资金 296.40 元，2022-12-20 到位" in out
    assert "拨-1" in fails(
        "funding-pay", "--level", "county", "--amount", "1", "--paid-on", "2022-12-20", "--reference", "拨-1"
    )
    assert "未到期（剩余21天）" in ok("funding-levels", "--on", "2022-12-10")  # paid in on 12-20
    out = ok("funding-levels", "--on", "2022-12-31")
    assert "县市财政" in out and "按时足额到位" in out and "大病保险人均筹资145元" in out
    assert "county" not in out and "not_due" not in out  # no codes on an officer's screen


def test_suixi_6_3_task_upload_deadlines_and_bulletin_archive_by_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    upgrade(url)
    build_suixi(get_engine(url))
    ok, fails = _runner(url)
    bad = tmp_path / "bad.csv"
    bad.write_text("乡镇,参保任务数\n濉溪镇,10\n百善真,5\n", encoding="utf-8")
    out = fails(
        "upload", "--file", str(bad), "--name", "sx", "--level", "town", "--report", str(tmp_path / "r.xlsx")
    )
    assert "第3行" in out and "是否指：百善镇" in out
    assert load_workbook(tmp_path / "r.xlsx")["错误明细"]["A2"].value == 3
    good = tmp_path / "good.csv"
    good.write_text("乡镇,参保任务数\n濉溪镇,10\n百善镇,5\n合计,15\n", encoding="utf-8")
    assert "检查通过：2个单位，任务合计15" in ok(
        "upload", "--file", str(good), "--name", "sx", "--level", "town", "--check"
    )
    assert "第1版" in ok("upload", "--file", str(good), "--name", "sx", "--level", "town")
    assert "第2版" in ok("upload", "--file", str(good), "--name", "sx", "--level", "town", "--replace")
    out = ok("versions")
    assert "已替换" in out and "现行" in out
    ok("versions", "--name", "sx", "--version", "1", "--out", str(tmp_path / "v1.csv"))
    assert (tmp_path / "v1.csv").read_bytes() == good.read_bytes()
    out = ok("list-deadlines", "--on", "2021-11-15")
    assert "未报送（已逾期17天）" in out and "民政部门" in out and "minzheng" not in out
    out = ok("bulletin", "issue", "--on", "2021-11-15", "--rate", "99%")
    assert "已发布通报 第1号" in out
    out = ok("bulletin", "archive", "--on", "2021-11-20")
    assert "2021-11-15" in out and "进度通报" in out
    assert "重算结果与存档一致" in ok("bulletin", "check", "1")
    out = ok("bulletin", "get", "1", "--out", str(tmp_path / "b"))
    assert out.count(str(tmp_path / "b")) == 2
    fails("bulletin", "issue", "--on", "2021-11-15", "--rate", "99%")
