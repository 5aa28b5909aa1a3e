"""CLI: the registry and the campaign ledger (urrbmi db / region / resident / campaign / payment).

Every command takes ``--db`` (a SQLite file path or a database URL; default ``URRBMI_DATABASE_URL``
or ``./var/urrbmi.sqlite``; only commands that write may create a SQLite file) and runs in one
transaction: an error leaves the database as it was. Output is JSON (money as exact
numbers) unless stated; ID numbers are masked in everything printed except the roster file.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from urrbmi import clock, ids
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign, repin
from urrbmi.campaign.changes import (
    identity_changes,
    record_external_enrollment,
    register_newborn,
    statement,
)
from urrbmi.campaign.payments import (
    accept_payment,
    apply_payments,
    cancel_payment,
    read_payment_file,
    record_payment,
)
from urrbmi.campaign.reports import duplicate_enrollments, reconcile, write_roster
from urrbmi.campaign.tiers import choose_tier, configure
from urrbmi.db.models import CHANNELS, LEVELS, Campaign
from urrbmi.db.session import (
    check_exists,
    connected_revision,
    database_url,
    session_scope,
    shown_url,
    upgrade,
)
from urrbmi.errors import InvalidInput, code_zh
from urrbmi.imports.effects import retro_subsidies
from urrbmi.interfaces.cli_common import (
    F,
    actor_option,
    campaign_option,
    db_option,
    dumps,
    id_argument,
    id_value,
    open_engine,
    parse_day,
)
from urrbmi.money import fmt, from_fen
from urrbmi.registry.audit import default_actor
from urrbmi.registry.regions import add_region, list_regions
from urrbmi.registry.residents import (
    NewResident,
    add_membership,
    add_resident,
    end_membership,
    update_resident,
)

# --- db ------------------------------------------------------------------------------------


@click.group("db")
def db() -> None:
    """数据库结构迁移 / database schema migrations."""


@db.command("upgrade")
@db_option
def db_upgrade(db_url: str | None) -> None:
    """迁移到最新结构 / migrate to the latest schema."""
    rev = upgrade(db_url)
    click.echo(f"数据库已是最新结构 / database at revision {rev}: {_shown(db_url)}")


@db.command("current")
@db_option
def db_current(db_url: str | None) -> None:
    """显示当前结构版本 / show the current schema revision."""
    url = database_url(db_url)
    check_exists(url)
    click.echo(connected_revision(url)[1] or "none")


def _shown(db_url: str | None) -> str:
    return shown_url(database_url(db_url))


# --- region --------------------------------------------------------------------------------


@click.group("region")
def region() -> None:
    """行政区划 / administrative regions."""


@region.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--level", type=click.Choice(LEVELS), required=True)
@click.option("--parent", default=None)
@db_option
@actor_option
def region_add(
    code: str, name: str, level: str, parent: str | None, db_url: str | None, actor: str | None
) -> None:
    """登记行政区划 / register a region."""
    with session_scope(open_engine(db_url)) as s:
        add_region(s, code, name, level, parent, actor=actor or default_actor())
    click.echo(f"已登记 / added {code} {name}")


@region.command("list")
@click.option("--under", default=None)
@db_option
def region_list(under: str | None, db_url: str | None) -> None:
    """列出行政区划 / list regions."""
    with session_scope(open_engine(db_url, write=False)) as s:
        for r in list_regions(s, under):
            click.echo(f"{r.code}\t{r.level}\t{r.name}\t{r.parent_code or ''}")


# --- resident ------------------------------------------------------------------------------


@click.group("resident")
def resident() -> None:
    """居民登记与缴费查询 / residents and their statements."""


def _resident_options(f: F) -> F:
    for opt in reversed(
        [
            click.option("--name", required=True),
            click.option("--region", "region_code", required=True, help="户籍或居住证所在区划代码"),
            click.option("--residence", type=click.Choice(["hukou", "permit", "none"]), default="hukou"),
            click.option("--student", type=click.Choice(["school", "college"]), default=None),
            click.option("--school", "school_name", default=None),
            click.option("--employee-insured", is_flag=True, help="已参加职工医保"),
            click.option("--household", "household_id", default=None),
            click.option(
                "--guardian",
                "guardian",
                default=None,
                callback=id_value,
                help="监护人身份证号码（或 - / @文件）/ guardian's ID number (or - / @FILE)",
            ),
        ]
    ):
        f = opt(f)
    return f


def _new_resident(id_number: str, kw: dict[str, Any]) -> NewResident:
    return NewResident(
        id_number=id_number,
        name=kw["name"],
        region_code=kw["region_code"],
        residence=kw["residence"],
        student=kw["student"],
        school_name=kw["school_name"],
        employee_insured=kw["employee_insured"],
        household_id=kw["household_id"],
        guardian_id_number=kw["guardian"],
    )


@resident.command("add")
@id_argument
@_resident_options
@click.option("--identity", "identities", multiple=True, help="人员身份（可多次），自今日起有效")
@db_option
@actor_option
def resident_add(
    id_number: str, identities: tuple[str, ...], db_url: str | None, actor: str | None, **kw: Any
) -> None:
    """登记居民 / register a resident."""
    who = actor or default_actor()
    with session_scope(open_engine(db_url)) as s:
        r = add_resident(s, _new_resident(id_number, kw), actor=who)
        for cat in identities:
            add_membership(s, r.id_number, cat, clock.today(), actor=who)
    click.echo(f"已登记 / registered {ids.mask(id_number)}")


@resident.command("show")
@id_argument
@click.option("--on", "on", default=None, help="身份认定日期（默认今天）")
@click.option("--json", "as_json", is_flag=True, help="输出JSON（供程序使用）/ print JSON")
@db_option
def resident_show(id_number: str, on: str | None, as_json: bool, db_url: str | None) -> None:
    """缴费查询：身份、应缴、缴费、待遇期 / identities, amount due, payments, benefit period."""
    with session_scope(open_engine(db_url, write=False)) as s:
        st = statement(s, id_number, parse_day(on))
    click.echo(dumps(st) if as_json else statement_text(st))


@cache
def _web_zh() -> dict[str, str]:
    """The web UI's Chinese labels (one table of statuses and channels for every interface)."""
    path = Path(__file__).parent / "web" / "static" / "i18n" / "zh.json"
    labels: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return labels


