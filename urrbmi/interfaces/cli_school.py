"""`urrbmi school …`: schools as payers (学校代缴, :mod:`urrbmi.campaign.schools`): register a
school, upload its roster, its statement, one payment for its pupils, progress by school."""

from __future__ import annotations

from pathlib import Path

import click

from urrbmi import ids
from urrbmi.campaign.campaigns import get_campaign
from urrbmi.campaign.payments import HOLD_ZH, parse_amount, read_payment_file
from urrbmi.campaign.schools import (
    confirm_roster,
    get_school,
    list_schools,
    pay_school,
    pay_school_file,
    register_school,
    school_progress,
    statement,
    statement_file,
    upload_roster,
)
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidInput
from urrbmi.interfaces.cli_common import actor_option, campaign_option, db_option, open_engine, parse_day
from urrbmi.money import from_fen
from urrbmi.registry.audit import default_actor

CHANNEL_ZH = {
    "cash": "现金",
    "pos": "POS刷卡",
    "wechat": "微信",
    "alipay": "支付宝",
    "unionpay": "云闪付",
    "bank": "银行转账",
    "tax": "税务",
}
STATUS_ZH = {"accepted": "已入账", "held": "挂起待审核", "unmatched": "未匹配", "refunded": "已退费"}


@click.group("school")
def school() -> None:
    """学校代缴：登记学校、学生名册、缴费清单、统一缴费、按学校的参保进度 / schools paying for pupils."""


@school.command("register")
@click.option("--name", required=True, help="学校名称")
@click.option("--region", "region_code", required=True, help="学校所在区划代码（乡镇或村）")
@click.option("--code", default=None, help="学校标识码（可选）")
@db_option
@actor_option
def school_register(
    name: str, region_code: str, code: str | None, db_url: str | None, actor: str | None
) -> None:
    """登记学校 / register a school."""
    with session_scope(open_engine(db_url)) as s:
        sc = register_school(s, name=name, region_code=region_code, code=code, actor=actor or default_actor())
        click.echo(f"已登记学校{sc.id}：{sc.name}（区划{sc.region_code}）")


@school.command("list")
@click.option("--region", "scope", default="", help="区划范围（区划代码前缀）")
@db_option
def school_list(scope: str, db_url: str | None) -> None:
    """学校列表 / schools."""
    with session_scope(open_engine(db_url, write=False)) as s:
        rows = list_schools(s, scope=scope)
        if not rows:
            click.echo("没有登记的学校")
        for sc in rows:
            click.echo(
                f"学校{sc.id} {sc.name} 区划{sc.region_code}" + (f" 学校标识码{sc.code}" if sc.code else "")
            )


@school.command("roster")
@click.argument("school_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option("--from-registry", is_flag=True, help="确认居民登记册中登记为该校学生的居民为名册（代替文件）")
@campaign_option
@db_option
@actor_option
def school_roster(
    school_id: int,
    file: Path | None,
    from_registry: bool,
    campaign_id: int | None,
    db_url: str | None,
    actor: str | None,
) -> None:
    """上传学生名册（CSV/XLSX：身份证号码、姓名、班级）或确认登记册中的学生，替换该校本批次名册 /
    upload or confirm a school's roster."""
    if (file is None) == (not from_registry):
        raise InvalidInput(
            "请给出名册文件或 --from-registry（二者之一）", "give a roster file or --from-registry"
        )
    with session_scope(open_engine(db_url)) as s:
        sc = get_school(s, school_id)
        c = get_campaign(s, campaign_id)
        who = actor or default_actor()
        if file is None:
            res = confirm_roster(s, sc, c, actor=who)
        else:
            res = upload_roster(s, sc, c, file.read_bytes(), file_name=file.name, actor=who)
        click.echo(
            f"{sc.name}：名册{res.rows}行，登记学生{res.pupils}人，移出{res.removed}人，"
            f"标记为在校学生并重新核定{res.students_marked}人，有问题的行{len(res.problems)}行"
        )
        for p in res.problems:
            click.echo(f"  第{p.row}行 {p.column}“{p.value}”：{p.zh}")


@school.command("statement")
@click.argument("school_id", type=int)
@click.option("--on", "on", default=None, help="缴费日期 YYYY-MM-DD（默认今天）")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="导出文件（.xlsx 或 .csv）",
)
@click.option("--full-ids", is_flag=True, help="导出完整身份证号码（默认遮蔽）")
@campaign_option
@db_option
def school_statement(
    school_id: int,
    on: str | None,
    out: Path | None,
    full_ids: bool,
    campaign_id: int | None,
    db_url: str | None,
) -> None:
    """学校缴费清单：每名学生应缴金额和合计 / a school's statement: each pupil's amount due and the total."""
    with session_scope(open_engine(db_url, write=False)) as s:
        st = statement(s, get_school(s, school_id), get_campaign(s, campaign_id), parse_day(on))
        click.echo(
            f"{st.school_name} 按缴费日期{st.on}：名册{len(st.lines)}人，应缴{len(st.due)}人，"
            f"合计{from_fen(st.total_fen)}元，已参保{st.enrolled}人"
        )
        if out is not None:
            fmt = "csv" if out.suffix.lower() == ".csv" else "xlsx"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(statement_file(st, full_ids=full_ids, fmt=fmt))
            click.echo(f"缴费清单已导出：{out}")
            return
        for x in st.lines:
            amount = "" if x.due_fen is None else f" {from_fen(x.due_fen)}元"
            why = f"（{x.reason_zh}）" if x.reason_zh else ""
            click.echo(f"  {x.class_name or ''} {x.name} {ids.mask(x.id_number)} {x.status_zh}{amount}{why}")


