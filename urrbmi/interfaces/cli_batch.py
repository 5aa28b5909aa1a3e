"""CLI: ``urrbmi batch assess`` — assess a whole registry under one policy, or a province with
each county under its own (``--by``), on Polars or Spark (``--engine spark``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import polars as pl

from urrbmi.batch import assess_frame, encode
from urrbmi.batch.convert import batch_rows, canonical_categories, inputs_from_coded, scalar_row
from urrbmi.errors import InvalidInput, MissingComponent
from urrbmi.policy import load_policy
from urrbmi.policy.loader import LoadedPolicy


@click.group("batch")
def batch() -> None:
    """批量测算（整个居民库） / batch jobs over a whole registry."""


def _read(path: Path) -> pl.DataFrame:
    suffix = path.suffix.lower()
    try:
        if path.is_dir():  # a Parquet dataset, e.g. partitioned by county (county=…/ directories)
            return pl.read_parquet(path / "**" / "*.parquet", hive_partitioning=True)
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix in (".arrow", ".ipc", ".feather"):
            return pl.read_ipc(path)
        if suffix == ".csv":
            return pl.read_csv(path, try_parse_dates=True)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InvalidInput(f"无法读取{path}：{exc}", f"cannot read {path}: {exc}") from None
    raise InvalidInput(
        f"不支持的文件类型{suffix}（可用：.parquet、.arrow、.csv）",
        f"unsupported file type {suffix} (use .parquet, .arrow or .csv)",
    )


@batch.command("assess")
@click.option("--policy", "policy_id", default=None, help="政策id / policy id, e.g. suixi-2022")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="输入文件或Parquet目录 / input file, or a Parquet directory (e.g. partitioned by county)",
)
@click.option("--output", "output_path", required=True, type=click.Path(path_type=Path))
@click.option("--keep", multiple=True, help="输入中需保留的列（如居民编号） / input columns to carry through")
@click.option(
    "--by",
    "by_column",
    default=None,
    help="按此列（区县代码或政策id）逐区县适用各自政策，结果按此列分区写出 / "
    "price each row by the policy its value (county code or policy id) names; output partitioned by it",
)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="VALUE=POLICY",
    help="--by列的值对应的政策，如 340621=suixi-2022（不给则该列的值即政策id） / "
    "policy of a --by value, e.g. 340621=suixi-2022 (without it the values are policy ids)",
)
@click.option(
    "--engine",
    type=click.Choice(["polars", "spark"]),
    default="polars",
    show_default=True,
    help="polars：单机；spark：集群（需 pip install 'urrbmi[spark]'） / one machine, or Spark",
)
@click.option(
    "--master", default=None, help="Spark master（默认 local[*] 或 spark-submit 所给） / Spark master URL"
)
@click.option(
    "--verify",
    default=0,
    show_default=True,
    help="随机抽取N行用逐人引擎复核 / re-quote N random rows with the scalar engine",
)
def assess(
    policy_id: str | None,
    input_path: Path,
    output_path: Path,
    keep: Sequence[str],
    by_column: str | None,
    mapping: Sequence[str],
    engine: str,
    master: str | None,
    verify: int,
) -> None:
    """测算文件中每位居民的应缴金额与待遇期 / assess every resident in a file.

    Input columns as the quote command's fields (birth_date, paid_on, tier, student,
    graduating, returning_migrant_worker, guardian_enrolled, residence, employee_ended_on,
    employee_years, categories as a list of names or an identity bitmask). Output: one row per
    input row with the quote's fields, money in integer fen, and ``error`` for refused rows.
    With ``--by``, a province: each row under the policy its column names (``--map`` from county
    codes), written as Parquet partitioned by that column. ``--engine spark`` runs the same plan
    on Apache Spark (local mode by default; under spark-submit, the cluster's master).
    """
    if (policy_id is None) == (by_column is None):
        raise InvalidInput("请给出--policy或--by之一", "give exactly one of --policy and --by")
    if mapping and by_column is None:
        raise InvalidInput("--map需与--by同用", "--map needs --by")
    policies = _mapping(mapping)
    if engine == "spark":
        if verify:
            raise InvalidInput(
                "Spark模式不支持--verify，请用单机模式复核一个区县",
                "--verify is not available with --engine spark: verify a county with the Polars engine",
            )
        _assess_spark(input_path, output_path, keep, policy_id, by_column, policies, master)
        return
    frame = _read(input_path)
    _check_columns(frame.columns, [*keep, *([by_column] if by_column else [])])
    started = time.perf_counter()
    if by_column is None:
        assert policy_id is not None
        policy = load_policy(policy_id)
        out = assess_frame(frame, policy, keep=keep)
    else:
        frame = frame.with_columns(pl.col(by_column).cast(pl.String))
        values = frame[by_column].unique().to_list()
        resolved = _resolve(values, policies)
        kept = [by_column, *[k for k in keep if k != by_column]]
        parts = [
            assess_frame(part, resolved[value], keep=kept).with_columns(pl.selectors.enum().cast(pl.String))
            for (value,), part in frame.group_by(by_column, maintain_order=True)
        ]
        out = pl.concat(parts, how="vertical_relaxed")
    seconds = time.perf_counter() - started
    if by_column is None:
        out.write_parquet(output_path)
    else:
        out.write_parquet(output_path, partition_by=by_column)
    errors = out["error"].value_counts().drop_nulls().sort("error")
    total = int(out["total_due_fen"].sum())
    _summary(out.height, [(str(c), int(n)) for c, n in errors.iter_rows()], total, seconds)
    if verify:
        if by_column is not None:
            raise InvalidInput("--verify需与--policy同用", "--verify needs --policy (one county)")
        bad = _verify(frame, out, load_policy(policy_id or ""), verify)
        if bad:
            raise click.ClickException(f"{bad}行与逐人引擎不一致 / {bad} rows disagree with quote")
        click.echo(f"复核{min(verify, out.height)}行一致 / {min(verify, out.height)} rows agree with quote")


def _summary(rows: int, errors: Sequence[tuple[str, int]], total: int | None, seconds: float) -> None:
    ok = rows - sum(n for _, n in errors)
    total = total or 0
    click.echo(
        f"{rows}行，可测算{ok}行，应缴合计{total / 100:.2f}元，用时{seconds:.2f}秒 / "
        f"{rows} rows, {ok} assessed, total due {total / 100:.2f} yuan, {seconds:.2f} s"
    )
    for code, count in errors:
        click.echo(f"  {code}: {count}")


def _check_columns(columns: Sequence[str], wanted: Sequence[str]) -> None:
    missing = [k for k in wanted if k not in columns]
    if missing:
        raise InvalidInput(f"输入中没有列：{'、'.join(missing)}", f"no such input columns: {missing}")


def _mapping(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        value, sep, policy = item.partition("=")
        if not sep or not value.strip() or not policy.strip():
            raise InvalidInput(
                f"--map应为“值=政策id”：{item}", f"--map must be VALUE=POLICY_ID, got {item!r}"
            )
        out[value.strip()] = policy.strip()
    return out


def _resolve(values: Sequence[str | None], policies: dict[str, str]) -> dict[str, LoadedPolicy]:
    """Each --by value's policy (through --map, or the value as a policy id); every value must
    have one: a row left out silently would be a resident never assessed."""
    unknown = [v for v in values if v is None or (policies and v not in policies)]
    if unknown:
        shown = "、".join("（空）" if v is None else v for v in unknown[:10])
        raise InvalidInput(
            f"以下取值没有对应政策（请用--map给出）：{shown}",
            f"no policy for these values (give them with --map): {shown}",
        )
    return {v: load_policy(policies.get(v, v)) for v in values if v is not None}


def _assess_spark(
    input_path: Path,
    output_path: Path,
    keep: Sequence[str],
    policy_id: str | None,
    by_column: str | None,
    policies: dict[str, str],
    master: str | None,
) -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise MissingComponent("spark") from None
    from pyspark.sql import SparkSession

    ours = SparkSession.getActiveSession() is None
    builder = SparkSession.builder.appName("urrbmi batch assess")
    if master:
        builder = builder.master(master)
    spark = builder.getOrCreate()
    try:
        _run_spark(spark, input_path, output_path, keep, policy_id, by_column, policies)
    finally:
        if ours:
            spark.stop()


def _run_spark(
    spark: Any,
    input_path: Path,
    output_path: Path,
    keep: Sequence[str],
    policy_id: str | None,
    by_column: str | None,
    policies: dict[str, str],
) -> None:
    from pyspark.sql import functions as F

    from urrbmi.batch.spark import assess_spark, assess_spark_by_policy

    started = time.perf_counter()
    df = spark.read.parquet(str(input_path))
    _check_columns(df.columns, [*keep, *([by_column] if by_column else [])])
    if by_column is None:
        assert policy_id is not None
        out = assess_spark(df, load_policy(policy_id), keep=keep)
        out.write.mode("overwrite").parquet(str(output_path))
    else:
        df = df.withColumn(by_column, F.col(by_column).cast("string"))
        values = [r[0] for r in df.select(by_column).distinct().collect()]
        resolved = _resolve(values, policies)
        out = assess_spark_by_policy(df, resolved, column=by_column, keep=keep)
        out.write.mode("overwrite").partitionBy(by_column).parquet(str(output_path))
    seconds = time.perf_counter() - started
    done = spark.read.parquet(str(output_path))
    errors = [
        (r[0], int(r[1])) for r in done.where(F.col("error").isNotNull()).groupBy("error").count().collect()
    ]
    rows, total = done.agg(F.count(F.lit(1)), F.sum("total_due_fen")).first()
    _summary(int(rows), sorted(errors), total, seconds)


def _verify(frame: pl.DataFrame, out: pl.DataFrame, policy: LoadedPolicy, n: int) -> int:
    idx = pl.Series(range(frame.height)).sample(min(n, frame.height), seed=0)
    coded = encode(frame).collect()[idx]
    got = batch_rows(out[idx])
    bad = 0
    for r, actual in zip(inputs_from_coded(coded), got, strict=True):
        if r is None:
            continue
        r = r.model_copy(update={"categories": canonical_categories(policy, r.categories)})
        if scalar_row(policy, r) != actual:
            bad += 1
    return bad
