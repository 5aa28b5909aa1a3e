"""`urrbmi list …`: check a department list file (no database needed), load it into the database,
see the refund / top-up list it causes; `urrbmi review …`: the review queue."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click
from tqdm import tqdm

from urrbmi import ids
from urrbmi.db.session import open_db, session_scope
from urrbmi.errors import InvalidInput
from urrbmi.export import Book
from urrbmi.imports.check import check_file, load_regions
from urrbmi.imports.config import sources
from urrbmi.imports.effects import subsidy_effects, write_effects
from urrbmi.imports.load import MODES, LoadResult, absent_from_hukou, load_list
from urrbmi.imports.model import PROBLEM_ZH
from urrbmi.imports.report import summary_lines, write_report
from urrbmi.imports.review import DECISIONS, decide_review, list_reviews, show_review
from urrbmi.interfaces.cli_common import dumps
from urrbmi.policy.categories import Vocabulary
from urrbmi.registry.audit import default_actor


@click.group("list")
def list_group() -> None:
    """部门名单 / department lists."""


def _vocabulary(policy_id: str | None) -> Vocabulary | None:
    """The identities of a policy (None: every policy's, the default of the importer)."""
    if policy_id is None:
        return None
    from urrbmi.policy.loader import load_policy

    return load_policy(policy_id).vocabulary


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
    "--policy",
    "policy_id",
    default=None,
    help="按该政策（活动所用政策）自定的人员身份读取类别列 / read the category column with the "
    "identities this policy (the campaign's) defines (default: every policy on the search path).",
)
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
    policy_id: str | None,
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
            vocabulary=_vocabulary(policy_id),
        )
    finally:
        if bar is not None:
            bar.close()
    report = report or file.with_name(file.name + ".错误报告.xlsx")
    write_report(batch, report)
    for label, value in summary_lines(batch):
        click.echo(f"{label}: {value}")
    problems = list(batch.problems())
    kinds = Counter(p.code for p in problems)
    if kinds:
        first = {p.code: p.zh for p in reversed(problems)}
        named = (f"{PROBLEM_ZH.get(k) or first[k]} {n}" for k, n in kinds.most_common())
        click.echo("错误类型 problems: " + "，".join(named))
    s = batch.seconds
    click.echo(
        f"用时 time: read {s['read']:.2f} s, validate {s['validate']:.2f} s, dedupe {s['dedupe']:.2f} s, "
        f"total {time.perf_counter() - start:.2f} s"
    )
    click.echo(f"错误报告 report: {report}")
    if batch.counts.valid == 0:
        raise InvalidInput(
            f"名单中没有一行有效数据（共{batch.counts.data_rows}行），请按错误报告{report.name}修改后重报",
            f"no valid row in the list ({batch.counts.data_rows} data rows); see the error report "
            f"{report.name}",
            code="no_valid_rows",
        )


def _bar(
    progress: bool, desc: str
) -> tuple[Callable[[int], None], Callable[[int], None], Callable[[], None]]:
    """(on_total, tick, close) for a tqdm bar shown only on a terminal."""
    holder: list[tqdm[NoReturn]] = []

    def on_total(total: int) -> None:
        if progress:
            holder.append(tqdm(total=total, unit="行", unit_scale=True, desc=desc, leave=False, disable=None))

    def tick(n: int) -> None:
        for b in holder:
            b.update(n)

    def close() -> None:
        for b in holder:
            b.close()

    return on_total, tick, close


