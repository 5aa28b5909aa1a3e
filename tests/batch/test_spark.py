"""The Spark back end gives identical results to the Polars one on the same input (local mode)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from strategies import random_residents

from urrbmi.batch import assess_frame
from urrbmi.batch.convert import frame_from_inputs
from urrbmi.batch.sample import synthetic_residents
from urrbmi.policy import load_policy

pytest.importorskip("pyspark", reason="pyspark is a dev dependency: pip install -e '.[dev]'")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17+ (apt-get install openjdk-17-jre-headless)", allow_module_level=True)

from pyspark.sql import SparkSession

from urrbmi.batch.spark import assess_spark, assess_spark_by_policy

POLICIES = ["changji-2023", "fengdu-shetan-2023", "qianjiang-2022", "suixi-2022", "taixing-2022"]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = (
        SparkSession.builder.master("local[2]")
        .appName("urrbmi-batch-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _as_polars(df: Any) -> pl.DataFrame:
    return pl.from_arrow(df.toArrow())  # type: ignore[return-value]


def _same(polars_out: pl.DataFrame, spark_out: pl.DataFrame) -> None:
    expected = polars_out.with_columns(pl.selectors.enum().cast(pl.String))
    got = spark_out.sort("row").cast(dict(expected.schema))  # type: ignore[arg-type]
    assert_frame_equal(got, expected)


@pytest.mark.slow
@pytest.mark.parametrize("pid", POLICIES)
def test_spark_matches_polars(spark: Any, pid: str) -> None:
    p = load_policy(pid)
    # edge cases in the friendly form (strings, identity lists) ...
    friendly = frame_from_inputs(random_residents(p, 1000, seed=7))
    # ... and a synthetic registry in the coded form
    coded = synthetic_residents(p, 5000, seed=3)
    for frame in (friendly, coded):
        frame = frame.with_row_index("row").cast({"row": pl.Int64})
        expected = assess_frame(frame, p, keep=["row"])
        got = _as_polars(assess_spark(spark.createDataFrame(frame.to_arrow()), p, keep=["row"]))
        _same(expected, got)
        assert expected["error"].null_count() > 0  # some rows quoted, not all refused


@pytest.mark.slow
def test_a_province_assesses_each_county_under_its_own_policy(spark: Any) -> None:
    suixi, qianjiang = load_policy("suixi-2022"), load_policy("qianjiang-2022")
    a = synthetic_residents(suixi, 3000, seed=1).with_columns(county=pl.lit("340621"))
    b = synthetic_residents(qianjiang, 2000, seed=2).with_columns(county=pl.lit("500114"))
    registry = pl.concat([a, b]).with_row_index("row").cast({"row": pl.Int64})
    got = _as_polars(
        assess_spark_by_policy(
            spark.createDataFrame(registry.to_arrow()),
            {"340621": suixi, "500114": qianjiang},
            column="county",
            keep=["row"],
        )
    ).sort("row")
    expected = pl.concat(
        [
            assess_frame(registry.filter(pl.col("county") == c), p, keep=["county", "row"]).with_columns(
                pl.selectors.enum().cast(pl.String)
            )
            for c, p in (("340621", suixi), ("500114", qianjiang))
        ]
    )
    assert_frame_equal(got.cast(dict(expected.schema)), expected)  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("pid", ["qianjiang-2022", "suixi-2022"])
def test_spark_profiles_match_polars(spark: Any, pid: str) -> None:
    """The profiles engine on Spark (distinct profiles quoted on the driver, broadcast join)
    gives the Polars result (issue 17 item 5)."""
    p = load_policy(pid)
    frame = frame_from_inputs(random_residents(p, 600, seed=5)).with_row_index("row").cast({"row": pl.Int64})
    expected = assess_frame(frame, p, keep=["row"], engine="plan")
    got = _as_polars(
        assess_spark(spark.createDataFrame(frame.to_arrow()), p, keep=["row"], engine="profiles")
    )
    _same(expected, got)


@pytest.mark.slow
def test_spark_prices_a_policy_the_plan_lacks_by_profiles(spark: Any) -> None:
    """national-2025 (rule kinds only the scalar engine has, enrollment history as an array
    column): ``auto`` takes the profiles path on Spark and gives the Polars result."""
    from pathlib import Path

    from urrbmi.policy import load_policy_file

    p = load_policy_file(Path(__file__).parents[1] / "policy" / "fixtures" / "national-2025.yaml")
    rows = [
        r.model_copy(update={"insured_years": (2020 + i % 5,), "repaired_years": i % 3})
        for i, r in enumerate(random_residents(p, 400, seed=9))
    ]
    frame = frame_from_inputs(rows).with_row_index("row").cast({"row": pl.Int64})
    expected = assess_frame(frame, p, keep=["row"])
    got = _as_polars(assess_spark(spark.createDataFrame(frame.to_arrow()), p, keep=["row"]))
    _same(expected, got)
