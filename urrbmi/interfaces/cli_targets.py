"""`urrbmi targets ...`: task tables, incentives and progress bulletins (urrbmi.targets)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

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
        [
            "",
            "合计",
            table.total_task,
            sum(counts.values()),
            sum(x.excess for x in lines),
            f"{incentive_total(lines):,.2f}",
        ]
    )
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


# --- from the campaign database --------------------------------------------------------------

from urrbmi.interfaces.cli_campaign import _day, _engine, actor_option, db_option  # noqa: E402
from urrbmi.targets.counting import Level  # noqa: E402


def campaign_option(f: Any) -> Any:
    return click.option(
        "--campaign", "campaign_id", type=int, default=None, help="征缴批次编号 / campaign id"
    )(f)


def on_option(f: Any) -> Any:
    return click.option(
        "--on", "on", default=None, help="统计日期（含当日）/ count up to this date (default today)"
    )(f)


def scope_option(f: Any) -> Any:
    return click.option("--scope", default="", help="区划代码前缀 / region-code prefix (default all)")(f)


def _cid(s: Any, campaign_id: int | None) -> int:
    from urrbmi.campaign.campaigns import get_campaign

    return get_campaign(s, campaign_id).id


@targets.command("load")
@db_option
@actor_option
@campaign_option
@click.option("--table", "table_id", default=None, help="task table id, e.g. suixi-2022")
@click.option("--rule", "rule_id", default=None, help="target rule id from target-rules.yaml (no tasks)")
@click.option("--level", type=click.Choice(["town", "village", "school", "county"]), default="town")
@click.option(
    "--group", type=click.Choice(["all", "general", "students", "low_income", "hardship"]), default="all"
)
@click.option("--replace", is_flag=True, help="replace a table already loaded (drops its reductions)")
def load_cmd(
    db_url: str | None,
    actor: str | None,
    campaign_id: int | None,
    table_id: str | None,
    rule_id: str | None,
    level: str,
    group: str,
    replace: bool,
) -> None:
    """载入任务表或目标参保率 / load a task table (or a target rate) into the campaign's database."""
    from urrbmi.db.session import session_scope
    from urrbmi.registry.audit import default_actor
    from urrbmi.targets.store import load_rate, load_task_table, stored_tasks

    if (table_id is None) == (rule_id is None):
        raise click.UsageError("give exactly one of --table or --rule")
    with session_scope(_engine(db_url)) as s:
        cid = _cid(s, campaign_id)
        who = actor or default_actor()
        if table_id is not None:
            ts = load_task_table(s, cid, table_id, actor=who, level=cast(Level, level), replace=replace)
            tasks = stored_tasks(s, ts)
            click.echo(
                f"已载入 / loaded {table_id}: {len(tasks)} units, task total {sum(t.task for t in tasks):,}"
            )
        else:
            assert rule_id is not None
            ts = load_rate(s, cid, rule_id, actor=who, unit=level, group=group)
            click.echo(f"已载入 / loaded target rule {rule_id}: {ts.rate} per {ts.unit}")


