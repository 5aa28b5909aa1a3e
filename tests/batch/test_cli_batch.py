"""``urrbmi batch assess``: a registry file in, one result row per resident out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from urrbmi.batch import assess_frame
from urrbmi.interfaces.cli import main


def _residents(path: Path) -> pl.DataFrame:
    df = pl.DataFrame(
        {
            "resident": ["a", "b", "c", "d"],
            "birth_date": [dt.date(1980, 5, 1), dt.date(2015, 3, 3), None, dt.date(1950, 1, 1)],
            "paid_on": [dt.date(2021, 12, 5), dt.date(2022, 3, 1), dt.date(2021, 12, 1), dt.date(2022, 7, 2)],
            "tier": [1, 2, 1, 2],
            "categories": [["低保对象"], [], ["城乡特困人员"], ["稳定脱贫人口"]],
        }
    )
    df.write_parquet(path)
    return df


def test_assess_writes_one_row_per_resident(tmp_path: Path) -> None:
    df = _residents(tmp_path / "in.parquet")
    res = CliRunner().invoke(
        main,
        [
            "batch",
            "assess",
            "--policy",
            "qianjiang-2022",
            "--input",
            str(tmp_path / "in.parquet"),
            "--output",
            str(tmp_path / "out.parquet"),
            "--keep",
            "resident",
            "--verify",
            "4",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "4 rows, 4 assessed" in res.stdout and "4 rows agree with quote" in res.stdout
    out = pl.read_parquet(tmp_path / "out.parquet")
    assert_frame_equal(out, assess_frame(df, "qianjiang-2022", keep=["resident"]))
    # 低保 tier 1: 90% of 320 = 288 subsidised, 32 to pay; 特困 (alias) pays nothing
    assert out["individual_payment_fen"].to_list()[0] == 3200
    assert out["total_due_fen"].to_list() == [3200, 69500, 0, 69500 - 10000 + 58000]


def test_assess_reports_refused_rows_by_code(tmp_path: Path) -> None:
    _residents(tmp_path / "in.parquet")
    res = CliRunner().invoke(
        main,
        [
            "batch",
            "assess",
            "--policy",
            "suixi-2022",
            "--input",
            str(tmp_path / "in.parquet"),
            "--output",
            str(tmp_path / "out.parquet"),
        ],
    )
    assert res.exit_code == 0, res.output
    # suixi has one tier: tier 2 is invalid_input
    assert "4 rows, 2 assessed" in res.stdout and "invalid_input: 2" in res.stdout


def test_unknown_file_type_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("x")
    res = CliRunner().invoke(
        main,
        [
            "batch",
            "assess",
            "--policy",
            "suixi-2022",
            "--input",
            str(tmp_path / "in.txt"),
            "--output",
            str(tmp_path / "out.parquet"),
        ],
    )
    assert res.exit_code == 2
    assert "错误[invalid_input]" in res.stderr
