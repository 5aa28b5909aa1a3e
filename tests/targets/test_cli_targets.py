"""`urrbmi targets ...` end to end through click."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from world import build_suixi

from urrbmi.db.session import get_engine, upgrade
from urrbmi.interfaces.cli import main


def test_targets_tasks_suixi_prints_the_annex_and_checks_it(tmp_path: Path) -> None:
    out = tmp_path / "suixi.xlsx"
    result = CliRunner().invoke(main, ["targets", "tasks", "--table", "suixi-2022", "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    assert "1,141,677" in result.output and "1,130,260" in result.output
    assert "93953.97" in result.output and "核对" in result.output
    ws = load_workbook(out)["参保任务"]
    assert [c.value for c in ws[2]][:3] == ["序号", "镇（园区）", "户籍人口数"]
    assert [c.value for c in ws[3]][:2] == [1, "濉溪镇"]
    assert ws.cell(row=3, column=6).value == 93954
    assert ws.cell(row=15, column=6).value == 1130260  # 2 header rows + 12 towns, then 合计


def test_targets_tasks_with_reductions_file(tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text(
        "region,persons,evidence,evidence_ref,recorded_on\n刘桥镇,15,异地居民医保参保凭证,LQ-1,2021-12-01\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["targets", "tasks", "--table", "suixi-2022", "--reductions", str(csv)])
    assert result.exit_code == 0, result.output
    assert "核减后任务数" in result.output
    assert "60,770" in result.output  # 60785 − 15
    assert "1,130,245" in result.output  # 1130260 − 15


def test_targets_incentive_reads_the_database_and_the_old_name_still_works(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    upgrade(url)
    build_suixi(get_engine(url))
    run = CliRunner().invoke
    assert run(main, ["targets", "load", "--table", "suixi-2022", "--db", url]).exit_code == 0
    new = run(main, ["targets", "incentive", "--on", "2021-11-15", "--per-person", "5", "--db", url])
    assert new.exit_code == 0, new.output
    assert "濉溪镇" in new.output and "合计 / total: 0\n" in new.output  # nobody above a task yet
    old = run(main, ["targets", "incentive-db", "--on", "2021-11-15", "--per-person", "5", "--db", url])
    assert old.exit_code == 0, old.output
    assert "已停用" in old.stderr and "targets incentive" in old.stderr
    assert old.stdout == new.stdout
    # 濉溪's table has no incentive clause: without --per-person, a bilingual error, exit 2
    bad = run(main, ["targets", "incentive", "--on", "2021-11-15", "--db", url])
    assert bad.exit_code == 2
    assert "错误[task_table]" in bad.output and "Error:" in bad.output
    assert "--enrolled" not in run(main, ["targets", "incentive", "--help"]).output  # no file-based twin


def test_bulletin_demo_writes_excel_html_and_charts(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["targets", "bulletin", "demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["构成-类别.png", "进度-分镇.png", "进度-累计.png", "通报.html", "通报.xlsx"]
    assert "刘桥镇" in result.output  # demo data: 58207 of 60785, last


def test_bulletin_build_reads_the_database_and_the_old_name_still_works(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    upgrade(url)
    build_suixi(get_engine(url))
    run = CliRunner().invoke
    assert run(main, ["targets", "load", "--table", "suixi-2022", "--db", url]).exit_code == 0
    args = ["--on", "2021-11-15", "--no-charts", "--db", url]
    new = run(main, ["targets", "bulletin", "build", *args, "--out", str(tmp_path / "new")])
    assert new.exit_code == 0, new.output
    ws = load_workbook(next((tmp_path / "new").glob("*.xlsx")))["通报"]
    assert ws.cell(row=3, column=5).value == "参保任务数"
    total_row = [c.value for c in ws[16]]  # 3 header rows + 12 towns
    assert total_row[1] == "合计" and total_row[4] == 1130260
    old = run(main, ["targets", "bulletin", "db", *args, "--out", str(tmp_path / "old")])
    assert old.exit_code == 0, old.output
    assert "已停用" in old.stderr and "targets bulletin build" in old.stderr
    assert sorted(p.name for p in (tmp_path / "old").iterdir()) == sorted(
        p.name for p in (tmp_path / "new").iterdir()
    )
    assert "--progress" not in run(main, ["targets", "bulletin", "build", "--help"]).output


def test_targets_tables_lists_the_shipped_tables() -> None:
    result = CliRunner().invoke(main, ["targets", "tables"])
    assert result.exit_code == 0
    assert "suixi-2022" in result.output and "1,130,260" in result.output
    assert "qianjiang-2022" in result.output and "463,000" in result.output