@targets.command("loaded")
@db_option
@campaign_option
def loaded_cmd(db_url: str | None, campaign_id: int | None) -> None:
    """列出已载入的任务表 / target sets loaded for the campaign, with tasks after reductions."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.store import stored_tasks, target_sets

    with session_scope(_engine(db_url)) as s:
        cid = _cid(s, campaign_id)
        for ts in target_sets(s, cid):
            tasks = stored_tasks(s, ts)
            click.echo(
                f"{ts.name}  {ts.title}  ({ts.unit}, rate {ts.rate or '-'}, deadline {ts.deadline or '-'})"
            )
            rows: list[list[object]] = [
                [
                    t.seq,
                    t.unit_name,
                    t.region_code or "",
                    t.base,
                    t.stated_task,
                    t.original,
                    t.reduced_by,
                    t.task,
                ]
                for t in tasks
            ]
            if rows:
                _print_table(
                    ["序号", "单位", "区划代码", "基数", "表列任务数", "任务数", "核减", "核减后任务数"], rows
                )


@targets.command("reduce")
@db_option
@actor_option
@campaign_option
@click.option("--table", "table_id", required=True)
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="CSV: region,persons,evidence,evidence_ref,recorded_on[,resident_ids,note]",
)
def reduce_cmd(
    db_url: str | None, actor: str | None, campaign_id: int | None, table_id: str, path: Path
) -> None:
    """记录核减（含凭证）/ record task reductions with their evidence (all or nothing)."""
    from urrbmi.db.session import session_scope
    from urrbmi.registry.audit import default_actor
    from urrbmi.targets.store import add_reductions, get_set

    reductions = read_reductions_csv(path.read_text(encoding="utf-8-sig"))
    with session_scope(_engine(db_url)) as s:
        cid = _cid(s, campaign_id)
        result = add_reductions(s, get_set(s, cid, table_id), reductions, actor=actor or default_actor())
    for r in result:
        if r.reduced_by:
            click.echo(f"{r.region}: {r.original:,} - {r.reduced_by:,} = {r.task:,}")


def _progress_rows(rep: Any) -> tuple[list[str], list[list[object]]]:
    """The progress table as printed: the columns of :mod:`urrbmi.targets.columns`."""
    from urrbmi.targets.columns import columns, report_lines, text

    shape, lines = report_lines(rep)
    cols = columns(shape)
    headers = [c.label(shape) for c in cols]
    rows: list[list[object]] = [[text(c.kind, c.get(ln)) for c in cols] for ln in lines]
    return headers, rows


@targets.command("progress")
@db_option
@campaign_option
@on_option
@scope_option
@click.option("--level", type=click.Choice(["county", "town", "village", "school"]), default="town")
@click.option("--target", default=None, help="target set name (default: the one loaded for the level)")
@click.option(
    "--rate", default=None, help="target rate, e.g. 98.5% (default: the target set's, then the policy's)"
)
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None)
def progress_cmd(
    db_url: str | None,
    campaign_id: int | None,
    on: str | None,
    scope: str,
    level: str,
    target: str | None,
    rate: str | None,
    xlsx: Path | None,
) -> None:
    """参保进度（任意日期）/ progress at a date by county, town, village or school, from the database."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.counting import progress
    from urrbmi.targets.reports import write_progress_xlsx

    day = _day(on)
    with session_scope(_engine(db_url)) as s:
        rep = progress(
            s,
            _cid(s, campaign_id),
            on=day,
            level=cast(Level, level),
            scope=scope,
            target=target,
            target_rate=parse_rate(rate) if rate else None,
        )
    basis = "任务完成率" if rep.rank_by == "completion" else "参保率"
    click.echo(f"截至 {day}，目标参保率 {percent(rep.target_rate)}，按{basis}排名（并列者名次相同）")
    headers, rows = _progress_rows(rep)
    _print_table(headers, rows)
    if xlsx is not None:
        click.echo(str(write_progress_xlsx(rep, xlsx)))


@targets.command("list")
@db_option
@actor_option
@campaign_option
@on_option
@scope_option
@click.argument("kind", type=click.Choice(["not-enrolled", "hardship", "identity-changes"]))
@click.option("--limit", default=100, show_default=True, help="rows per page (max 1000)")
@click.option("--offset", default=0, show_default=True)
@click.option("--full-ids", is_flag=True, help="show full ID numbers (roles that need them)")
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None)
def list_cmd(
    db_url: str | None,
    actor: str | None,
    campaign_id: int | None,
    on: str | None,
    scope: str,
    kind: str,
    limit: int,
    offset: int,
    full_ids: bool,
    xlsx: Path | None,
) -> None:
    """工作清单 / lists for action: not-enrolled (with last year's status), hardship (with the staged
    deadline and days left), identity-changes (after payment)."""
    from urrbmi.db.session import session_scope
    from urrbmi.registry.audit import default_actor
    from urrbmi.targets.lists import hardship_not_enrolled, identity_changed, not_enrolled, write_page_xlsx

    day = _day(on)
    with session_scope(_engine(db_url)) as s:
        cid = _cid(s, campaign_id)
        if kind == "not-enrolled":
            page = not_enrolled(s, cid, on=day, scope=scope, limit=limit, offset=offset, full_ids=full_ids)
        elif kind == "hardship":
            page = hardship_not_enrolled(
                s, cid, on=day, scope=scope, limit=limit, offset=offset, full_ids=full_ids
            )
        else:
            page = identity_changed(
                s, cid, on=day, scope=scope, limit=limit, offset=offset, actor=actor or default_actor()
            )
    click.echo(
        f"{page.title}：共 {page.total} 人，显示第 {page.offset + 1} 至 {page.offset + len(page.rows)} 人"
    )
    for note in page.notes:
        click.echo(note)
    if page.rows:
        _print_table(
            ["#", *page.headers],
            [[page.offset + i + 1, *(r[k] for k in page.keys)] for i, r in enumerate(page.rows)],
        )
    if xlsx is not None:
        click.echo(str(write_page_xlsx(page, xlsx)))


