"""`urrbmi targets ...`: task tables, incentives and progress bulletins (urrbmi.targets)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

import click

from urrbmi.errors import InvalidInput
from urrbmi.money import fmt
from urrbmi.targets.bulletin import build_bulletin, write_html, write_xlsx
from urrbmi.targets.incentive import incentive_table, incentive_total
from urrbmi.targets.progress import UnitCounts, percent
from urrbmi.targets.reductions import apply_reductions, read_reductions_csv
from urrbmi.targets.sheets import source_lines, task_sheet_rows, write_task_xlsx
from urrbmi.targets.tables import available_tables, load_table, parse_rate


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: object, header: str) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}" if header != "序号" else str(value)
    if isinstance(value, Decimal):
        return percent(value, 1) if header == "参保率" else fmt(value)
    return str(value)


def _print_table(headers: list[str], rows: list[list[object]]) -> None:
    cells = [headers, *[[_cell(v, h) for v, h in zip(row, headers, strict=True)] for row in rows]]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
    for r in cells:
        parts = []
        for i, text in enumerate(r):
            pad = " " * (widths[i] - _width(text))
            parts.append(text + pad if i == 1 else pad + text)
        click.echo("  ".join(parts).rstrip())


def _read_counts(path: Path) -> dict[str, dict[str, str]]:
    """A CSV with a ``region`` column; returns the rows by region."""
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    if "region" not in (reader.fieldnames or ()):
        raise InvalidInput(f"{path} 缺少 region 列", f"{path} has no 'region' column")
    out: dict[str, dict[str, str]] = {}
    for row in reader:
        region = row["region"].strip()
        if region in out:
            raise InvalidInput(f"{path} 中“{region}”重复", f"{path} repeats {region!r}")
        out[region] = row
    return out


def _int(row: dict[str, str], column: str, region: str) -> int | None:
    text = (row.get(column) or "").strip().replace(",", "")
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput(f"“{region}”的 {column}“{text}”不是整数", f"{region}: bad {column}")
    return int(text)


@click.group()
def targets() -> None:
    """参保任务、进度、奖励与通报 / enrollment tasks, progress, incentives and bulletins."""


@targets.command("tables")
def tables_cmd() -> None:
    """List the shipped task tables."""
    for table_id in available_tables():
        t = load_table(table_id, strict=False)
        click.echo(f"{table_id}\t{t.meta.county}\t{t.meta.title}\t合计 {t.total_task:,}")


@targets.command("tasks")
@click.option("--table", "table_id", required=True, help="task table id, e.g. suixi-2022")
@click.option(
    "--reductions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of task reductions with evidence (核减).",
)
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), help="write Excel here")
def tasks_cmd(table_id: str, reductions: Path | None, xlsx: Path | None) -> None:
    """Print a task table as computed (base × rate, half-up) and check it against the annex.

    Exits with status 1 when a printed number does not reproduce."""
    table = load_table(table_id, strict=False)
    reduced = (
        apply_reductions(table, read_reductions_csv(reductions.read_text(encoding="utf-8-sig")))
        if reductions
        else ()
    )
    click.echo(table.meta.title)
    headers, rows = task_sheet_rows(table, reduced)
    _print_table(headers, rows)
    for line in source_lines(table):
        click.echo(line)
    if xlsx:
        click.echo(f"已写入 {write_task_xlsx(table, xlsx, reduced)}")
    if table.discrepancies:
        for d in table.discrepancies:
            click.echo(f"不符 / mismatch: {d.describe()}", err=True)
        sys.exit(1)
    click.echo("核对：各单位任务数与合计均与附件一致 / every number reproduces the annex")


@targets.command("incentive")
@click.option("--table", "table_id", required=True, help="task table id, e.g. qianjiang-2022")
@click.option(
    "--enrolled",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="CSV with columns region,enrolled",
)
@click.option("--per-person", type=str, help="yuan per person above task (default: the notice)")
def incentive_cmd(table_id: str, enrolled: Path, per_person: str | None) -> None:
    """Incentive per region: max(0, enrolled − task) × rate (黔江: 5 yuan)."""
    table = load_table(table_id)
    rows = _read_counts(enrolled)
    counts = {}
    for region, row in rows.items():
        value = _int(row, "enrolled", region)
        if value is None:
            raise InvalidInput(f"“{region}”缺少 enrolled", f"{region}: no enrolled count")
        counts[region] = value
    lines = incentive_table(table, counts, Decimal(per_person) if per_person else None)
    body: list[list[object]] = [
        [i, x.region, x.task, x.enrolled, x.excess, f"{x.amount:,.2f}"] for i, x in enumerate(lines, 1)
    ]
    body.append(
        ["", "合计", table.total_task, sum(counts.values()), sum(x.excess for x in lines),
         f"{incentive_total(lines):,.2f}"]
    )  # fmt: skip
    _print_table(["序号", table.meta.region_label, "任务数", "已参保", "超出人数", "奖励（元）"], body)
    if per_person is None and table.meta.incentive:
        click.echo(f"标准：{table.meta.incentive.citation}")


@targets.group("bulletin")
def bulletin() -> None:
    """参保进度通报 / progress bulletins (Excel, printable HTML, charts)."""


@bulletin.command("demo")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--no-charts", is_flag=True, help="skip the PNG charts")
def bulletin_demo(out: Path, no_charts: bool) -> None:
    """Build a sample bulletin (real 濉溪 tasks, made-up counts) into OUT."""
    from urrbmi.targets.demo import build_demo

    result = build_demo(out, charts=not no_charts)
    for message in result.warnings:
        click.echo(f"警告 / warning: {message}", err=True)
    for path in result.files:
        click.echo(str(path))
    if result.bulletin.laggards:
        click.echo(f"需关注 / laggards: {'、'.join(result.bulletin.laggards)}")


@bulletin.command("build")
@click.option("--table", "table_id", required=True, help="task table giving base and tasks")
@click.option(
    "--progress",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="CSV: region,enrolled[,last_year_enrolled]",
)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--target-rate", default=None, help="e.g. 99%; default: the table's rate")
@click.option("--bottom", default=3, show_default=True, help="remark the last N by rank")
@click.option("--title", default=None)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def bulletin_build(
    table_id: str,
    progress: Path,
    as_of: dt.datetime,
    target_rate: str | None,
    bottom: int,
    title: str | None,
    out: Path,
) -> None:
    """Build 通报.xlsx and 通报.html from a task table and enrolled counts."""
    table = load_table(table_id)
    rows = _read_counts(progress)
    regions = table.regions()
    extra = [r for r in rows if r not in regions]
    missing = [r for r in regions if r not in rows]
    if extra or missing:
        raise InvalidInput(
            f"进度表与任务表不对应：缺少{missing}，多出{extra}",
            f"progress does not match the table: missing {missing}, unknown {extra}",
        )
    rates = {r.rate for r in table.rows if r.rate is not None}
    if target_rate:
        rate = parse_rate(target_rate)
    elif len(rates) == 1:
        rate = rates.pop()
    else:
        raise InvalidInput("请用 --target-rate 给出目标参保率", "pass --target-rate")
    counts = []
    for r in table.rows:
        enrolled = _int(rows[r.region], "enrolled", r.region)
        if enrolled is None:
            raise InvalidInput(f"“{r.region}”缺少 enrolled", f"{r.region}: no enrolled count")
        counts.append(
            UnitCounts(
                unit=r.region,
                base=r.base if r.base is not None else r.task,
                enrolled=enrolled,
                task=r.task,
                last_year_enrolled=_int(rows[r.region], "last_year_enrolled", r.region),
            )
        )
    gaps = [c.unit for c in counts if c.last_year_enrolled is None]
    if gaps and len(gaps) < len(counts):
        raise InvalidInput(
            f"上年参保人数不全，缺少：{'、'.join(gaps)}",
            f"last_year_enrolled is missing for some units: {', '.join(gaps)}",
        )
    b = build_bulletin(
        counts,
        rate,
        title=title or f"{table.meta.county}{table.meta.benefit_year}年度参保缴费进度通报",
        as_of=as_of.date(),
        unit_label=table.meta.region_label,
        base_label=(
            f"{table.meta.population_base.kind}数"
            if all(r.base is not None for r in table.rows)
            else "任务数（基数）"
        ),
        bottom_n=bottom,
        notes=source_lines(table),
    )
    click.echo(str(write_xlsx(b, out / "通报.xlsx")))
    click.echo(str(write_html(b, out / "通报.html")))