@school.command("pay")
@click.argument("school_id", type=int)
@click.option("--amount", default=None, help="学校缴入的总金额（元），须等于缴费清单合计")
@click.option("--ref", "external_ref", default=None, help="交易流水号（学校转账的凭证号）")
@click.option("--paid-on", "paid_on", default=None, help="缴费日期 YYYY-MM-DD（默认今天）")
@click.option(
    "--channel",
    type=click.Choice(["bank", "tax", "wechat", "alipay", "unionpay", "pos", "cash"]),
    default="bank",
    help="缴费渠道（默认银行转账）",
)
@click.option(
    "--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
    help="渠道缴费文件（逐个学生，代替 --amount）",
)  # fmt: skip
@campaign_option
@db_option
@actor_option
def school_pay(
    school_id: int,
    amount: str | None,
    external_ref: str | None,
    paid_on: str | None,
    channel: str,
    file: Path | None,
    campaign_id: int | None,
    db_url: str | None,
    actor: str | None,
) -> None:
    """学校统一缴费：一笔总金额（或渠道文件），每名学生入账、收据、参保 / the school pays."""
    who = actor or default_actor()
    if file is not None:
        lines = read_payment_file(file)
        with session_scope(open_engine(db_url)) as s:
            sc = get_school(s, school_id)
            summary = pay_school_file(s, sc, get_campaign(s, campaign_id), lines, channel=channel, actor=who)
            held = "、".join(f"{HOLD_ZH.get(k, '待审核')}{n}笔" for k, n in summary.held.items())
            click.echo(
                f"{sc.name}：{CHANNEL_ZH[channel]}文件{summary.lines}行，"
                f"入账{summary.status.get('accepted', 0)}笔，"
                f"挂起{summary.status.get('held', 0)}笔"
                + (f"（{held}）" if held else "")
                + f"，重复{summary.replayed}行"
            )
        return
    if amount is None or external_ref is None:
        raise InvalidInput("请给出 --amount 和 --ref（或 --file）", "give --amount and --ref (or --file)")
    try:
        fen = parse_amount(amount)
    except ValueError as exc:
        raise InvalidInput(str(exc), f"invalid amount: {amount!r}") from None
    with session_scope(open_engine(db_url)) as s:
        sc = get_school(s, school_id)
        paid = pay_school(
            s, sc, get_campaign(s, campaign_id), amount=from_fen(fen), channel=channel,
            external_ref=external_ref, paid_on=parse_day(paid_on), actor=who,
        )  # fmt: skip
        again = "（此流水号已入账，未重复入账）" if paid.replayed else ""
        click.echo(
            f"{sc.name} {CHANNEL_ZH[channel]}缴费{from_fen(paid.amount_fen)}元{again}："
            f"学生{len(paid.receipts)}人，"
            f"入账{paid.accepted}人，挂起待审核{paid.held}人"
        )
        for r in paid.receipts:
            receipt = f"收据{r.receipt_no}" if r.receipt_no is not None else "无收据"
            click.echo(
                f"  {r.name} {ids.mask(r.id_number)} {from_fen(r.amount_fen)}元 "
                f"{STATUS_ZH.get(r.status, '待审核')} {receipt}"
            )


@school.command("progress")
@click.option("--on", "on", default=None, help="统计日期 YYYY-MM-DD（默认今天）")
@click.option("--region", "scope", default="", help="区划范围（区划代码前缀）")
@campaign_option
@db_option
def school_progress_cmd(on: str | None, scope: str, campaign_id: int | None, db_url: str | None) -> None:
    """按学校的参保进度：名册人数、已参保、参保率 / progress by school."""
    with session_scope(open_engine(db_url, write=False)) as s:
        rows = school_progress(s, get_campaign(s, campaign_id), parse_day(on), scope=scope)
        if not rows:
            click.echo("没有上传名册的学校")
        for r in rows:
            rate = "—" if r.rate is None else f"{r.rate * 100:.2f}%"
            target = "" if r.target_rate is None else f"，目标{r.target_rate * 100:.2f}%，还差{r.remaining}人"
            click.echo(
                f"{r.region_name} {r.name}：名册{r.roster}人，已参保{r.enrolled}人，参保率{rate}{target}"
            )
