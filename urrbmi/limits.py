"""Bounds on input: how much the system accepts, in one place (listed in docs/api.md "Limits").

Read from the environment on each use (defaults in brackets), so a deployment or a test can change
one without a restart of anything but the process:

- ``URRBMI_MAX_UPLOAD_MB`` [200]: size of an uploaded file (department list, payment file, task
  table or reductions CSV), and of a ``list check``/``list load`` file on the CLI;
- ``URRBMI_MAX_BODY_MB`` [10]: size of any other request body (JSON);
- ``URRBMI_MAX_ROWS`` [3000000]: rows of one file (a county's whole population is ~1 million);
- ``URRBMI_MAX_LINE_CHARS`` [65536]: characters in one line of a text (CSV) file;
- ``URRBMI_MAX_COLUMNS`` [300]: cells in one row (spreadsheets, HTML tables);
- ``URRBMI_MAX_CELL_CHARS`` [500]: one cell of a mapped column: longer is a row problem
  (``cell_too_long``), the row is not loaded and the stored value is cut to ``SHOWN_CHARS``;
- ``URRBMI_CHECK_KEEP_ROWS`` [10000]: problem rows kept for a checked list (``import_checks``)
  and written to its stored error report; the counts give the whole number;
- ``URRBMI_LIST_FUTURE_DAYS`` [31]: a department list may be dated at most this many days after
  today (China time): next month's list prepared late this month;
- ``URRBMI_LIST_EARLIEST`` [2016-01-01]: ... and not before this date (the year urban and rural
  resident insurance were merged, 国发〔2016〕3号: no list of this scheme is older). A fixed date,
  not "N years ago": a bureau may load its history in order, and a test or demo with a
  historical date does not start failing as the years pass;
- ``URRBMI_REPLACE_MAX_SHARE`` [20]: a ``replace`` list that would end more than this percentage
  of its source's current identities (or attributes) in its scope ...
- ``URRBMI_REPLACE_FREE_REMOVALS`` [5]: ... and more than this many of them (a village's monthly
  changes are a handful: 1 of 3 is not alarming), or every one of them (whatever the numbers: an
  empty or header-only list, a list of another town), is refused unless the caller confirms the
  removals.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from urrbmi import clock
from urrbmi.errors import InvalidInput, UrrbmiError

SHOWN_CHARS = 50  # characters of an over-long cell kept in problem rows and reports
# any date a user enters (the API's ``common.Day``, the CLI's dates): the system's dates lie within
# 1900 (the oldest resident's birth) and 2100 (the last policy year it accepts)
EARLIEST_DAY, LATEST_DAY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


class TooLarge(InvalidInput):
    """A file or body beyond a size limit (HTTP 413)."""

    code = "too_large"
    http_status = 413


class ConfirmRemovals(UrrbmiError):
    """A replace would end more than the allowed share of a source's identities (HTTP 409)."""

    code = "confirm_removals"
    http_status = 409


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(
            f"环境变量{name}应为整数：{raw!r}", f"{name} must be an integer: {raw!r}"
        ) from None
    if value < 0:
        raise InvalidInput(f"环境变量{name}不能为负数：{value}", f"{name} must not be negative: {value}")
    return value


def _date(name: str, default: dt.date) -> dt.date:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            f"环境变量{name}应为日期 YYYY-MM-DD：{raw!r}", f"{name} must be a date YYYY-MM-DD: {raw!r}"
        ) from None


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int
    max_body_bytes: int
    max_rows: int
    max_line_chars: int
    max_columns: int
    max_cell_chars: int
    check_keep_rows: int
    list_future_days: int
    list_earliest: dt.date
    replace_max_share: int  # percent
    replace_free_removals: int


def limits() -> Limits:
    return Limits(
        max_upload_bytes=_int("URRBMI_MAX_UPLOAD_MB", 200) * 1024 * 1024,
        max_body_bytes=_int("URRBMI_MAX_BODY_MB", 10) * 1024 * 1024,
        max_rows=_int("URRBMI_MAX_ROWS", 3_000_000),
        max_line_chars=_int("URRBMI_MAX_LINE_CHARS", 65_536),
        max_columns=_int("URRBMI_MAX_COLUMNS", 300),
        max_cell_chars=_int("URRBMI_MAX_CELL_CHARS", 500),
        check_keep_rows=_int("URRBMI_CHECK_KEEP_ROWS", 10_000),
        list_future_days=_int("URRBMI_LIST_FUTURE_DAYS", 31),
        list_earliest=_date("URRBMI_LIST_EARLIEST", dt.date(2016, 1, 1)),
        replace_max_share=_int("URRBMI_REPLACE_MAX_SHARE", 20),
        replace_free_removals=_int("URRBMI_REPLACE_FREE_REMOVALS", 5),
    )


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB"


def upload_too_large(size: int | None = None) -> TooLarge:
    """The bilingual refusal of a file over ``max_upload_bytes`` (``size`` when known)."""
    cap = limits().max_upload_bytes
    got_zh = f"（{_mb(size)}）" if size is not None else ""
    got_en = f" ({_mb(size)})" if size is not None else ""
    return TooLarge(
        f"文件过大{got_zh}：上限 {_mb(cap)}；请按乡镇拆分后分别上传",
        f"the file is too large{got_en}: the limit is {_mb(cap)} (URRBMI_MAX_UPLOAD_MB); "
        "split it, e.g. by town",
    )


