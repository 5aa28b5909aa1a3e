"""`urrbmi targets ...` end to end through click."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from urrbmi.interfaces.cli import main
from urrbmi.targets.tables import load_table


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


def test_targets_incentive_qianjiang(tmp_path: Path) -> None:
    table = load_table("qianjiang-2022")
    enrolled = {r.region: r.task for r in table.rows}
    enrolled["城东街道"] += 100  # 100 × 5 = 500
    enrolled["新华乡"] -= 50  # short: nothing, no penalty
    csv = tmp_path / "e.csv"
    csv.write_text("region,enrolled\n" + "".join(f"{k},{v}\n" for k, v in enrolled.items()))
    result = CliRunner().invoke(
        main, ["targets", "incentive", "--table", "qianjiang-2022", "--enrolled", str(csv)]
    )
    assert result.exit_code == 0, result.output
    assert "500.00" in result.output and "5元/人" in result.output
    result = CliRunner().invoke(
        main,
        ["targets", "incentive", "--table", "qianjiang-2022", "--enrolled", str(csv), "--per-person", "2"],
    )
    assert "200.00" in result.output


def test_targets_incentive_without_clause_is_a_bilingual_error(tmp_path: Path) -> None:
    csv = tmp_path / "e.csv"
    csv.write_text("region,enrolled\n濉溪镇,1\n")
    result = CliRunner().invoke(
        main, ["targets", "incentive", "--table", "suixi-2022", "--enrolled", str(csv)]
    )
    assert result.exit_code == 2
    assert "错误[task_table]" in result.output and "Error:" in result.output


def test_bulletin_demo_writes_excel_html_and_charts(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["targets", "bulletin", "demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["构成-类别.png", "进度-分镇.png", "进度-累计.png", "通报.html", "通报.xlsx"]
    assert "刘桥镇" in result.output  # demo data: 58207 of 60785, last


def test_bulletin_build_from_a_progress_csv(tmp_path: Path) -> None:
    table = load_table("suixi-2022")
    rows = "".join(f"{r.region},{r.task - r.seq}\n" for r in table.rows)  # town n is n short
    csv = tmp_path / "p.csv"
    csv.write_text("region,enrolled\n" + rows)
    result = CliRunner().invoke(
        main,
        ["targets", "bulletin", "build", "--table", "suixi-2022", "--progress", str(csv),
         "--as-of", "2021-12-15", "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ws = load_workbook(tmp_path / "out" / "通报.xlsx")["通报"]
    assert ws.cell(row=3, column=4).value == "参保任务数"
    total_row = [c.value for c in ws[16]]  # 3 header rows + 12 towns
    assert total_row[1] == "合计" and total_row[3] == 1130260
    assert total_row[4] == 1130260 - 78  # 1 + 2 + … + 12 = 78 short
    assert "差12人" in (tmp_path / "out" / "通报.html").read_text(encoding="utf-8")


def test_targets_tables_lists_the_shipped_tables() -> None:
    result = CliRunner().invoke(main, ["targets", "tables"])
    assert result.exit_code == 0
    assert "suixi-2022" in result.output and "1,130,260" in result.output
    assert "qianjiang-2022" in result.output and "463,000" in result.output


def test_bulletin_build_refuses_partial_last_year_counts(tmp_path: Path) -> None:
    table = load_table("suixi-2022")
    lines = [f"{r.region},{r.task},{r.task if r.seq > 1 else ''}\n" for r in table.rows]
    csv = tmp_path / "p.csv"
    csv.write_text("region,enrolled,last_year_enrolled\n" + "".join(lines))
    result = CliRunner().invoke(
        main,
        ["targets", "bulletin", "build", "--table", "suixi-2022", "--progress", str(csv),
         "--as-of", "2021-12-15", "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "濉溪镇" in result.output