def _zh(kind: str, code: str | None) -> str:
    return "—" if code is None else _web_zh().get(f"{kind}.{code}", code)


_SEX_ZH = {"M": "男", "F": "女"}
_ENROLLED_BY_ZH = {
    "payment": "缴费",
    "subsidy": "全额资助",
    "guardian": "随监护人",
    "import": "上年参保名单",
    "external": "外地或其他险种",
}


def statement_text(st: dict[str, Any]) -> str:
    """A resident's statement as an officer reads it at the counter (Chinese, no codes)."""
    out = [
        f"居民：{st['name']}（{st['id_number']}），{_SEX_ZH.get(st['sex'], st['sex'])}，"
        f"{st['birth_date']}出生，区划{st['region_code']}，人员状态：{_zh('resident.status', st['status'])}",
        "当前身份：" + ("、".join(st["identities_now"]) or "无"),
    ]
    for m in st["identities"]:
        # a department without a Chinese name (synthetic data's "synth") is left out, not shown as a code
        known = _web_zh().get(f"source.{m['department']}")
        dept = f"（{known}认定）" if known else ""
        out.append(f"  · {m['category']}{dept}：{m['valid_from']} 至 {m['valid_to'] or '今'}")
    if not st["campaigns"]:
        out.append("参保缴费：尚未核定")
    for c in st["campaigns"]:
        out.append(f"■ {c['benefit_year']}年度（征缴批次{c['campaign']}）")
        if c["assessment"] == "due":
            sub = f"，资助：{c['subsidy_category']}" if c["subsidy_category"] else ""
            out.append(f"  核定：应缴{fmt(c['amount_due'])}元（{c['tier']}档{sub}）")
        elif c["assessment"] == "excluded":
            out.append(f"  核定：不征缴（{c['reason']}）")
        else:
            why = c.get("message") or code_zh(c["reason"] or "error")
            out.append(f"  核定：无法核定 — {why}")
        for p in c["payments"]:
            held = f"，{p['hold_reason']}" if p["hold_reason"] else ""
            receipt = f"，收据号{p['receipt_no']}" if p["receipt_no"] else ""
            out.append(
                f"  缴费：{p['paid_on']} {_zh('channel', p['channel'])} {fmt(p['amount'])}元"
                f"（{_zh('payment.status', p['status'])}{held}{receipt}）"
            )
        if c["enrolled"]:
            by = _ENROLLED_BY_ZH.get(c["enrolled_by"], "")
            bp = c["benefit_period"]
            period = f"，待遇享受期{bp['start']}至{bp['end']}" if bp else ""
            out.append(f"  参保：已参保（{by}）{period}")
        else:
            out.append("  参保：未参保")
    return "\n".join(out)