def check_size(size: int) -> None:
    """Refuse a file of ``size`` bytes over the upload limit."""
    if size > limits().max_upload_bytes:
        raise upload_too_large(size)


def check_rows(n: int) -> None:
    cap = limits().max_rows
    if n > cap:
        raise TooLarge(
            f"文件行数过多（{n:,}行）：上限 {cap:,}行；请按乡镇拆分",
            f"the file has too many rows ({n:,}): the limit is {cap:,} (URRBMI_MAX_ROWS); split it",
        )


def check_columns(n: int, row: int) -> None:
    cap = limits().max_columns
    if n > cap:
        raise TooLarge(
            f"第{row}行有{n:,}个单元格：上限 {cap}列；这不像一份名单",
            f"row {row} has {n:,} cells: the limit is {cap} columns (URRBMI_MAX_COLUMNS); "
            "this does not look like a list",
        )


def long_line(text: str, cap: int) -> int | None:
    """The 1-based number of the first line longer than ``cap`` characters, or None. Jumps to the
    last line end within each window of ``cap + 1`` characters, so a normal file takes
    size / cap steps, not one per line."""
    pos, n = 0, len(text)
    while n - pos > cap:
        last = text.rfind("\n", pos, pos + cap + 1)
        if last == -1:
            return text.count("\n", 0, pos) + 1
        pos = last + 1
    return None


def check_lines(text: str) -> None:
    """Refuse a decoded text file with a line over ``max_line_chars`` characters."""
    cap = limits().max_line_chars
    line = long_line(text, cap)
    if line is not None:
        raise TooLarge(
            f"第{line}行超过 {cap:,} 个字符：文件可能损坏或不是名单",
            f"line {line} is longer than {cap:,} characters (URRBMI_MAX_LINE_CHARS): "
            "the file is damaged or not a list",
        )


def check_day(value: dt.date) -> dt.date:
    """``value`` if it lies within ``EARLIEST_DAY`` … ``LATEST_DAY``."""
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise InvalidInput(
            f"日期{value}超出范围（{EARLIEST_DAY}至{LATEST_DAY}）",
            f"the date {value} is out of range ({EARLIEST_DAY} to {LATEST_DAY})",
        )
    return value


def list_date_window() -> tuple[dt.date, dt.date]:
    """(earliest, latest) date a department list may have today."""
    lim = limits()
    return lim.list_earliest, clock.today() + dt.timedelta(days=lim.list_future_days)


def check_list_date(as_of: dt.date) -> None:
    """A department list's date: not after today (China time) + ``list_future_days``, not before
    ``list_earliest``. A far-future list would otherwise block every later ``replace`` list of its
    source (they may not be older than the newest one)."""
    lim = limits()
    earliest, latest = list_date_window()
    if as_of > latest:
        raise InvalidInput(
            f"名单日期{as_of}晚于允许的最晚日期{latest}（今天之后至多{lim.list_future_days}天，"
            "URRBMI_LIST_FUTURE_DAYS）",
            f"the list date {as_of} is after {latest}, the latest allowed "
            f"(at most {lim.list_future_days} days after today, URRBMI_LIST_FUTURE_DAYS)",
            code="list_date_out_of_range",
        )
    if as_of < earliest:
        raise InvalidInput(
            f"名单日期{as_of}早于允许的最早日期{earliest}",
            f"the list date {as_of} is before {earliest}, the earliest allowed (URRBMI_LIST_EARLIEST)",
            code="list_date_out_of_range",
        )


def check_removals(removed: int, current: int, *, what_zh: str, what_en: str, confirmed: bool) -> None:
    """A ``replace`` that ends ``removed`` of ``current`` identities/attributes: refused unless
    ``confirmed`` when it ends all of them (an empty or header-only list, another town's list), or
    more than ``replace_free_removals`` that are more than ``replace_max_share`` percent."""
    if confirmed or removed == 0:
        return
    lim = limits()
    share = lim.replace_max_share
    if removed < current and (removed <= lim.replace_free_removals or removed * 100 <= share * current):
        return
    raise ConfirmRemovals(
        f"此名单将结束{removed}/{current}项{what_zh}（超过{share}%）；"
        "如确属实，请确认删除后重新提交（命令行加 --confirm-removals）；补充名单请选用“追加”方式",
        f"this list would end {removed} of {current} {what_en} (more than {share}%, "
        "URRBMI_REPLACE_MAX_SHARE); if that is right, confirm the removals and send it again "
        "(--confirm-removals on the command line, confirm_removals=true in the API); "
        "use mode add for a supplement",
    )


def read_text(path: Path) -> str:
    """A text file given by an officer or a channel (task table, reductions, counts, payment and
    refund-result files), bounded like an upload: size before reading, then lines and line
    length; its encoding detected by the one detector (UTF-8 with or without BOM, GB18030…)."""
    check_size(path.stat().st_size)
    return decode_text(path.read_bytes(), path.name)


def decode_text(content: bytes, name: str) -> str:
    """:func:`read_text` for content already in memory (an upload, a file the CLI read): bounded
    the same way, decoded by the one detector; ``name`` is for the messages."""
    from urrbmi.encoding import decode

    check_size(len(content))
    _, text = decode(content, name)
    check_rows(text.count("\n"))
    check_lines(text)
    return text
