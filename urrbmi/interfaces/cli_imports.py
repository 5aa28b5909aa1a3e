"""`urrbmi list …`: check a department list file (no database needed)."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path
from typing import NoReturn

import click
from tqdm import tqdm

from urrbmi.imports.check import check_file, load_regions
from urrbmi.imports.config import sources
from urrbmi.imports.report import summary_lines, write_report


@click.group("list")
def list_group() -> None:
    """部门名单 / department lists."""


@list_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="Source department: " + ", ".join(sources()))
@click.option(
    "--regions",
    "regions_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="regions.csv (code,name,level,parent) to check towns and villages against.",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date the list describes (default today).",
)
@click.option("--sheet", default=None, help="Worksheet name (default the first).")
@click.option(
    "--report",
    "report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Error report (default FILE's name + .错误报告.xlsx beside it).",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
def check_cmd(
    file: Path,
    source: str,
    regions_path: Path | None,
    as_of: dt.datetime | None,
    sheet: str | None,
    report: Path | None,
    progress: bool,
) -> None:
    """检查名单文件并写出错误报告 / check a list file and write its error report."""
    start = time.perf_counter()
    regions = load_regions(regions_path) if regions_path else None
    bar: tqdm[NoReturn] | None = None

    def on_total(total: int) -> None:
        nonlocal bar
        if progress:
            bar = tqdm(
                total=total, unit="行", unit_scale=True, desc="校验 checking", leave=False, disable=None
            )

    def tick(n: int) -> None:
        if bar is not None:
            bar.update(n)

    try:
        batch = check_file(
            file,
            source,
            as_of=as_of.date() if as_of else None,
            regions=regions,
            sheet=sheet,
            progress=tick,
            on_total=on_total,
        )
    finally:
        if bar is not None:
            bar.close()
    report = report or file.with_name(file.name + ".错误报告.xlsx")
    write_report(batch, report)
    for label, value in summary_lines(batch):
        click.echo(f"{label}: {value}")
    kinds = Counter(p.code for p in batch.problems())
    if kinds:
        click.echo("错误类型 problems: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    s = batch.seconds
    click.echo(
        f"用时 time: read {s['read']:.2f} s, validate {s['validate']:.2f} s, dedupe {s['dedupe']:.2f} s, "
        f"total {time.perf_counter() - start:.2f} s"
    )
    click.echo(f"错误报告 report: {report}")
