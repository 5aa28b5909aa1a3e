"""`urrbmi synth …`: synthetic counties and department lists for demos, tests and benchmarks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from urrbmi.synth import DEFAULT_AS_OF
from urrbmi.synth.build import generate


@click.group()
def synth() -> None:
    """合成数据 / synthetic data (deterministic from a seed)."""


@synth.command("county")
@click.option(
    "--scale",
    type=float,
    default=0.01,
    show_default=True,
    help="Share of Suixi's 1,141,677 residents (1.0 = full size).",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=str(DEFAULT_AS_OF),
    show_default=True,
    help="Date the residents' ages and the lists refer to.",
)
@click.option(
    "--fault-rate",
    type=float,
    default=0.002,
    show_default=True,
    help="Share of list rows spoilt per fault kind.",
)
@click.option("--workers", type=int, default=None, help="Processes (default: CPUs, at most 12).")
def county_cmd(
    scale: float, seed: int, out: Path, as_of: dt.datetime, fault_rate: float, workers: int | None
) -> None:
    """生成濉溪式合成县 / a Suixi-like county: regions.csv, residents.csv, department lists, faults.csv."""
    if scale <= 0 or scale > 5:
        raise click.BadParameter("scale must be in (0, 5]", param_hint="--scale")
    summary = generate(out, scale, seed, as_of.date(), workers, fault_rate)
    click.echo(
        f"居民 residents: {summary.residents:,}  乡镇 towns: {summary.towns}  村 villages: {summary.villages}"
    )
    for name, rows in summary.lists.items():
        click.echo(f"  {name}: {rows:,} 行 rows")
    click.echo(f"注入的错误 injected faults: {summary.faults:,} (faults.csv)")
    click.echo(f"用时 time: {summary.seconds:.1f} s → {out}")
