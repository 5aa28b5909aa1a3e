"""The `urrbmi` command line. Each domain module contributes a click group; this file only
assembles them and turns user-facing errors into one bilingual line with exit status 2."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy.exc import IntegrityError

from urrbmi.db.constraints import translate as translate_integrity
from urrbmi.errors import UrrbmiError


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UrrbmiError as exc:
            click.echo(exc.one_line(), err=True)
            sys.exit(2)
        except IntegrityError as exc:  # a guard the database held under a race
            err = translate_integrity(exc)
            if err is None:
                raise
            click.echo(err.one_line(), err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="urrbmi")
def main() -> None:
    """urrbmi：城乡居民基本医疗保险参保缴费系统 / resident medical insurance campaigns."""


# --- command groups (one line each; keep this list sorted) ---------------------------------
from urrbmi.interfaces.cli_policy import policies_cmd, policy_group, quote_cmd  # noqa: E402

main.add_command(policies_cmd)
main.add_command(policy_group)
main.add_command(quote_cmd)
from urrbmi.interfaces.cli_demo import demo  # noqa: E402

main.add_command(demo)
from urrbmi.interfaces.cli_targets import targets  # noqa: E402

main.add_command(targets)
from urrbmi.interfaces.cli_api import serve  # noqa: E402

main.add_command(serve)
from urrbmi.interfaces.cli_campaign import campaign, db, payment, region, resident  # noqa: E402

main.add_command(campaign)
main.add_command(db)
main.add_command(payment)
main.add_command(region)
main.add_command(resident)
from urrbmi.interfaces.cli_synth import synth  # noqa: E402

main.add_command(synth)
from urrbmi.interfaces.cli_imports import list_group  # noqa: E402

main.add_command(list_group)
from urrbmi.interfaces.cli_batch import batch  # noqa: E402

main.add_command(batch)
from urrbmi.interfaces.cli_imports import review_group  # noqa: E402

main.add_command(review_group)
from urrbmi.interfaces.cli_api import channel, user  # noqa: E402

main.add_command(user)
main.add_command(channel)
