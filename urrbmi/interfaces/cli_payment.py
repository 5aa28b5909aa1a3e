"""CLI: payments (urrbmi payment record / import / accept / cancel): the counter payment, a
channel's file, a held payment accepted, a payment cancelled, each through the ledger.

Every command takes ``--db`` and runs in one transaction: an error leaves the database as it was.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click

from urrbmi import ids
from urrbmi.campaign.campaigns import get_campaign
from urrbmi.campaign.payments import (
    accept_payment,
    apply_payments,
    cancel_payment,
    read_payment_file,
    record_payment,
)
from urrbmi.db.models import CHANNELS
from urrbmi.db.session import (
    session_scope,
)
from urrbmi.interfaces.cli_common import (
    actor_option,
    campaign_option,
    db_option,
    dumps,
    id_argument,
    open_engine,
    parse_day,
)
from urrbmi.money import from_fen
from urrbmi.registry.audit import default_actor


@click.group("payment")
def payment() -> None:
    """缴费入账 / recording payments."""


@payment.command("record")
@id_argument
@click.option("--amount", required=True, help="金额（元）")
@click.option("--channel", type=click.Choice(["cash", "pos"]), default="cash")
@click.option("--ref", "external_ref", required=True, help="收据或POS流水号")
@click.option("--paid-on", "paid_on", default=None, help="缴费日期（默认今天，不得晚于今天）")
@click.option(
    "--backdate",
    is_flag=True,
    help="经办人员补录早于补录期限（URRBMI_BACKDATE_DAYS，默认7天）的缴费 / an officer backdates (audited)",
)
@campaign_option
@db_option
@actor_option
def payment_record(
    id_number: str,
    amount: str,
    channel: str,
    external_ref: str,
    paid_on: str | None,
    backdate: bool,
    campaign_id: int | None,
    db_url: str | None,
    actor: str | None,
) -> None:
    """村代办员现金或POS收款入账 / record one payment (village agent, cash or POS).

    金额须等于应缴金额，否则拒绝并提示应缴金额 / an amount other than the amount due is refused."""
    with session_scope(open_engine(db_url)) as s:
        c = get_campaign(s, campaign_id)
        res = record_payment(
            s,
            c,
            id_number=id_number,
            amount=Decimal(amount),
            channel=channel,
            external_ref=external_ref,
            paid_on=parse_day(paid_on),
            actor=actor or default_actor(),
            may_backdate=backdate,
        )
        p = res.payment
        click.echo(
            dumps(
                {
                    "payment": p.id,
                    "id_number": ids.mask(p.id_number),
                    "status": p.status,
                    "hold_reason": p.hold_reason,
                    "amount": Decimal(p.amount_fen) / 100,
                    "due": None if p.due_fen is None else Decimal(p.due_fen) / 100,
                    "receipt_no": res.receipt_no,
                    "replayed": res.replayed,
                }
            )
        )


@payment.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--channel", type=click.Choice(["wechat", "alipay", "unionpay", "bank", "tax"]), required=True)
@campaign_option
@db_option
@actor_option
def payment_import(
    file: Path, channel: str, campaign_id: int | None, db_url: str | None, actor: str | None
) -> None:
    """批量导入渠道缴费文件（一个事务）/ import a channel's payment file (one transaction)."""
    lines = read_payment_file(file)
    with session_scope(open_engine(db_url)) as s:
        c = get_campaign(s, campaign_id)
        summary = apply_payments(s, c, channel, lines, actor=actor or default_actor())
    click.echo(dumps(summary.as_dict()))


@payment.command("accept")
@click.option("--payment", "payment_id", type=int, required=True, help="缴费编号（payment list 中的 id）")
@click.option("--reason", required=True, help="审核意见")
@campaign_option
@db_option
@actor_option
def payment_accept(
    payment_id: int, reason: str, campaign_id: int | None, db_url: str | None, actor: str | None
) -> None:
    """审核后接受挂起的缴费（办理参保）/ accept a held payment after review (enrolls the resident)."""
    with session_scope(open_engine(db_url)) as s:
        out = accept_payment(
            s,
            get_campaign(s, campaign_id),
            payment_id=payment_id,
            reason=reason,
            actor=actor or default_actor(),
        )
        p = out.payment
        click.echo(
            dumps(
                {
                    "payment": p.id,
                    "id_number": ids.mask(p.id_number),
                    "status": p.status,
                    "receipt_no": out.receipt_no,
                    "amount": from_fen(p.amount_fen),
                    "due": None if p.due_fen is None else from_fen(p.due_fen),
                }
            )
        )


@payment.command("cancel")
@click.argument("external_ref")
@click.option("--channel", type=click.Choice(list(CHANNELS)), required=True)
@click.option("--reason", required=True, help="退费原因")
@click.option(
    "--officer",
    is_flag=True,
    help="经办人员撤销已解缴的现金收据（记入审计）/ an officer cancels a handed-over cash receipt",
)
@campaign_option
@db_option
@actor_option
def payment_cancel(
    external_ref: str,
    channel: str,
    reason: str,
    officer: bool,
    campaign_id: int | None,
    db_url: str | None,
    actor: str | None,
) -> None:
    """退费或撤销缴费（生成待退费记录）/ refund or cancel a payment (pending refund)."""
    with session_scope(open_engine(db_url)) as s:
        p = cancel_payment(
            s,
            get_campaign(s, campaign_id),
            channel=channel,
            external_ref=external_ref,
            reason=reason,
            actor=actor or default_actor(),
            may_cancel_handed_over=officer,
        )
        click.echo(f"已退费 / refunded: {p.channel} {p.external_ref} {ids.mask(p.id_number)}")
