"""CLI: the registry's residents (urrbmi resident add / show / identity / update / newborn /
enrolled-elsewhere).

Every command takes ``--db`` and runs in one transaction: an error leaves the database as it was.
Output is JSON (money as exact numbers) unless stated; ID numbers are masked in everything
printed; ``resident show`` prints a readable statement in Chinese.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import click

from urrbmi import clock, ids
from urrbmi.campaign.campaigns import get_campaign
from urrbmi.campaign.changes import (
    record_external_enrollment,
    register_newborn,
    statement,
)
from urrbmi.db.session import (
    session_scope,
)
from urrbmi.errors import InvalidInput, code_zh
from urrbmi.imports.effects import retro_subsidies
from urrbmi.interfaces.cli_common import (
    F,
    actor_option,
    db_option,
    dumps,
    id_argument,
    id_value,
    open_engine,
    parse_day,
)
from urrbmi.money import fmt
from urrbmi.registry.audit import default_actor
from urrbmi.registry.residents import (
    NewResident,
    add_membership,
    add_resident,
    end_membership,
    update_resident,
)


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
