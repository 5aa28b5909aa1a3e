"""`urrbmi targets ...` for issue 18 items 2-6: group targets, a county's own task tables, department
list deadlines, the bulletin archive and funding by level. Registered on the ``targets`` group by
:mod:`urrbmi.interfaces.cli_targets` (one import at its end)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import cast

import click

from urrbmi.errors import InvalidInput
from urrbmi.interfaces.cli_common import actor_option, db_option, open_engine, parse_day
from urrbmi.interfaces.cli_targets import (
    _cid,
    _print_table,
    bulletin,
    campaign_option,
    on_option,
    scope_option,
    targets,
)
from urrbmi.targets.counting import Level
from urrbmi.targets.progress import percent
from urrbmi.targets.tables import parse_rate


def _pct(value: Decimal) -> str:
    return percent(value)


@targets.command("groups")
@db_option
@campaign_option
@on_option
@scope_option
def groups_cmd(db_url: str | None, campaign_id: int | None, on: str | None, scope: str) -> None:
    """分群体目标（低收入、困难群众、学生、一般居民）及截止日 / group targets with deadlines."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.groups import deadline_text, group_progress

    day = parse_day(on)
    with session_scope(open_engine(db_url, write=False)) as s:
        got = group_progress(s, _cid(s, campaign_id), on=day, scope=scope)
    if not got:
        click.echo("本批次政策未设分群体目标")
    for g in got:
        t = g.target
        when = f"{t.deadline:%Y-%m-%d}，{deadline_text(g.days_left)}" if t.deadline else "无期限"
        click.echo(f"\n{t.label}（{t.cite}）")
        counted = f"；参保人数统计至{g.counted_on:%Y-%m-%d}" if g.counted_on != day else ""
        click.echo(f"  截止：{when}（{t.deadline_source or '通知未定'}）{counted}")
        rows: list[list[object]] = [
            [
                u.progress.rank or "",
                u.name,
                u.progress.base,
                u.enrolled,
                _pct(u.progress.rate),
                u.progress.required,
                u.progress.remaining,
                "达标" if u.progress.meets_target else "未达标",
            ]
            for u in (*g.rows, *((g.total,) if g.total else ()))
        ]
        if rows:
            _print_table(
                ["排名", "单位", "应参保人数", "已参保人数", "参保率", "应完成人数", "距目标差额", "状态"],
                rows,
            )
        else:
            click.echo("  （本范围内没有该群体人员）")


@targets.command("upload")
@db_option
@actor_option
@campaign_option
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--name", required=True, help="任务表名称 / table name, e.g. shetan-2023-villages")
@click.option("--title", default=None, help="标题 / title (default: the file name)")
@click.option("--level", type=click.Choice(["town", "village"]), default="village")
@click.option("--rate", default=None, help="目标参保率，如100% / target rate (default 100% of the task)")
@click.option(
    "--replace", is_flag=True, help="替换已载入的同名任务表（保留旧版本）/ replace, keeping the old version"
)
@click.option("--check", "check_only", is_flag=True, help="只检查不载入 / check only")
@click.option(
    "--report", type=click.Path(dir_okay=False, path_type=Path), default=None, help="错误报告 Excel"
)
def upload_cmd(
    db_url: str | None,
    actor: str | None,
    campaign_id: int | None,
    path: Path,
    name: str,
    title: str | None,
    level: str,
    rate: str | None,
    replace: bool,
    check_only: bool,
    report: Path | None,
) -> None:
    """载入本县自定任务表（Excel/CSV，按乡镇或村）/ load a county's own task table."""
    from urrbmi.db.session import session_scope
    from urrbmi.registry.audit import default_actor
    from urrbmi.targets.uploads import TaskUploadError, check_task_file, load_task_upload, write_upload_report

    content = path.read_bytes()
    with session_scope(open_engine(db_url, write=not check_only)) as s:
        cid = _cid(s, campaign_id)
        up = check_task_file(s, cid, content, path.name, level=cast(Level, level))
        if report is not None:
            click.echo(f"错误报告：{write_upload_report(up, report)}")
        for p in up.problems:
            click.echo(
                f"第{p.row}行 {p.column}“{p.value}”：{p.zh}" if p.row else f"{p.column}：{p.zh}", err=True
            )
        if up.problems:
            raise TaskUploadError(up)
        if check_only:
            click.echo(f"检查通过：{len(up.units)}个单位，任务合计{up.total:,}")
            return
        ts, ver = load_task_upload(
            s, cid, content, path.name, name=name, title=title or path.stem, level=cast(Level, level),
            actor=actor or default_actor(), rate=rate, replace=replace,
        )  # fmt: skip
        click.echo(f"已载入任务表“{ts.name}”第{ver.version}版：{ver.units}个单位，任务合计{ver.task_total:,}")