@bulletin.command("db")
@db_option
@campaign_option
@on_option
@scope_option
@click.option("--level", type=click.Choice(["county", "town", "village", "school"]), default="town")
@click.option("--target", default=None)
@click.option("--rate", default=None)
@click.option("--bottom", default=3, show_default=True)
@click.option("--no-charts", is_flag=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def bulletin_db(
    db_url: str | None,
    campaign_id: int | None,
    on: str | None,
    scope: str,
    level: str,
    target: str | None,
    rate: str | None,
    bottom: int,
    no_charts: bool,
    out: Path,
) -> None:
    """通报（数据库，任意日期）/ bulletin from the database at a date: Excel, HTML and charts."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.reports import write_bulletin_files

    with session_scope(_engine(db_url)) as s:
        files = write_bulletin_files(
            s,
            _cid(s, campaign_id),
            out,
            on=_day(on),
            level=cast(Level, level),
            scope=scope,
            target=target,
            target_rate=parse_rate(rate) if rate else None,
            bottom_n=bottom,
            charts=not no_charts,
        )
    for path in (files.xlsx, files.html, *files.charts):
        click.echo(str(path))


@targets.command("incentive-db")
@db_option
@campaign_option
@on_option
@click.option("--target", default=None, help="task table loaded for the campaign (default: the town one)")
@click.option("--per-person", default=None, help="yuan per person above task (default: the table's clause)")
def incentive_db_cmd(
    db_url: str | None, campaign_id: int | None, on: str | None, target: str | None, per_person: str | None
) -> None:
    """超额奖励（数据库）/ incentive per town for enrollment above its task, counted at a date."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.reports import incentive_from_db

    with session_scope(_engine(db_url)) as s:
        lines = incentive_from_db(
            s,
            _cid(s, campaign_id),
            on=_day(on),
            target=target,
            per_person=Decimal(per_person) if per_person else None,
        )
    rows: list[list[object]] = [
        [i + 1, ln.region, ln.task, ln.enrolled, ln.excess, ln.amount] for i, ln in enumerate(lines)
    ]
    _print_table(["序号", "单位", "任务数", "已参保", "超额人数", "奖励金额"], rows)
    click.echo(f"合计 / total: {fmt(incentive_total(lines))}")


@targets.command("funding")
@db_option
@campaign_option
@on_option
@scope_option
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None)
def funding_cmd(
    db_url: str | None, campaign_id: int | None, on: str | None, scope: str, xlsx: Path | None
) -> None:
    """筹资情况 / funding: subsidies by category and funder, fiscal subsidy by level, contributions."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.reports import funding_report, write_funding_xlsx

    with session_scope(_engine(db_url)) as s:
        rep = funding_report(s, _cid(s, campaign_id), on=_day(on), scope=scope)
    click.echo(f"截至 {rep.on}：已参保 {rep.enrolled} 人；{rep.financing_note}")
    rows: list[list[object]] = [
        [
            ln.section,
            ln.item,
            ln.funder,
            ln.persons,
            f"{ln.per_person:,.2f}" if ln.per_person is not None else "",
            f"{ln.amount:,.2f}",
        ]
        for ln in rep.lines
    ]
    rows.append(["合计", "", "", "", "", f"{rep.total:,.2f}"])
    _print_table(["项目", "明细", "出资方", "人数", "人均", "金额"], rows)
    if xlsx is not None:
        click.echo(str(write_funding_xlsx(rep, xlsx)))