@resident.command("identity")
@id_argument
@click.argument("category")
@click.option("--from", "valid_from", required=True)
@click.option("--to", "valid_to", default=None)
@click.option("--department", default=None)
@click.option("--batch", "batch_id", default=None)
@click.option("--end", is_flag=True, help="结束该身份（以 --to 为止）")
@db_option
@actor_option
def resident_identity(
    id_number: str,
    category: str,
    valid_from: str,
    valid_to: str | None,
    department: str | None,
    batch_id: str | None,
    end: bool,
    db_url: str | None,
    actor: str | None,
) -> None:
    """登记或结束人员身份 / record (or end) an identity."""
    who = actor or default_actor()
    with session_scope(open_engine(db_url)) as s:
        if end:
            n = end_membership(s, id_number, category, parse_day(valid_to or valid_from), actor=who)
            click.echo(f"已结束{n}条 / ended {n}")
        else:
            to = parse_day(valid_to) if valid_to else None
            m = add_membership(
                s,
                id_number,
                category,
                parse_day(valid_from),
                to,
                department=department,
                batch_id=batch_id,
                actor=who,
            )
            click.echo(f"已登记身份 / identity recorded for {ids.mask(id_number)}")
            n = retro_subsidies(s, [m.resident_id], m.valid_from, actor=who)
            if n:
                click.echo(f"待补发资助参保金 retro-subsidy pending: {n}  (urrbmi refund list)")


def _whole(value: str, zh: str, key: str) -> int | None:
    """A whole number given on the command line; ``none`` (or 无) clears the field."""
    text = value.strip()
    if text.lower() in ("none", "无", ""):
        return None
    if not text.isdigit():
        raise InvalidInput(f"{zh}应为整数：{value}", f"{key} must be a whole number: {value}")
    return int(text)


@resident.command("update")
@id_argument
@click.option("--died-on", default=None)
@click.option("--employee-insured/--no-employee-insured", default=None)
@click.option("--student", type=click.Choice(["school", "college", "none"]), default=None)
@click.option("--region", "region_code", default=None)
@click.option("--employee-ended-on", default=None, help="职工医保终止（中断）日期；同时视为已退出职工医保")
@click.option("--employee-years", default=None, help="职工医保连续缴费年限（整年）")
@click.option("--graduation-year", default=None, help="毕业年份（高校学生；none 清除）")
@click.option("--returning-migrant-year", default=None, help="春节返乡农民工的待遇年度（none 清除）")
@click.option("--reason", default=None)
@db_option
@actor_option
def resident_update(
    id_number: str,
    died_on: str | None,
    employee_insured: bool | None,
    student: str | None,
    region_code: str | None,
    employee_ended_on: str | None,
    employee_years: str | None,
    graduation_year: str | None,
    returning_migrant_year: str | None,
    reason: str | None,
    db_url: str | None,
    actor: str | None,
) -> None:
    """修改居民信息（保留历史）/ change a resident (history kept)."""
    changes: dict[str, Any] = {}
    if died_on is not None:
        changes["died_on"] = parse_day(died_on)
    if employee_insured is not None:
        changes["employee_insured"] = employee_insured
    if employee_ended_on is not None:
        changes["employee_insurance_ended_on"] = parse_day(employee_ended_on)
    for key, value, zh in (
        ("employee_insurance_years", employee_years, "职工医保缴费年限"),
        ("graduation_year", graduation_year, "毕业年份"),
        ("returning_migrant_year", returning_migrant_year, "春节返乡务工年度"),
    ):
        if value is not None:
            changes[key] = _whole(value, zh, key)
    if student is not None:
        changes["student"] = None if student == "none" else student
    if region_code is not None:
        changes["region_code"] = region_code
    with session_scope(open_engine(db_url)) as s:
        update_resident(s, id_number, changes, actor=actor or default_actor(), reason=reason)
    click.echo(f"已修改 / updated {ids.mask(id_number)}")