@targets.command("versions")
@db_option
@campaign_option
@click.option("--name", default=None)
@click.option(
    "--version", "version", type=int, default=None, help="取回该版本的原文件 / save this version's file"
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def versions_cmd(
    db_url: str | None, campaign_id: int | None, name: str | None, version: int | None, out: Path | None
) -> None:
    """任务表各版本（上传记录）/ the uploaded versions of the task tables."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.uploads import task_versions, version_file

    with session_scope(open_engine(db_url, write=False)) as s:
        cid = _cid(s, campaign_id)
        if version is not None:
            if name is None or out is None:
                raise click.UsageError("取回原文件须给出 --name 和 --out")
            v = version_file(s, cid, name, version)
            out.write_bytes(v.content)
            click.echo(str(out))
            return
        rows: list[list[object]] = [
            [v.name, v.version, "现行" if v.status == "current" else "已替换", v.units, v.task_total,
             v.file_name, v.loaded_by, f"{v.loaded_at:%Y-%m-%d %H:%M}"]
            for v in task_versions(s, cid, name)
        ]  # fmt: skip
    if rows:
        _print_table(["任务表", "版本", "状态", "单位数", "任务合计", "文件", "上传人", "上传时间"], rows)
    else:
        click.echo("尚未上传任务表")


@targets.command("list-deadlines")
@db_option
@campaign_option
@on_option
def list_deadlines_cmd(db_url: str | None, campaign_id: int | None, on: str | None) -> None:
    """部门名单报送时限及报送情况 / department list deadlines: received, late, missing."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.deadlines import list_deadlines, summary

    day = parse_day(on)
    with session_scope(open_engine(db_url, write=False)) as s:
        lines = list_deadlines(s, _cid(s, campaign_id), on=day)
    if not lines:
        click.echo("本批次政策未规定部门名单报送时限")
        return
    n = summary(lines)
    click.echo(
        f"截至{day:%Y-%m-%d}：按时报送{n['received']}项，逾期报送{n['late']}项，未报送{n['missing']}项，"
        f"未到期{n['pending']}项"
    )
    _print_table(
        ["报送时限", "部门", "名单", "地区", "报送情况", "收到日期", "依据"],
        [
            [f"{x.due:%Y-%m-%d}", x.department, x.list_name, x.region, x.status_zh,
             f"{x.received_on:%Y-%m-%d}" if x.received_on else "", x.cite]
            for x in lines
        ],
    )  # fmt: skip


@bulletin.command("issue")
@db_option
@actor_option
@campaign_option
@on_option
@scope_option
@click.option("--level", type=click.Choice(["county", "town", "village", "school"]), default="town")
@click.option(
    "--rate", default=None, help="目标参保率，如98.5% / target rate (default: the table's or policy's)"
)
def bulletin_issue(
    db_url: str | None,
    actor: str | None,
    campaign_id: int | None,
    on: str | None,
    scope: str,
    level: str,
    rate: str | None,
) -> None:
    """发布通报并存档 / issue the bulletin for a date and keep it in the archive."""
    from urrbmi.db.session import session_scope
    from urrbmi.registry.audit import default_actor
    from urrbmi.targets.archive import issue

    with session_scope(open_engine(db_url)) as s:
        row = issue(
            s,
            _cid(s, campaign_id),
            on=parse_day(on),
            actor=actor or default_actor(),
            level=cast(Level, level),
            scope=scope,
            target_rate=parse_rate(rate) if rate else None,
        )
        click.echo(f"已发布通报 第{row.id}号：{row.title}（截至{row.as_of:%Y-%m-%d}）")


@bulletin.command("archive")
@db_option
@campaign_option
@on_option
@scope_option
def bulletin_archive(db_url: str | None, campaign_id: int | None, on: str | None, scope: str) -> None:
    """通报档案与通报日程 / bulletins issued, and the notice's schedule up to a date."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.archive import issued, schedule

    with session_scope(open_engine(db_url, write=False)) as s:
        cid = _cid(s, campaign_id)
        rows: list[list[object]] = [
            [
                r.id,
                f"{r.as_of:%Y-%m-%d}",
                r.title,
                r.scope or "全部",
                r.issued_by,
                f"{r.issued_at:%Y-%m-%d %H:%M}",
            ]
            for r in issued(s, cid, scope=scope)
        ]
        sch, due = schedule(s, cid, until=parse_day(on), scope=scope)
    if rows:
        _print_table(["编号", "统计截至", "标题", "范围", "发布人", "发布时间"], rows)
    else:
        click.echo("尚未发布通报")
    if sch is not None:
        click.echo(f"\n通报日程：{sch.label}（{sch.cite}）")
        _print_table(
            ["应发日期", "情况"],
            [[f"{x.on:%Y-%m-%d}", f"已发布（第{x.issue_id}号）" if x.issue_id else "未发布"] for x in due],
        )


@bulletin.command("get")
@db_option
@campaign_option
@scope_option
@click.argument("issue_id", type=int)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def bulletin_get(db_url: str | None, campaign_id: int | None, scope: str, issue_id: int, out: Path) -> None:
    """取回存档的通报（Excel与HTML，与发布时相同）/ the archived files, as issued."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.archive import get_issue

    with session_scope(open_engine(db_url, write=False)) as s:
        row = get_issue(s, _cid(s, campaign_id), issue_id, scope=scope)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"通报-{row.as_of:%Y-%m-%d}-第{row.id}号"
        (out / f"{stem}.xlsx").write_bytes(row.xlsx)
        (out / f"{stem}.html").write_text(row.html, encoding="utf-8")
    click.echo(str(out / f"{stem}.xlsx"))
    click.echo(str(out / f"{stem}.html"))


@bulletin.command("check")
@db_option
@campaign_option
@scope_option
@click.argument("issue_id", type=int)
def bulletin_check(db_url: str | None, campaign_id: int | None, scope: str, issue_id: int) -> None:
    """按发布日期从台账重算存档通报并逐项比对 / re-render an issued bulletin and compare."""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.archive import recheck

    with session_scope(open_engine(db_url, write=False)) as s:
        r = recheck(s, _cid(s, campaign_id), issue_id, scope=scope)
    if r.same:
        click.echo(f"第{r.issue_id}号通报（截至{r.as_of:%Y-%m-%d}）：重算结果与存档一致")
        return
    click.echo(f"第{r.issue_id}号通报（截至{r.as_of:%Y-%m-%d}）：重算结果与存档不一致（有补录或倒签记录）：")
    for x in r.differences:
        click.echo(f"  {x}")
    raise SystemExit(1)


@targets.command("funding-levels")
@db_option
@campaign_option
@on_option
def funding_levels_cmd(db_url: str | None, campaign_id: int | None, on: str | None) -> None:
    """财政补助分级到位情况、资助资金、大病保险筹资 / funding by level, paid by the deadline?"""
    from urrbmi.db.session import session_scope
    from urrbmi.targets.levels import funding_by_level

    with session_scope(open_engine(db_url, write=False)) as s:
        f = funding_by_level(s, _cid(s, campaign_id), on=parse_day(on))
    click.echo(f"截至{f.on:%Y-%m-%d}：已参保{f.enrolled:,}人；{f.note}")
    if f.shares:
        _print_table(
            ["级次", "人均", "人数", "应拨付", "已到位", "截止日前到位", "拨付时限", "情况"],
            [
                [x.label, f"{x.per_person:,.2f}", x.persons, f"{x.owed:,.2f}", f"{x.paid:,.2f}",
                 f"{x.paid_by_deadline:,.2f}", f"{x.deadline:%Y-%m-%d}" if x.deadline else "未规定",
                 x.status_zh]
                for x in f.shares
            ],
        )  # fmt: skip
    if f.funders:
        click.echo("\n资助参保资金（按出资方）")
        _print_table(
            ["出资方", "人数", "金额"], [[x.funder, x.persons, f"{x.amount:,.2f}"] for x in f.funders]
        )
    click.echo(f"\n大病保险：{f.critical_illness_note}")
    if f.critical_illness_amount is not None:
        click.echo(f"  大病保险筹资合计 {f.critical_illness_amount:,.2f} 元")


@targets.command("funding-pay")
@db_option
@actor_option
@campaign_option
@click.option("--level", required=True, help="级次：central / regional / provincial / county …")
@click.option("--amount", required=True, help="到位金额（元）")
@click.option("--paid-on", "paid_on", required=True, help="到位日期 YYYY-MM-DD")
@click.option("--reference", required=True, help="拨款凭证号")
@click.option("--note", default="")
def funding_pay_cmd(
    db_url: str | None,
    actor: str | None,
    campaign_id: int | None,
    level: str,
    amount: str,
    paid_on: str,
    reference: str,
    note: str,
) -> None:
    """登记一笔财政补助资金到位 / record a level's share paid in, with its date."""
    from urrbmi.db.session import session_scope
    from urrbmi.registry.audit import default_actor
    from urrbmi.targets.levels import LEVEL_ZH, record_funding_payment

    try:
        value = Decimal(amount.replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(f"金额“{amount}”无法识别", f"cannot read amount {amount!r}") from None
    day: dt.date = parse_day(paid_on)
    with session_scope(open_engine(db_url)) as s:
        row = record_funding_payment(
            s, _cid(s, campaign_id), level=level, amount=value, paid_on=day, reference=reference,
            actor=actor or default_actor(), note=note,
        )  # fmt: skip
        click.echo(
            f"已登记：{LEVEL_ZH.get(row.level, row.level)}资金 {value:,.2f} 元，"
            f"{day:%Y-%m-%d} 到位（{row.reference}）"
        )


@targets.command("refresh")
@db_option
@campaign_option
def refresh_cmd(db_url: str | None, campaign_id: int | None) -> None:
    """更新进度统计数据 / bring the counts kept for progress up to date now (after a bulk write
    the next report would rebuild them: about two minutes for a million residents)."""
    import time

    from urrbmi.db.session import session_scope
    from urrbmi.targets.cohorts import refresh_report

    start = time.perf_counter()
    with session_scope(open_engine(db_url, write=False)) as s:
        cid = _cid(s, campaign_id)
        done = refresh_report(s, cid)
    seconds = time.perf_counter() - start
    click.echo(f"进度统计已更新 / counts brought up to date: {done.text}（{seconds:.1f} 秒 / s）")
