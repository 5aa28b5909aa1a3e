"""`urrbmi refund …`: refunds and 补发 from approval to reconciliation (urrbmi.campaign.refunds).

The CLI is the bureau's own tool on the database host (every region); the four-eyes rule still
holds: ``--actor`` (or URRBMI_ACTOR / the OS user) must not be the refund's creator.
"""

from __future__ import annotations

from pathlib import Path

import click

from urrbmi import ids
from urrbmi.campaign.campaigns import get_campaign
from urrbmi.campaign.refunds import (
    STATUS_ZH,
    approve,
    export_refund_file,
    import_result,
    list_refunds,
    read_result_file,
    reconcile_refunds,
    reject,
)
from urrbmi.db.models import CHANNELS, RefundStatus
from urrbmi.db.session import session_scope
from urrbmi.interfaces.cli_common import actor_option, campaign_option, db_option, open_engine
from urrbmi.money import fmt
from urrbmi.registry.audit import default_actor


@click.group("refund")
def refund() -> None:
    """退费和补发：审批、退费文件、渠道结果、对账 / refunds: approve, file, result, reconcile."""


@refund.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in RefundStatus]),
    default=None,
    help="只列此状态：" + "、".join(f"{s.value}={z}" for s, z in STATUS_ZH.items()),
)
@campaign_option
@db_option
def refund_list(status: str | None, campaign_id: int | None, db_url: str | None) -> None:
    """列出退费和补发（身份证号码脱敏）/ list refunds (ID numbers masked)."""
    with session_scope(open_engine(db_url, write=False)) as s:
        rows = list_refunds(s, get_campaign(s, campaign_id), status=status)
    click.echo("编号\t状态\t类别\t金额（元）\t身份证号码\t姓名\t原因\t批次号")
    for r in rows:
        click.echo(
            f"{r.id}\t{r.status_zh}\t{r.kind_zh}\t{fmt(r.amount)}\t{ids.mask(r.id_number)}\t{r.name}"
            f"\t{r.reason}\t{r.batch_id or ''}"
        )
    click.echo(f"共{len(rows)}笔 / {len(rows)} refund(s)")


@refund.command("approve")
@click.argument("refund_ids", nargs=-1, type=int, required=True)
@campaign_option
@db_option
@actor_option
def refund_approve(
    refund_ids: tuple[int, ...], campaign_id: int | None, db_url: str | None, actor: str | None
) -> None:
    """审批退费（不能审批本人发起的）/ approve refunds (not your own)."""
    with session_scope(open_engine(db_url)) as s:
        rows = approve(s, get_campaign(s, campaign_id), refund_ids, actor=actor or default_actor())
    click.echo(f"已审批{len(rows)}笔：{'、'.join(str(r.id) for r in rows)} / approved {len(rows)}")


@refund.command("reject")
@click.argument("refund_ids", nargs=-1, type=int, required=True)
@click.option("--reason", required=True, help="驳回理由（记入审计日志）")
@campaign_option
@db_option
@actor_option
def refund_reject(
    refund_ids: tuple[int, ...], reason: str, campaign_id: int | None, db_url: str | None, actor: str | None
) -> None:
    """驳回退费（待审批或支付失败的）/ reject refunds."""
    with session_scope(open_engine(db_url)) as s:
        rows = reject(
            s, get_campaign(s, campaign_id), refund_ids, actor=actor or default_actor(), reason=reason
        )
    click.echo(f"已驳回{len(rows)}笔：{'、'.join(str(r.id) for r in rows)} / rejected {len(rows)}")


@refund.command("file")
@click.option("--channel", type=click.Choice(list(CHANNELS)), required=True, help="支付渠道")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--again", default=None, help="重新生成此前一批（仍待渠道回复）的文件 / write a batch again")
@campaign_option
@db_option
@actor_option
def refund_file(
    channel: str, out: Path, again: str | None, campaign_id: int | None, db_url: str | None, actor: str | None
) -> None:
    """生成退费文件（已审批和支付失败的，含完整身份证号码），并标记为已发送 / write the refund file."""
    fmt_ = "csv" if out.suffix.lower() == ".csv" else "xlsx"
    with session_scope(open_engine(db_url)) as s:
        f = export_refund_file(
            s, get_campaign(s, campaign_id), channel, fmt_, actor=actor or default_actor(), again=again
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(f.content)
    if f.batch_id is None:
        click.echo("没有待发送的退费 / nothing to send")
        return
    click.echo(f"批次{f.batch_id}：{f.count}笔，合计{fmt(f.total)}元，已写入{out} / batch {f.batch_id}")


@refund.command("result")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@campaign_option
@db_option
@actor_option
def refund_result(path: Path, campaign_id: int | None, db_url: str | None, actor: str | None) -> None:
    """导入渠道的支付结果文件（CSV：退费编号、结果、金额（元）、支付日期、渠道流水号、失败原因）。"""
    rows = read_result_file(path.read_bytes(), path.name)
    with session_scope(open_engine(db_url)) as s:
        rep = import_result(s, get_campaign(s, campaign_id), rows, actor=actor or default_actor())
    click.echo(
        f"共{rep.lines}行：支付成功{rep.paid}笔（{fmt(rep.paid_amount)}元），支付失败{rep.failed}笔，"
        f"已导入过{rep.unchanged}笔，未处理{len(rep.problems)}行"
    )
    for p in rep.problems:
        click.echo(f"第{p.line}行 退费编号{p.ref or '（空）'}：{p.message}")


@refund.command("reconcile")
@click.option("--days", type=int, default=7, show_default=True, help="发送后超过此天数仍无结果的列出")
@campaign_option
@db_option
def refund_reconcile(days: int, campaign_id: int | None, db_url: str | None) -> None:
    """退费对账：各状态笔数和金额，发送后久无结果的 / totals by status, sent with no result."""
    with session_scope(open_engine(db_url, write=False)) as s:
        rec = reconcile_refunds(s, get_campaign(s, campaign_id), stale_days=days)
    click.echo("状态\t类别\t笔数\t金额（元）")
    for t in rec.totals:
        click.echo(f"{t.status_zh}\t{t.kind_zh}\t{t.count}\t{fmt(t.amount)}")
    click.echo(f"已审批未支付合计{fmt(rec.outstanding)}元")
    click.echo(f"发送超过{days}天仍无结果：{len(rec.stale)}笔")
    for r in rec.stale:
        click.echo(f"{r.id}\t{r.batch_id}\t{ids.mask(r.id_number)}\t{r.name}\t{fmt(r.amount)}")


__all__ = ["refund"]
