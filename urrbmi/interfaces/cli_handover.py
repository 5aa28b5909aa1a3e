"""`urrbmi handover …`: a village agent's cash, day by day (日清日结), handed over in a batch and
confirmed by the receiving officer (现金解缴, :mod:`urrbmi.campaign.handover`)."""

from __future__ import annotations

from typing import Any

import click

from urrbmi import ids
from urrbmi.campaign.campaigns import get_campaign
from urrbmi.campaign.handover import (
    confirm_handover,
    daily_cash,
    handover_report,
    list_handovers,
    stale_cash,
    submit_handover,
)
from urrbmi.campaign.payments import parse_amount
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidInput
from urrbmi.interfaces.cli_common import actor_option, campaign_option, db_option, open_engine, parse_day
from urrbmi.money import from_fen
from urrbmi.registry.audit import default_actor

STATUS_ZH = {"accepted": "已入账", "held": "挂起待审核", "refunded": "已退费", "unmatched": "未匹配"}


@click.group("handover")
def handover() -> None:
    """现金日清日结与解缴 / agents' daily cash and its handover."""


def _agent_option(f: Any) -> Any:
    return click.option(
        "--agent", default=None, help="代办员（收款人，默认为操作人）/ the agent (default: --actor)"
    )(f)


@handover.command("daily")
@click.option("--day", default=None, help="日期 YYYY-MM-DD（默认今天）")
@_agent_option
@campaign_option
@db_option
@actor_option
def handover_daily(
    day: str | None, agent: str | None, campaign_id: int | None, db_url: str | None, actor: str | None
) -> None:
    """代办员当日现金收款（日清日结）/ an agent's cash receipts of a day."""
    who = agent or actor or default_actor()
    with session_scope(open_engine(db_url, write=False)) as s:
        d = daily_cash(s, get_campaign(s, campaign_id), who, parse_day(day))
        click.echo(
            f"代办员{d.agent} {d.day} 现金收款{d.receipts}笔，合计{from_fen(d.amount_fen)}元，"
            f"其中已解缴{from_fen(d.handed_over_fen)}元"
        )
        for x in d.lines:
            batch = f"解缴批次{x.handover_id}" if x.handover_id is not None else "未解缴"
            click.echo(
                f"  收据{x.receipt_no or '—'} 流水号{x.external_ref} {ids.mask(x.id_number)} "
                f"{from_fen(x.amount_fen)}元 {STATUS_ZH.get(x.status, x.status)} {batch}"
            )


@handover.command("submit")
@click.option("--through", default=None, help="解缴截至日期（含，默认今天）")
@click.option("--region", "region_code", default=None, help="代办员所属区划（默认征缴批次区划）")
@_agent_option
@campaign_option
@db_option
@actor_option
def handover_submit(
    through: str | None,
    region_code: str | None,
    agent: str | None,
    campaign_id: int | None,
    db_url: str | None,
    actor: str | None,
) -> None:
    """提交现金解缴：截至某日未解缴的现金收款成一批 / hand over the agent's cash up to a day."""
    by = actor or default_actor()
    with session_scope(open_engine(db_url)) as s:
        c = get_campaign(s, campaign_id)
        h = submit_handover(
            s,
            c,
            agent=agent or by,
            region_code=region_code or c.region_code,
            through=parse_day(through),
            actor=by,
        )
        click.echo(
            f"已提交解缴批次{h.id}：代办员{h.agent} {h.first_day}至{h.last_day} 现金收款{h.receipts}笔，"
            f"应解缴{from_fen(h.expected_fen)}元"
        )


@handover.command("confirm")
@click.argument("handover_id", type=int)
@click.option("--received", required=True, help="清点实收金额（元）")
@click.option("--reason", default=None, help="差额原因（有短款或长款时必填）")
@campaign_option
@db_option
@actor_option
def handover_confirm(
    handover_id: int,
    received: str,
    reason: str | None,
    campaign_id: int | None,
    db_url: str | None,
    actor: str | None,
) -> None:
    """清点并确认现金解缴，报告差额 / count and confirm a cash handover (differences reported)."""
    try:
        fen = parse_amount(received)
    except ValueError as exc:
        raise InvalidInput(str(exc), f"invalid amount received: {received!r}") from None
    with session_scope(open_engine(db_url)) as s:
        c = get_campaign(s, campaign_id)
        confirm_handover(
            s, c, handover_id, received=from_fen(fen), reason=reason, actor=actor or default_actor()
        )
        (row,) = [r for r in list_handovers(s, c) if r["id"] == handover_id]
        click.echo(
            f"已确认解缴批次{handover_id}：应解缴{row['expected']}元，实收{row['received']}元，{row['difference_zh']}"
            + (f"；原因：{row['difference_reason']}" if row["difference_reason"] else "")
        )


@handover.command("list")
@click.option("--agent", default=None, help="只看某代办员")
@click.option("--status", type=click.Choice(["submitted", "confirmed"]), default=None, help="状态")
@click.option("--region", "scope", default="", help="区划范围（区划代码前缀）")
@campaign_option
@db_option
def handover_list(
    agent: str | None, status: str | None, scope: str, campaign_id: int | None, db_url: str | None
) -> None:
    """解缴批次列表 / cash handover batches."""
    with session_scope(open_engine(db_url, write=False)) as s:
        rows = list_handovers(s, get_campaign(s, campaign_id), scope=scope, agent=agent, status=status)
        if not rows:
            click.echo("没有解缴批次")
        for r in rows:
            got = "" if r["received"] is None else f"，实收{r['received']}元，{r['difference_zh']}"
            after = f"，解缴后撤销{r['cancelled_after']}笔" if r["cancelled_after"] else ""
            click.echo(
                f"批次{r['id']} {r['status_zh']} 代办员{r['agent']} {r['first_day']}至{r['last_day']} "
                f"{r['receipts']}笔，应解缴{r['expected']}元{got}{after}"
            )


@handover.command("report")
@click.option("--older-than", "older_than", type=int, default=None, help="只列超过N天未解缴的现金")
@click.option("--region", "scope", default="", help="区划范围（区划代码前缀）")
@campaign_option
@db_option
def handover_report_cmd(
    older_than: int | None, scope: str, campaign_id: int | None, db_url: str | None
) -> None:
    """按代办员和日期：收款、已解缴、已确认、差额；或超期未解缴的现金 / the handover report."""
    with session_scope(open_engine(db_url, write=False)) as s:
        c = get_campaign(s, campaign_id)
        if older_than is not None:
            stale = stale_cash(s, c, older_than_days=older_than, scope=scope)
            if not stale:
                click.echo(f"没有超过{older_than}天未解缴的现金")
            for r in stale:
                click.echo(
                    f"代办员{r['agent']} 未解缴现金{r['receipts']}笔，{r['amount']}元，最早{r['oldest_day']}"
                )
            return
        for r in handover_report(s, c, scope=scope):
            diff = "" if r["difference"] is None else f"，差额：{r['difference_zh']}"
            click.echo(
                f"{r['day']} 代办员{r['agent']} 收款{r['receipts']}笔{r['received']}元，"
                f"已解缴{r['handed_over']}元，已确认{r['confirmed']}元，未解缴{r['not_handed_over']}元{diff}"
            )
