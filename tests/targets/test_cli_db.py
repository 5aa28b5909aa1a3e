"""`urrbmi targets ...` commands that read the campaign database (SQLite file)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from world import build_suixi

from urrbmi.db.session import get_engine, upgrade
from urrbmi.interfaces.cli import main


def test_targets_commands_on_a_campaign_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    upgrade(url)
    build_suixi(get_engine(url))
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(main, ["targets", *args, "--db", url])
        assert result.exit_code == 0, result.output
        return result.output

    assert "task total 1,130,260" in ok("load", "--table", "suixi-2022")
    assert "93,954" in ok("loaded")
    reductions = tmp_path / "r.csv"
    reductions.write_text(
        "region,persons,evidence,evidence_ref,recorded_on\n濉溪镇,4,异地职工医保参保凭证,A-1,2021-11-10\n"
    )
    assert "濉溪镇: 93,954 - 4 = 93,950" in ok("reduce", "--table", "suixi-2022", "--file", str(reductions))
    out = ok("progress", "--on", "2021-11-15", "--xlsx", str(tmp_path / "p.xlsx"))
    assert "濉溪镇" in out and "93,950" in out and "1,130,256" in out
    ws = load_workbook(tmp_path / "p.xlsx").active
    assert ws is not None and ws["A3"].value == "排名" and ws["N4"].number_format == "0.00%"
    out = ok("list", "not-enrolled", "--on", "2021-11-15", "--xlsx", str(tmp_path / "l.xlsx"))
    assert "共 3 人" in out and "上年未参保" in out
    assert "共 3 人" in ok("list", "not-enrolled", "--on", "2021-11-15", "--limit", "1")
    assert "320.00" in ok("funding", "--on", "2021-11-15")
    out = ok("bulletin", "build", "--on", "2021-11-15", "--out", str(tmp_path / "b"), "--no-charts")
    assert out.count(str(tmp_path / "b")) == 2
    bad = run(main, ["targets", "list", "not-enrolled", "--limit", "5000", "--db", url])
    assert bad.exit_code != 0 and "1000" in bad.output