def _print_load(r: LoadResult) -> None:
    if r.already_loaded:
        click.echo(
            f"此文件已于批次{r.batch_id}导入，未作任何更改 / "
            f"already loaded as batch {r.batch_id}: nothing changed"
        )
    click.echo(f"批次 batch: {r.batch_id}  来源 source: {r.source} ({r.kind})  日期 as of: {r.as_of}")
    click.echo(f"文件 file: {r.file_name}  sha256: {r.sha256}")
    click.echo(f"数据行 data rows: {r.data_rows}")
    click.echo("行结果 rows: " + (", ".join(f"{k} {v}" for k, v in sorted(r.rows.items())) or "-"))
    if r.gained or r.lost:
        cats = sorted(set(r.gained) | set(r.lost))
        click.echo(
            "身份增减 gained/lost: "
            + ", ".join(f"{c} +{r.gained.get(c, 0)}/-{r.lost.get(c, 0)}" for c in cats)
        )
    if r.population:
        click.echo("人口 population: " + ", ".join(f"{k} {v}" for k, v in sorted(r.population.items())))
    if r.kind == "enrollment" and not r.already_loaded:
        click.echo(f"上年参保 enrollments imported: {r.enrollments}")
    if r.review_items:
        click.echo(f"待人工核查 review items: {r.review_items}  (urrbmi review list)")
    if r.retro_subsidies:
        click.echo(f"待补发资助参保金 retro-subsidies pending: {r.retro_subsidies}  (urrbmi refund list)")
    if r.seconds:
        s = r.seconds
        click.echo(
            f"用时 time: check {s['check']:.2f} s (read {s.get('check_read', 0):.2f}, validate "
            f"{s.get('check_validate', 0):.2f}, dedupe {s.get('check_dedupe', 0):.2f}), "
            f"stage {s['stage']:.2f} s, "
            f"apply {s['apply']:.2f} s, total {s['total']:.2f} s"
        )


@list_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="Source department: " + ", ".join(sources()))
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Date of the list.")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="replace",
    show_default=True,
    help="replace: the source's whole list (absent members lose the identity); add: a supplement.",
)
@click.option("--scope", default="", help="Region-code prefix the uploader may change (default all).")
@click.option(
    "--confirm-removals",
    is_flag=True,
    help="确认删除：replace 名单结束的身份超过 URRBMI_REPLACE_MAX_SHARE 时仍导入 / "
    "load a replace list even if it ends more than the allowed share of identities.",
)
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--policy",
    "policy_id",
    default=None,
    help="按该政策（活动所用政策）自定的人员身份读取类别列 / read the category column with the "
    "identities this policy (the campaign's) defines (default: every policy on the search path).",
)
@click.option("--db", "db_url", default=None, help="数据库URL / database URL (URRBMI_DATABASE_URL)")
@click.option("--actor", default=None, help="操作人 / who does this (URRBMI_ACTOR or OS user)")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--progress/--no-progress", default=True, show_default=True)
def load_cmd(
    file: Path,
    source: str,
    as_of: dt.datetime | None,
    mode: str,
    scope: str,
    confirm_removals: bool,
    report: Path | None,
    db_url: str | None,
    actor: str | None,
    as_json: bool,
    progress: bool,
    policy_id: str | None,
) -> None:
    """导入名单到数据库 / load a list into the database (one transaction; same file twice: no change)."""
    vocabulary = _vocabulary(policy_id)
    on_total, tick, close = _bar(progress, "导入 loading")
    try:
        with session_scope(open_db(db_url)) as s:
            r = load_list(
                s,
                file,
                source,
                as_of.date() if as_of else None,
                actor=actor or default_actor(),
                scope=scope,
                mode=mode,
                progress=tick,
                on_total=on_total,
                confirm_removals=confirm_removals,
                vocabulary=vocabulary,
            )
    finally:
        close()
    if r.check is not None and (r.check.invalid or r.check.duplicates or r.check.conflicts):
        report = report or file.with_name(file.name + ".错误报告.xlsx")
        write_report(r.check, report)
    if as_json:
        click.echo(dumps(r.as_dict()))
        return
    _print_load(r)
    if report is not None and report.exists():
        click.echo(f"错误报告 report: {report}")


@list_group.command("changes")
@click.option("--campaign", "campaign_id", type=int, required=True)
@click.option(
    "--on", "on", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Identities as on this date."
)
@click.option(
    "--excel", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the list here."
)
@click.option("--scope", default="")
@click.option("--db", "db_url", default=None)
@click.option("--actor", default=None)
def changes_cmd(
    campaign_id: int, on: dt.datetime, excel: Path | None, scope: str, db_url: str | None, actor: str | None
) -> None:
    """身份变化的退补名单 / refund and top-up list after identity changes (campaign policy)."""
    with session_scope(open_db(db_url)) as s:
        items = subsidy_effects(s, campaign_id, on.date(), actor=actor or default_actor(), scope=scope)
    for i in items:
        click.echo(
            f"{i.id_number}\t{i.name}\t{','.join(i.old_categories) or '-'} -> "
            f"{','.join(i.new_categories) or '-'}"
            f"\t{i.action}\t{i.amount}\t{i.note}"
        )
    click.echo(f"共 total: {len(items)}  退费 refunds: {sum(1 for i in items if i.action == 'refund')}")
    if excel is not None:
        write_effects(items, excel)
        click.echo(f"Excel: {excel}")


