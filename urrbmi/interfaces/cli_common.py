"""What every command group of the CLI shares: the ``--db``, ``--actor`` and ``--campaign``
options, an ID-number argument that may come from standard input or a file, dates, the database
of a command, and JSON output with exact money."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import simplejson

from urrbmi.errors import InvalidInput

if TYPE_CHECKING:  # `urrbmi quote` imports this module and must not pay for SQLAlchemy
    from sqlalchemy import Engine

F = TypeVar("F", bound=Callable[..., Any])


DB_HELP = "数据库文件路径或URL / SQLite file path or database URL (URRBMI_DATABASE_URL)"


def db_option(f: F) -> F:
    return click.option("--db", "db_url", default=None, help=DB_HELP)(f)


def actor_option(f: F) -> F:
    return click.option("--actor", default=None, help="操作人 / who does this (URRBMI_ACTOR or OS user)")(f)


def open_engine(db_url: str | None, *, write: bool = True) -> Engine:
    """The database of a command; one that only reads (``write=False``) never creates one."""
    from urrbmi.db.session import open_db

    return open_db(db_url, create=write)


def id_value(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """An ID number as given, or read from standard input (``-``) or a file (``@FILE``), so that
    it need not appear in the process list (``ps``) or the shell history."""
    if value is None or (value != "-" and not value.startswith("@")):
        return value
    if value == "-":
        text, where_zh, where_en = sys.stdin.read(), "标准输入", "standard input"
    else:
        path = Path(value[1:])
        where_zh = where_en = str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeError) as exc:
            raise InvalidInput(
                f"无法读取身份证号码文件{path}：{exc}", f"cannot read the ID number file {path}: {exc}"
            ) from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise InvalidInput(
            f"{where_zh}中应恰有一个身份证号码（一行），实有{len(lines)}行",
            f"{where_en} should hold exactly one ID number (one line), found {len(lines)} lines",
            code="missing_input",
        )
    return lines[0]


id_argument = click.argument("id_number", callback=id_value, metavar="ID_NUMBER|-|@FILE")


def parse_day(value: str | None, default: dt.date | None = None) -> dt.date:
    from urrbmi import clock  # here, not at import: `urrbmi quote` needs neither (zoneinfo)
    from urrbmi.limits import check_day

    if value is None:
        return default or clock.today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"日期“{value}”应为YYYY-MM-DD", f"a date is YYYY-MM-DD: {value!r}", code="bad_date"
        ) from None
    return check_day(day)


campaign_option = click.option("--campaign", "campaign_id", type=int, default=None, help="征缴批次编号")


def dumps(obj: Any, *, indent: int | None = 1) -> str:
    """JSON with exact Decimal money as numbers and Chinese left readable."""
    return simplejson.dumps(obj, use_decimal=True, ensure_ascii=False, default=str, indent=indent)
