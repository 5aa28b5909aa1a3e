"""CLI: the database and the region tree (urrbmi db / region).

Every command takes ``--db`` (a SQLite file path or a database URL; default ``URRBMI_DATABASE_URL``
or ``./var/urrbmi.sqlite``; only commands that write may create a SQLite file).
"""

from __future__ import annotations

import click

from urrbmi.db.models import LEVELS
from urrbmi.db.session import (
    check_exists,
    connected_revision,
    database_url,
    session_scope,
    shown_url,
    upgrade,
)
from urrbmi.interfaces.cli_common import (
    actor_option,
    db_option,
    open_engine,
)
from urrbmi.registry.audit import default_actor
from urrbmi.registry.regions import add_region, list_regions

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
