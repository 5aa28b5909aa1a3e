"""``urrbmi batch assess``: a registry file in, one result row per resident out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

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


def _province(path: Path) -> pl.DataFrame:
    from urrbmi.batch.sample import synthetic_residents
    from urrbmi.policy import load_policy

    a = synthetic_residents(load_policy("suixi-2022"), 300, seed=1).with_columns(county=pl.lit("340621"))
    b = synthetic_residents(load_policy("qianjiang-2022"), 200, seed=2).with_columns(county=pl.lit("500114"))
    registry = pl.concat([a, b]).with_row_index("row").cast({"row": pl.Int64})
    registry.write_parquet(path)
    return registry


PROVINCE_MAP = ["--map", "340621=suixi-2022", "--map", "500114=qianjiang-2022"]


def test_assess_by_county_prices_each_county_under_its_own_policy(tmp_path: Path) -> None:
    """``--by county --map``: one run over a province, written partitioned by county (issue 19.4)."""
    registry = _province(tmp_path / "in.parquet")
    args = ["batch", "assess", "--input", str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out")]
    res = CliRunner().invoke(main, [*args, "--by", "county", *PROVINCE_MAP, "--keep", "row"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["county=340621", "county=500114"]
    got = pl.read_parquet(tmp_path / "out", hive_partitioning=True).sort("row")
    expected = pl.concat(
        [
            assess_frame(registry.filter(pl.col("county") == c), p, keep=["county", "row"]).with_columns(
                pl.selectors.enum().cast(pl.String)
            )
            for c, p in (("340621", "suixi-2022"), ("500114", "qianjiang-2022"))
        ]
    ).sort("row")
    assert_frame_equal(got.select(expected.columns), expected, check_dtypes=False)
    assert set(got.filter(pl.col("county") == "500114")["policy"]) == {"qianjiang-2022"}


def test_assess_by_county_refuses_a_county_without_policy(tmp_path: Path) -> None:
    _province(tmp_path / "in.parquet")
    args = ["batch", "assess", "--input", str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out")]
    res = CliRunner().invoke(main, [*args, "--by", "county", "--map", "340621=suixi-2022"])
    assert res.exit_code == 2
    assert "500114" in res.output and not (tmp_path / "out").exists()


def test_spark_engine_without_pyspark_names_the_extra(tmp_path: Path, monkeypatch: Any) -> None:
    """A missing pyspark is MissingComponent("spark"): one line naming urrbmi[spark], exit 2."""
    import sys

    _province(tmp_path / "in.parquet")
    monkeypatch.setitem(sys.modules, "pyspark", None)
    args = ["batch", "assess", "--input", str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out")]
    res = CliRunner().invoke(main, [*args, "--engine", "spark", "--policy", "suixi-2022"])
    assert res.exit_code == 2
    assert "urrbmi[spark]" in res.output and "Traceback" not in res.output
