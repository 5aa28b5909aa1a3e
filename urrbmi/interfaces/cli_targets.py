"""`urrbmi targets ...`: task tables, incentives and progress bulletins (urrbmi.targets)."""

from __future__ import annotations

import sys
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import click

from urrbmi.interfaces.cli_common import actor_option, db_option, open_engine, parse_day
from urrbmi.limits import read_text
from urrbmi.money import fmt
from urrbmi.targets.counting import Level
from urrbmi.targets.incentive import incentive_total
from urrbmi.targets.progress import percent
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
    reduced = apply_reductions(table, read_reductions_csv(read_text(reductions))) if reductions else ()
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


# --- from the campaign database --------------------------------------------------------------


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
    with session_scope(open_engine(db_url)) as s:
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

    with session_scope(open_engine(db_url, write=False)) as s:
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

    reductions = read_reductions_csv(read_text(path))
    with session_scope(open_engine(db_url)) as s:
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

    day = parse_day(on)
    with session_scope(open_engine(db_url, write=False)) as s:
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

    day = parse_day(on)
    with session_scope(open_engine(db_url, write=False)) as s:
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


def _deprecated(old: str, new: str) -> None:
    click.echo(f"提示：“{old}”已停用，请改用“{new}” / '{old}' is deprecated: use '{new}'", err=True)


@bulletin.command("build")
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
def bulletin_build(
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
    """通报（任意日期）/ bulletin from the campaign database at a date: Excel, HTML and charts,
    with the figures of `urrbmi targets progress` and the API."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.reports import write_bulletin_files

    with session_scope(open_engine(db_url, write=False)) as s:
        files = write_bulletin_files(
            s,
            _cid(s, campaign_id),
            out,
            on=parse_day(on),
            level=cast(Level, level),
            scope=scope,
            target=target,
            target_rate=parse_rate(rate) if rate else None,
            bottom_n=bottom,
            charts=not no_charts,
        )
    for path in (files.xlsx, files.html, *files.charts):
        click.echo(str(path))


@bulletin.command("db", hidden=True, context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def bulletin_db(ctx: click.Context, args: tuple[str, ...]) -> None:
    """Deprecated: `urrbmi targets bulletin build`."""
    _deprecated("targets bulletin db", "targets bulletin build")
    bulletin_build.main(list(args), prog_name="urrbmi targets bulletin build", standalone_mode=False)


@targets.command("incentive")
@db_option
@campaign_option
@on_option
@click.option("--target", default=None, help="task table loaded for the campaign (default: the town one)")
@click.option("--per-person", default=None, help="yuan per person above task (default: the table's clause)")
def incentive_cmd(
    db_url: str | None, campaign_id: int | None, on: str | None, target: str | None, per_person: str | None
) -> None:
    """超额奖励 / incentive per unit of a loaded task table for enrollment above its task, counted
    at a date from the campaign database (黔江: 5 yuan per person)."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.reports import incentive_from_db

    with session_scope(open_engine(db_url, write=False)) as s:
        lines = incentive_from_db(
            s,
            _cid(s, campaign_id),
            on=parse_day(on),
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

    with session_scope(open_engine(db_url, write=False)) as s:
        rep = funding_report(s, _cid(s, campaign_id), on=parse_day(on), scope=scope)
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


@targets.command("incentive-db", hidden=True, context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def incentive_db_cmd(args: tuple[str, ...]) -> None:
    """Deprecated: `urrbmi targets incentive`."""
    _deprecated("targets incentive-db", "targets incentive")
    incentive_cmd.main(list(args), prog_name="urrbmi targets incentive", standalone_mode=False)


# issue 18 items 2-6 (group targets, task uploads, list deadlines, bulletin archive, funding by level)
from urrbmi.interfaces import cli_progress  # noqa: E402,F401
