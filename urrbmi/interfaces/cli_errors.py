"""Every error the CLI can meet, as one bilingual line (``错误[code]：中文 / Error: English``).

:func:`as_error` turns what a command raised — an :class:`~urrbmi.errors.UrrbmiError`, one of
click's usage errors (missing option, unknown option or command, a value of the wrong type, a
file that does not exist), a database driver error, an OS error — into an ``UrrbmiError`` whose
:meth:`~urrbmi.errors.UrrbmiError.one_line` the entry point prints before exiting with status 2.
This module imports nothing heavy: SQLAlchemy errors are recognised by their module name, so a
command that never opened a database never loads SQLAlchemy.
"""

from __future__ import annotations

import re
from typing import Any

import click

from urrbmi.errors import InvalidInput, UrrbmiError


class UsageError(InvalidInput):
    """The command line itself is wrong (click's usage errors, rendered bilingually)."""

    code = "usage"
    http_status = 422


class DatabaseFailure(UrrbmiError):
    """A database driver error that reached the CLI (a lock, a dropped connection…)."""

    code = "database"
    http_status = 503


class FileFailure(UrrbmiError):
    code = "file"
    http_status = 422


class InternalError(UrrbmiError):
    code = "internal"
    http_status = 500


_EXTRA = re.compile(r"Got unexpected extra arguments? \((.*)\)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_QUOTED = re.compile(r"""(['"])(.*?)\1""")


def _quoted(message: str) -> str | None:
    m = _QUOTED.search(message)
    return m.group(2) if m else None


def _hint(exc: click.BadParameter) -> str:
    if exc.param_hint is not None:
        hint = exc.param_hint
        text = " / ".join(hint) if isinstance(hint, (list, tuple)) else str(hint)
    elif exc.param is not None:
        text = exc.param.get_error_hint(exc.ctx) if exc.ctx is not None else str(exc.param.name)
    else:
        text = ""
    return text.replace("'", "")


def _see_help(exc: click.UsageError) -> tuple[str, str]:
    """The help command to suggest, in Chinese and in English."""
    if exc.ctx is None:
        return "", ""
    path = exc.ctx.command_path
    return f"（用 {path} --help 查看用法）", f" (see {path} --help)"


def _type_reason(param_type: click.ParamType[Any] | None, message: str) -> str:
    """Why a value was refused, in Chinese, from the parameter's type (click's text is English)."""
    value = _quoted(message)
    shown = f"“{value}”" if value is not None else "该值"
    if isinstance(param_type, click.Choice):
        return f"{shown}不是可选值，应为：{'、'.join(str(c) for c in param_type.choices)}"
    if isinstance(param_type, (click.types.IntParamType, click.IntRange)):
        return f"{shown}不是整数"
    if isinstance(param_type, (click.types.FloatParamType, click.FloatRange)):
        return f"{shown}不是数字"
    if isinstance(param_type, click.DateTime):
        formats = "、".join(
            f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD") for f in param_type.formats
        )
        return f"{shown}不是日期，应为 {formats}"
    if isinstance(param_type, click.types.BoolParamType):
        return f"{shown}不是是/否（true/false）"
    if isinstance(param_type, click.Path):
        if "does not exist" in message:
            return f"{shown}不存在"
        if "is a directory" in message:
            return f"{shown}是目录，应为文件"
        if "is a file" in message:
            return f"{shown}是文件，应为目录"
        if "not readable" in message or "not writable" in message:
            return f"{shown}没有读写权限"
        return f"{shown}不可用"
    if _CJK.search(message):  # a check of ours that already says why in Chinese
        return message
    return f"{shown}无效" if value is not None else "见英文说明"


def _usage(exc: click.UsageError) -> UrrbmiError:
    zh_help, en_help = _see_help(exc)
    en = exc.format_message().rstrip(".") + en_help
    if isinstance(exc, click.exceptions.MissingParameter):
        what = {"argument": "参数", "option": "选项"}.get(exc.param_type or "", "参数")
        if exc.param is not None and exc.param.param_type_name in ("argument", "option"):
            what = {"argument": "参数", "option": "选项"}[exc.param.param_type_name]
        return UsageError(f"缺少{what} {_hint(exc)}{zh_help}", en, code="missing_parameter")
    if isinstance(exc, click.BadParameter):
        reason = _type_reason(exc.param.type if exc.param is not None else None, exc.message)
        hint = _hint(exc)
        zh = f"{hint} 的值无效：{reason}" if hint else f"值无效：{reason}"
        return UsageError(zh + zh_help, en, code="bad_parameter")
    if isinstance(exc, click.exceptions.NoSuchOption):
        near = f"，是否要用 {'、'.join(exc.possibilities)}" if exc.possibilities else ""
        return UsageError(f"没有选项 {exc.option_name}{near}{zh_help}", en, code="no_such_option")
    if isinstance(exc, click.exceptions.NoSuchCommand):
        near = f"，是否要用 {'、'.join(exc.possibilities)}" if exc.possibilities else ""
        return UsageError(f"没有命令“{exc.command_name}”{near}{zh_help}", en, code="no_such_command")
    if isinstance(exc, click.exceptions.BadOptionUsage):
        if "requires" in exc.message and "argument" in exc.message:
            return UsageError(f"选项 {exc.option_name} 缺少值{zh_help}", en, code="missing_parameter")
        return UsageError(f"选项 {exc.option_name} 用法错误{zh_help}", en)
    if isinstance(exc, click.exceptions.BadArgumentUsage):
        return UsageError(f"参数用法错误{zh_help}", en)
    extra = _EXTRA.match(exc.message)
    if extra:
        return UsageError(f"多余的参数：{extra.group(1)}{zh_help}", en, code="extra_argument")
    return UsageError(f"命令用法错误{zh_help}", en)


def _database(exc: Exception) -> UrrbmiError:
    from urrbmi.ids import mask_text

    orig = getattr(exc, "orig", None) or exc
    first = mask_text((str(orig).strip().splitlines() or [type(orig).__name__])[0])
    return DatabaseFailure(f"数据库操作失败：{first}", f"the database operation failed: {first}")


def _os(exc: OSError) -> UrrbmiError:
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or type(exc).__name__
    zh_reason = {
        "FileNotFoundError": "不存在",
        "PermissionError": "没有权限",
        "IsADirectoryError": "是目录",
        "NotADirectoryError": "路径中有非目录",
        "FileExistsError": "已存在",
    }.get(type(exc).__name__, f"无法读写（{reason}）")
    return FileFailure(f"文件{where}{zh_reason}", f"{where}: {reason}" if where else reason)


def as_error(exc: BaseException) -> UrrbmiError | None:
    """The bilingual error for ``exc``, or None for what is not an error (an exit, a help page)."""
    if isinstance(exc, UrrbmiError):
        return exc
    if isinstance(exc, click.UsageError):
        return _usage(exc)
    if isinstance(exc, click.FileError):
        return FileFailure(
            f"无法打开文件{exc.ui_filename}：{exc.message}",
            f"could not open {exc.ui_filename}: {exc.message}",
        )
    if isinstance(exc, click.ClickException):
        msg = exc.format_message()
        zh, sep, en = msg.partition(" / ")
        if sep and _CJK.search(zh):  # already bilingual: "中文 / English"
            return UrrbmiError(zh, en, code="failed")
        return UrrbmiError(f"命令失败：{msg}", msg, code="failed")
    if isinstance(exc, Exception) and type(exc).__module__.startswith("sqlalchemy"):
        from sqlalchemy.exc import IntegrityError

        from urrbmi.db.constraints import translate as translate_integrity

        held = translate_integrity(exc) if isinstance(exc, IntegrityError) else None
        return held or _database(exc)
    if isinstance(exc, OSError):
        return _os(exc)
    if isinstance(exc, UnicodeError):
        return InvalidInput(f"文本编码错误：{exc}", f"text encoding error: {exc}", code="encoding")
    return None


def internal(exc: BaseException) -> UrrbmiError:
    """A defect: one line naming it; URRBMI_DEBUG=1 shows the traceback instead."""
    from urrbmi.ids import mask_text

    what = mask_text(f"{type(exc).__name__}: {exc}")
    return InternalError(
        f"程序内部错误（{what}），请报告；设置 URRBMI_DEBUG=1 可显示详细信息",
        f"internal error ({what}), please report it; set URRBMI_DEBUG=1 for the traceback",
    )
