"""The `urrbmi` command line. Each domain module contributes a click group; this file only
assembles them and turns every error into one bilingual line with exit status 2.

Command groups are lazy: a group's module is imported only when that group runs (or ``--help``
lists it), so ``urrbmi quote`` loads the policy engine and click, not SQLAlchemy, FastAPI,
openpyxl or Polars (docs/architecture.md, "The quote process")."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

# urrbmi uses no pydantic plugins: spare every command pydantic's scan of the entry points of every
# installed distribution (a tenth of a one-resident quote's CPU). Set URRBMI_PYDANTIC_PLUGINS=1
# to scan as usual.
if not os.environ.get("URRBMI_PYDANTIC_PLUGINS"):
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

# command name -> "module:attribute" (keep this table sorted by name)
COMMANDS: dict[str, str] = {
    "batch": "urrbmi.interfaces.cli_batch:batch",
    "campaign": "urrbmi.interfaces.cli_campaign:campaign",
    "channel": "urrbmi.interfaces.cli_api:channel",
    "db": "urrbmi.interfaces.cli_db:db",
    "handover": "urrbmi.interfaces.cli_handover:handover",
    "demo": "urrbmi.interfaces.cli_demo:demo",
    "list": "urrbmi.interfaces.cli_imports:list_group",
    "payment": "urrbmi.interfaces.cli_payment:payment",
    "policies": "urrbmi.interfaces.cli_policy:policies_cmd",
    "policy": "urrbmi.interfaces.cli_policy:policy_group",
    "quote": "urrbmi.interfaces.cli_policy:quote_cmd",
    "refund": "urrbmi.interfaces.cli_refunds:refund",
    "region": "urrbmi.interfaces.cli_db:region",
    "resident": "urrbmi.interfaces.cli_resident:resident",
    "review": "urrbmi.interfaces.cli_imports:review_group",
    "school": "urrbmi.interfaces.cli_school:school",
    "serve": "urrbmi.interfaces.cli_api:serve",
    "synth": "urrbmi.interfaces.cli_synth:synth",
    "targets": "urrbmi.interfaces.cli_targets:targets",
    "user": "urrbmi.interfaces.cli_api:user",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's documented lazy-loading recipe)."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attr = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


class MainGroup(LazyGroup):
    """The top-level group: every error ends as one line on stderr and exit status 2."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from urrbmi.interfaces.cli_errors import as_error, internal

        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # `urrbmi` alone: the help page
            click.echo(exc.format_message())
            rv = 0
        except click.Abort:
            click.echo("已取消 / Aborted", err=True)
            rv = 1
        except Exception as exc:
            error = as_error(exc)
            if error is None:
                if os.environ.get("URRBMI_DEBUG"):
                    raise
                error = internal(exc)
            click.echo(error.one_line(), err=True)
            rv = 2
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=MainGroup, lazy=COMMANDS)
@click.version_option(package_name="urrbmi")
def main() -> None:
    """urrbmi：城乡居民基本医疗保险参保缴费系统 / resident medical insurance campaigns.

    出错时在标准错误输出一行中英文说明并以状态2退出 / errors: one bilingual line on stderr, exit 2.
    """
