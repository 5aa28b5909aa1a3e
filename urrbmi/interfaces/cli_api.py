"""`urrbmi serve` (the REST API), `urrbmi user` (accounts) and `urrbmi channel` (payment channels
that post notifications)."""

from __future__ import annotations

import click

from urrbmi.access import accounts
from urrbmi.access.channels import add_channel
from urrbmi.access.roles import ROLE_ZH
from urrbmi.db.models import CHANNELS
from urrbmi.db.models_access import ROLES
from urrbmi.db.session import open_db, session_scope
from urrbmi.registry.audit import default_actor


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 / bind address")
@click.option("--port", default=8000, show_default=True, type=int, help="端口 / port")
@click.option("--workers", default=1, show_default=True, type=int, help="进程数 / worker processes")
@click.option("--db", "db_url", default=None, help="数据库URL（默认 URRBMI_DATABASE_URL 或内置SQLite）")
@click.option("--proxy-headers/--no-proxy-headers", default=False, help="信任反向代理的 X-Forwarded-* 头")
def serve(host: str, port: int, workers: int, db_url: str | None, proxy_headers: bool) -> None:
    """启动REST API服务 / start the REST API server (OpenAPI docs at /docs)."""
    import os

    import uvicorn

    if db_url:
        os.environ["URRBMI_DATABASE_URL"] = db_url  # workers are separate processes: pass it on
    open_db(db_url)  # fail now (not on the first request) if the database is not migrated
    uvicorn.run(
        "urrbmi.interfaces.api:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
    )


def _password(value: str | None) -> str:
    if value:
        return value
    return str(click.prompt("密码 / password", hide_input=True, confirmation_prompt=True))


@click.group("user")
def user() -> None:
    """API账号：医保局管理员、经办人员、乡镇、村代办员、部门报送、审计、财政 / API accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="角色 / role")
@click.option("--region", "region_code", required=True, help="管辖区划代码 / region subtree")
@click.option("--source", "sources", multiple=True, help="部门报送员可报送的名单来源（可多次）")
@click.option("--name", "display_name", default="", help="姓名 / display name")
@click.option(
    "--password",
    default=None,
    help="密码（不给则提示输入；也可用 URRBMI_PASSWORD）",
    envvar="URRBMI_PASSWORD",
)
@click.option("--db", "db_url", default=None)
def user_add(
    username: str,
    role: str,
    region_code: str,
    sources: tuple[str, ...],
    display_name: str,
    password: str | None,
    db_url: str | None,
) -> None:
    """新建账号（第一个管理员也用它建）/ create an account (also the first administrator)."""
    with session_scope(open_db(db_url)) as s:
        accounts.create_user(
            s,
            username,
            _password(password),
            role,
            region_code,
            sources=sources,
            display_name=display_name,
            actor=default_actor(),
        )
    click.echo(f"已建账号 / created {username} ({ROLE_ZH[role]}, {region_code})")


@user.command("list")
@click.option("--db", "db_url", default=None)
def user_list(db_url: str | None) -> None:
    """列出账号 / list accounts."""
    with session_scope(open_db(db_url, create=False)) as s:
        for u in accounts.list_users(s):
            state = "disabled" if u.disabled else ("locked" if u.locked_until else "active")
            click.echo(f"{u.username}\t{u.role}\t{u.region_code}\t{u.sources}\t{state}")


@user.command("disable")
@click.argument("username")
@click.option("--db", "db_url", default=None)
def user_disable(username: str, db_url: str | None) -> None:
    """停用账号并注销其全部会话 / disable an account and end its sessions."""
    with session_scope(open_db(db_url)) as s:
        accounts.disable_user(s, username, actor=default_actor())
    click.echo(f"已停用 / disabled {username}")


@user.command("reset-password")
@click.argument("username")
@click.option("--password", default=None, envvar="URRBMI_PASSWORD")
@click.option("--db", "db_url", default=None)
def user_reset(username: str, password: str | None, db_url: str | None) -> None:
    """重设密码（解除锁定、重新启用，注销旧会话）/ reset a password (unlocks, ends sessions)."""
    with session_scope(open_db(db_url)) as s:
        accounts.reset_password(s, username, _password(password), actor=default_actor())
    click.echo(f"已重设 / password reset for {username}")


@click.group("channel")
def channel() -> None:
    """缴费渠道通知接口的密钥 / payment channels that post notifications."""


@channel.command("add")
@click.argument("name")
@click.option("--payment-channel", type=click.Choice(CHANNELS), required=True, help="入账渠道代码")
@click.option("--campaign", "campaign_id", type=int, required=True)
@click.option("--db", "db_url", default=None)
def channel_add(name: str, payment_channel: str, campaign_id: int, db_url: str | None) -> None:
    """登记渠道并生成HMAC密钥（只显示一次）/ register a channel; prints its secret once."""
    with session_scope(open_db(db_url)) as s:
        _, secret = add_channel(s, name, payment_channel, campaign_id, actor=default_actor())
    click.echo(f"渠道 / channel {name}: secret {secret}")
