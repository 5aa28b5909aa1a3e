"""``urrbmi batch assess --engine spark``: a province read from Parquet partitioned by county, each
county under its own policy, written partitioned by county; the same rows as the Polars engine
(Spark local mode; issue 19 item 4)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from urrbmi.batch.sample import synthetic_residents
from urrbmi.interfaces.cli import main
from urrbmi.policy import load_policy

pytest.importorskip("pyspark", reason="pyspark is the optional extra spark: pip install -e '.[spark]'")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17+ (apt-get install openjdk-17-jre-headless)", allow_module_level=True)


@pytest.mark.slow
def test_spark_cli_assesses_a_province_as_the_polars_engine(tmp_path: Path) -> None:
    a = synthetic_residents(load_policy("suixi-2022"), 3000, seed=1).with_columns(county=pl.lit("340621"))
    b = synthetic_residents(load_policy("qianjiang-2022"), 2000, seed=2).with_columns(county=pl.lit("500114"))
    registry = pl.concat([a, b]).with_row_index("row").cast({"row": pl.Int64})
    registry.write_parquet(tmp_path / "registry", partition_by="county")  # county=…/ directories
    common = ["--by", "county", "--map", "340621=suixi-2022", "--map", "500114=qianjiang-2022"]
    common += ["--keep", "row", "--input", str(tmp_path / "registry")]
    runner = CliRunner()
    spark = runner.invoke(
        main,
        [
            "batch",
            "assess",
            "--engine",
            "spark",
            "--master",
            "local[2]",
            *common,
            "--output",
            str(tmp_path / "s"),
        ],
    )
    assert spark.exit_code == 0, spark.output
    polars = runner.invoke(main, ["batch", "assess", *common, "--output", str(tmp_path / "p")])
    assert polars.exit_code == 0, polars.output
    # the same summary line (rows, assessed, total due) from both engines
    assert spark.output.split("yuan")[0].split(" / ")[1] == polars.output.split("yuan")[0].split(" / ")[1]
    dirs = sorted(p.name for p in (tmp_path / "s").iterdir() if p.is_dir())
    assert dirs == ["county=340621", "county=500114"]
    got = pl.read_parquet(tmp_path / "s" / "**" / "*.parquet", hive_partitioning=True)
    expected = pl.read_parquet(tmp_path / "p" / "**" / "*.parquet", hive_partitioning=True)
    got = got.select(expected.columns).cast(dict(expected.schema)).sort("row")  # type: ignore[arg-type]
    assert_frame_equal(got, expected.sort("row"))
    assert got.height == registry.height
