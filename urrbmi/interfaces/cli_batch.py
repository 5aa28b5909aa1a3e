"""CLI: ``urrbmi batch assess`` — assess a whole registry file under one policy."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import click
import polars as pl

from urrbmi.batch import assess_frame, encode
from urrbmi.batch.convert import batch_rows, canonical_categories, inputs_from_coded, scalar_row
from urrbmi.errors import InvalidInput
from urrbmi.policy import load_policy
from urrbmi.policy.loader import LoadedPolicy


@click.group("batch")
def batch() -> None:
    """批量测算（整个居民库） / batch jobs over a whole registry."""


def _read(path: Path) -> pl.DataFrame:
    suffix = path.suffix.lower()
    try:
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
@click.option("--policy", "policy_id", required=True, help="政策id / policy id, e.g. suixi-2022")
@click.option(
    "--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--output", "output_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--keep", multiple=True, help="输入中需保留的列（如居民编号） / input columns to carry through")
@click.option(
    "--verify",
    default=0,
    show_default=True,
    help="随机抽取N行用逐人引擎复核 / re-quote N random rows with the scalar engine",
)
def assess(policy_id: str, input_path: Path, output_path: Path, keep: Sequence[str], verify: int) -> None:
    """测算文件中每位居民的应缴金额与待遇期 / assess every resident in a file.

    Input columns as the quote command's fields (birth_date, paid_on, tier, student,
    graduating, returning_migrant_worker, guardian_enrolled, residence, employee_ended_on,
    employee_years, categories as a list of names or an identity bitmask). Output: one row per
    input row with the quote's fields, money in integer fen, and ``error`` for refused rows.
    """
    policy = load_policy(policy_id)
    frame = _read(input_path)
    missing = [k for k in keep if k not in frame.columns]
    if missing:
        raise InvalidInput(f"输入中没有列：{'、'.join(missing)}", f"no such input columns: {missing}")
    started = time.perf_counter()
    out = assess_frame(frame, policy, keep=keep)
    seconds = time.perf_counter() - started
    out.write_parquet(output_path)
    errors = out["error"].value_counts().drop_nulls().sort("error")
    ok = out.height - int(errors["count"].sum())
    total = out["total_due_fen"].sum()
    click.echo(
        f"{out.height}行，可测算{ok}行，应缴合计{total / 100:.2f}元，用时{seconds:.2f}秒 / "
        f"{out.height} rows, {ok} assessed, total due {total / 100:.2f} yuan, {seconds:.2f} s"
    )
    for code, count in errors.iter_rows():
        click.echo(f"  {code}: {count}")
    if verify:
        bad = _verify(frame, out, policy, verify)
        if bad:
            raise click.ClickException(f"{bad}行与逐人引擎不一致 / {bad} rows disagree with quote")
        click.echo(f"复核{min(verify, out.height)}行一致 / {min(verify, out.height)} rows agree with quote")


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
