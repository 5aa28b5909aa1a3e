"""CLI: campaigns (urrbmi campaign create / list / repin / assess / tier / configure / roster /
reconcile / identity-changes / duplicates).

Every command takes ``--db`` and runs in one transaction: an error leaves the database as it was.
Output is JSON (money as exact numbers) unless stated; ID numbers are masked in everything
printed except the roster file.
"""

from __future__ import annotations

from pathlib import Path

import click

from urrbmi import ids
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign, list_campaigns, repin
from urrbmi.campaign.changes import (
    identity_changes,
)
from urrbmi.campaign.reports import duplicate_enrollments, reconcile, write_roster
from urrbmi.campaign.tiers import choose_tier, configure
from urrbmi.db.session import (
    session_scope,
)
from urrbmi.errors import InvalidInput
from urrbmi.interfaces.cli_common import (
    actor_option,
    campaign_option,
    db_option,
    dumps,
    id_argument,
    open_engine,
    parse_day,
)
from urrbmi.registry.audit import default_actor


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
        for c in list_campaigns(s):
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
        rec = reconcile(
            s,
            get_campaign(s, campaign_id),
            statement=None if statement is None else statement.read_bytes(),
            channel=channel,
            statement_name=statement.name if statement is not None else "statement.csv",
        )
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