@list_group.command("absent")
@click.argument("batch_id", type=int)
@click.option(
    "--excel", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the list here."
)
@click.option("--full-ids", is_flag=True, help="Show whole ID numbers (default masked).")
@click.option("--db", "db_url", default=None)
def absent_cmd(batch_id: int, excel: Path | None, full_ids: bool, db_url: str | None) -> None:
    """户籍名单中没有的在册户籍人员 / registered hukou residents missing from a hukou list (to check)."""
    with session_scope(open_db(db_url, create=False)) as s:
        frame = absent_from_hukou(s, batch_id)
    rows = [(n if full_ids else ids.mask(n), name, region) for n, name, region in frame.iter_rows()]
    for row in rows[:50]:
        click.echo("\t".join(row))
    click.echo(f"共 total: {len(rows)}（未自动变更，请核实迁出、死亡或居住证 / not changed: please check）")
    if excel is not None:
        book = Book(streaming=True)
        ws = book.sheet("户籍名单中未列出")
        ws.append(["身份证号码", "姓名", "区划代码"])
        for row in rows:
            ws.append(list(row))
        book.save(excel)
        click.echo(f"Excel: {excel}")


@click.group("review")
def review_group() -> None:
    """人工核查队列 / the review queue of conflicting versions of a person."""


@review_group.command("list")
@click.option("--status", type=click.Choice(["open", "decided", "all"]), default="open", show_default=True)
@click.option("--scope", default="")
@click.option("--db", "db_url", default=None)
@click.option("--json", "as_json", is_flag=True)
def review_list_cmd(status: str, scope: str, db_url: str | None, as_json: bool) -> None:
    """列出核查事项 / list review items (ID numbers masked)."""
    with session_scope(open_db(db_url, create=False)) as s:
        items = list_reviews(s, scope=scope, status=None if status == "all" else status)
    if as_json:
        click.echo(dumps([i.as_dict() for i in items]))
        return
    for i in items:
        names = " / ".join(str(v["name"]) for v in i.versions)
        reg = i.registry["name"] if i.registry else "（登记册无此人）"
        click.echo(
            f"{i.id}\t{i.status}\t{i.kind}\t{i.source}\t{i.id_number}\t{','.join(i.fields)}\t{reg} | {names}"
        )
    click.echo(f"共 total: {len(items)}")


@review_group.command("show")
@click.argument("item_id", type=int)
@click.option("--full", is_flag=True, help="Show the full ID number.")
@click.option("--scope", default="")
@click.option("--db", "db_url", default=None)
def review_show_cmd(item_id: int, full: bool, scope: str, db_url: str | None) -> None:
    """显示核查事项（登记册与名单版本并列）/ show an item: registry and file versions side by side."""
    with session_scope(open_db(db_url, create=False)) as s:
        click.echo(dumps(show_review(s, item_id, scope=scope, full=full).as_dict()))


@review_group.command("decide")
@click.argument("item_id", type=int)
@click.argument("decision", type=click.Choice(DECISIONS))
@click.option("--row", type=int, default=None, help="The file row to take (when there are several).")
@click.option("--note", default=None)
@click.option("--scope", default="")
@click.option("--db", "db_url", default=None)
@click.option("--actor", default=None)
def review_decide_cmd(
    item_id: int,
    decision: str,
    row: int | None,
    note: str | None,
    scope: str,
    db_url: str | None,
    actor: str | None,
) -> None:
    """决定：保留登记册 keep_registry / 采用名单 take_file（写入审计）/ decide an item (audited)."""
    with session_scope(open_db(db_url)) as s:
        v = decide_review(
            s, item_id, decision, actor=actor or default_actor(), scope=scope, row=row, note=note
        )
    click.echo(
        f"核查事项{v.id}：{v.decision}（行 row {v.chosen_row or '-'}）/ item {v.id} decided: {v.decision}"
    )