@resident.command("newborn")
@id_argument
@_resident_options
@click.option("--campaign", "campaign_id", type=int, default=None)
@click.option("--on", "on", default=None, help="登记日期（默认今天）")
@db_option
@actor_option
def resident_newborn(
    id_number: str, campaign_id: int | None, on: str | None, db_url: str | None, actor: str | None, **kw: Any
) -> None:
    """新生儿登记（可随已参保监护人参保）/ register a newborn (may follow an enrolled guardian)."""
    with session_scope(open_engine(db_url)) as s:
        c = get_campaign(s, campaign_id)
        out = register_newborn(
            s, c, _new_resident(id_number, kw), parse_day(on), actor=actor or default_actor()
        )
        a = out.assessment
        click.echo(
            dumps(
                {
                    "id_number": ids.mask(id_number),
                    "enrolled_with_guardian": out.enrolled_with_guardian,
                    "assessment": a.status,
                    "reason": a.reason,
                    "amount_due": None if a.total_due_fen is None else Decimal(a.total_due_fen) / 100,
                    "benefit_start": a.benefit_start,
                }
            )
        )


@resident.command("enrolled-elsewhere")
@id_argument
@click.option("--year", type=int, required=True)
@click.option("--region", "region_code", required=True)
@click.option("--type", "insurance_type", type=click.Choice(["310", "390", "392"]), default="390")
@click.option("--on", "on", default=None)
@db_option
@actor_option
def resident_elsewhere(
    id_number: str,
    year: int,
    region_code: str,
    insurance_type: str,
    on: str | None,
    db_url: str | None,
    actor: str | None,
) -> None:
    """记录在外地或其他险种的参保 / record an enrollment elsewhere (platform report)."""
    with session_scope(open_engine(db_url)) as s:
        record_external_enrollment(
            s,
            id_number,
            year,
            region_code,
            insurance_type=insurance_type,
            enrolled_on=parse_day(on),
            actor=actor or default_actor(),
        )
    click.echo(f"已记录 / recorded for {ids.mask(id_number)}")


# --- campaign ------------------------------------------------------------------------------


@click.group("campaign")
def campaign() -> None:
    """年度参保缴费征缴 / the annual enrollment and contribution campaign."""


@campaign.command("create")
@click.option("--policy", "policy_id", required=True)
@click.option("--region", "region_code", required=True)
@db_option
@actor_option
def campaign_create(policy_id: str, region_code: str, db_url: str | None, actor: str | None) -> None:
    """按政策为区划开设年度征缴 / open a campaign for a region under a policy."""
    with session_scope(open_engine(db_url)) as s:
        c = create_campaign(s, policy_id, region_code, actor=actor or default_actor())
        click.echo(
            f"征缴批次 / campaign {c.id}: {c.region_code} {c.benefit_year} {c.policy_id}@{c.policy_version}"
        )


@campaign.command("list")
@db_option
def campaign_list(db_url: str | None) -> None:
    """列出征缴批次 / list campaigns."""
    with session_scope(open_engine(db_url, write=False)) as s:
        for c in s.scalars(select(Campaign).order_by(Campaign.id)):
            click.echo(f"{c.id}\t{c.region_code}\t{c.benefit_year}\t{c.policy_id}@{c.policy_version}")


@campaign.command("repin")
@campaign_option
@db_option
@actor_option
def campaign_repin(campaign_id: int | None, db_url: str | None, actor: str | None) -> None:
    """确认已变更的政策文件 / accept a reviewed change of the policy file."""
    with session_scope(open_engine(db_url)) as s:
        v = repin(s, get_campaign(s, campaign_id), actor=actor or default_actor())
    click.echo(f"已确认政策版本 / policy version {v}")


@campaign.command("assess")
@campaign_option
@click.option("--as-of", "as_of", default=None, help="按此缴费日期核定（默认今天）")
@click.option(
    "--tier",
    type=int,
    default=None,
    help="未选档次居民按此档核定（默认：批次默认档次）/ tier for residents who have not chosen one",
)
@click.option(
    "--changed-only",
    is_flag=True,
    help="只重新核定身份有变化的居民 / only residents whose identities changed since their assessment",
)
@db_option
@actor_option
def campaign_assess(
    campaign_id: int | None,
    as_of: str | None,
    tier: int | None,
    changed_only: bool,
    db_url: str | None,
    actor: str | None,
) -> None:
    """核定区划内每位居民的应缴金额 / assess every resident of the region."""
    with session_scope(open_engine(db_url)) as s:
        c = get_campaign(s, campaign_id)
        summary = assess(
            s, c, parse_day(as_of), tier=tier, actor=actor or default_actor(), only_changed=changed_only
        )
    click.echo(dumps(summary.as_dict()))


@campaign.command("tier")
@id_argument
@click.argument("tier", type=int)
@campaign_option
@click.option("--on", "on", default=None, help="未核定过的居民按此日期核定（默认今天）")
@db_option
@actor_option
def campaign_tier(
    id_number: str, tier: int, campaign_id: int | None, on: str | None, db_url: str | None, actor: str | None
) -> None:
    """登记居民选择的缴费档次并重新核定 / record the tier a resident chose and re-assess them."""
    with session_scope(open_engine(db_url)) as s:
        c = get_campaign(s, campaign_id)
        summary = choose_tier(s, c, id_number, tier, actor=actor or default_actor(), on=parse_day(on))
    click.echo(dumps({"id_number": ids.mask(id_number), "tier": tier} | summary.as_dict()))


@campaign.command("configure")
@campaign_option
@click.option("--default-tier", type=int, default=None, help="未选档次居民的默认档次")
@click.option(
    "--enroll-subsidised/--no-enroll-subsidised",
    default=None,
    help="核定时为全额资助居民直接办理参保 / enroll fully subsidised residents at assessment",
)
@db_option
@actor_option
def campaign_configure(
    campaign_id: int | None,
    default_tier: int | None,
    enroll_subsidised: bool | None,
    db_url: str | None,
    actor: str | None,
) -> None:
    """批次设置 / campaign settings (default tier, enrollment of fully subsidised residents)."""
    with session_scope(open_engine(db_url)) as s:
        c = configure(
            s,
            get_campaign(s, campaign_id),
            default_tier=default_tier,
            enroll_subsidised=enroll_subsidised,
            actor=actor or default_actor(),
        )
        click.echo(
            dumps(
                {"campaign": c.id, "default_tier": c.default_tier, "enroll_subsidised": c.enroll_subsidised}
            )
        )


@campaign.command("roster")
@campaign_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="xlsx")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--include-paid", is_flag=True)
@db_option
def campaign_roster(
    campaign_id: int | None, fmt: str, output: Path, include_paid: bool, db_url: str | None
) -> None:
    """征缴名册（交税务部门）/ the collection roster for the tax bureau."""
    with session_scope(open_engine(db_url, write=False)) as s:
        n = write_roster(s, get_campaign(s, campaign_id), output, fmt, include_paid=include_paid)
    click.echo(f"已写出{n}人 / wrote {n} rows to {output}")


@campaign.command("reconcile")
@campaign_option
@click.option("--statement", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--channel", default=None)
@db_option
def campaign_reconcile(
    campaign_id: int | None, statement: Path | None, channel: str | None, db_url: str | None
) -> None:
    """对账：已匹配、未匹配、重复、金额不符 / matched, unmatched, duplicates, mismatches."""
    if statement is not None and channel is None:
        raise InvalidInput(
            "给出 --statement 对账文件时须同时给出 --channel 渠道",
            "--statement needs --channel",
            code="missing_input",
        )
    with session_scope(open_engine(db_url, write=False)) as s:
        rec = reconcile(s, get_campaign(s, campaign_id), statement=statement, channel=channel)
    click.echo(dumps(rec.as_dict()))


@campaign.command("identity-changes")
@campaign_option
@click.option("--on", "on", default=None, help="身份认定日期（默认今天）")
@db_option
@actor_option
def campaign_identity_changes(
    campaign_id: int | None, on: str | None, db_url: str | None, actor: str | None
) -> None:
    """缴费后身份变化的退补名单 / refund list after identity changes (per the policy)."""
    with session_scope(open_engine(db_url)) as s:
        items = identity_changes(
            s, get_campaign(s, campaign_id), parse_day(on), actor=actor or default_actor()
        )
    click.echo(dumps([i.as_dict() for i in items]))


@campaign.command("duplicates")
@campaign_option
@db_option
def campaign_duplicates(campaign_id: int | None, db_url: str | None) -> None:
    """重复参保名单 / residents enrolled more than once for the benefit year."""
    with session_scope(open_engine(db_url, write=False)) as s:
        c = get_campaign(s, campaign_id)
        click.echo(dumps(duplicate_enrollments(s, c.benefit_year)))


# --- payment -------------------------------------------------------------------------------


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
