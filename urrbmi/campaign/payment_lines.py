"""Payment lines: what a counter payment or a channel's file says, read and validated.

A line is an external reference, an ID number, an amount in yuan (at most two decimals, kept as
integer fen) and a payment date. :func:`read_payment_bytes` reads a channel's CSV from its bytes
(headers in Chinese or English; :func:`read_payment_file` the same from a file on disk),
:func:`read_lines` validates rows and refuses a file with any bad line, naming the lines.
``HOLD_ZH`` names why a payment is held. Re-exported by :mod:`urrbmi.campaign.payments`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from urrbmi import ids
from urrbmi.db.models import CHANNELS
from urrbmi.errors import InvalidId, InvalidInput
from urrbmi.limits import check_size, decode_text, limits


@dataclass(frozen=True, slots=True)
class PaymentLine:
    line_no: int
    external_ref: str
    id_number: str
    amount_fen: int
    paid_on: dt.date


HOLD_ZH = {
    "amount_mismatch": "金额与应缴不符",
    "not_assessed": "未核定应缴（或不在征缴范围）",
    "already_paid": "本年度已缴费",
    "quote_error": "按缴费日期无法核定（见政策）",
}

HEADERS = {
    "external_ref": ("external_ref", "ref", "交易流水号", "流水号", "订单号", "交易单号"),
    "id_number": ("id_number", "身份证号码", "身份证号", "公民身份号码"),
    "amount": ("amount", "金额", "缴费金额", "交易金额"),
    "paid_on": ("paid_on", "缴费日期", "交易日期", "日期"),
}


def parse_amount(text_value: str) -> int:
    """Yuan text to integer fen; more than two decimals, negatives or floats' noise are refused."""
    try:
        value = Decimal(text_value.strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"金额无效：{text_value!r}") from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise ValueError(f"金额应为非负数、至多两位小数：{text_value!r}")
    return int(value * 100)


def parse_day(text_value: str) -> dt.date:
    t = text_value.strip().replace("/", "-").replace(".", "-")
    if len(t) == 8 and t.isdigit():
        t = f"{t[:4]}-{t[4:6]}-{t[6:]}"
    try:
        return dt.date.fromisoformat(t[:10])
    except ValueError:
        raise ValueError(f"日期无效：{text_value!r}") from None


def read_lines(rows: Iterable[dict[str, str]], *, first_line: int = 2) -> list[PaymentLine]:
    """Validate rows (header → value) into payment lines; all problems are reported together."""
    out: list[PaymentLine] = []
    problems: list[str] = []
    for n, row in enumerate(rows, start=first_line):
        try:
            out.append(
                PaymentLine(
                    line_no=n,
                    external_ref=_need(row, "external_ref"),
                    id_number=ids.validate(_need(row, "id_number")),
                    amount_fen=parse_amount(_need(row, "amount")),
                    paid_on=parse_day(_need(row, "paid_on")),
                )
            )
        except InvalidId as exc:
            problems.append(f"第{n}行：{exc.zh}")
        except ValueError as exc:
            problems.append(f"第{n}行：{exc}")
    if problems:
        shown = "；".join(problems[:20]) + ("……" if len(problems) > 20 else "")
        raise InvalidInput(
            f"缴费文件有{len(problems)}行无效，整个文件未导入：{shown}",
            f"{len(problems)} invalid line(s); nothing was imported: {shown}",
        )
    return out


def _need(row: dict[str, str], key: str) -> str:
    value = (row.get(key) or "").strip()
    if not value:
        raise ValueError(f"缺少{HEADERS[key][2]}")
    cap = 64 if key == "external_ref" else limits().max_cell_chars  # payments.external_ref: 64
    if len(value) > cap:
        raise ValueError(f"{HEADERS[key][2]}超过{cap}个字符（{key}）")
    return value


def read_payment_bytes(content: bytes, name: str = "payments.csv") -> list[PaymentLine]:
    """A channel's CSV file from its bytes (UTF-8, with or without BOM; GB18030 accepted), headers
    in Chinese or English (see ``HEADERS``). Bounded before parsing: size, lines and line length
    (``urrbmi.limits``); ``name`` is the file's, for the messages."""
    text = decode_text(content, name)
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise InvalidInput(f"缴费文件为空：{name}", f"empty payment file: {name}")
    names: list[str | None] = []
    for h in header:
        h = h.strip()
        names.append(next((k for k, aliases in HEADERS.items() if h in aliases), None))
    missing = [k for k in HEADERS if k not in names]
    if missing:
        raise InvalidInput(
            f"缴费文件缺少列：{'、'.join(HEADERS[k][2] for k in missing)}（文件的表头：{'、'.join(header)}）",
            f"payment file lacks columns: {', '.join(missing)} (the file's header: {', '.join(header)})",
        )
    rows = ({k: v for k, v in zip(names, rec, strict=False) if k is not None} for rec in reader if any(rec))
    return read_lines(rows)


def read_payment_file(path: Path) -> list[PaymentLine]:
    """:func:`read_payment_bytes` of a file on disk (the CLI, the demo): its size checked before
    it is read."""
    check_size(path.stat().st_size)
    return read_payment_bytes(path.read_bytes(), path.name)


def check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise InvalidInput(
            f"未知的缴费渠道{channel}；可用：{'、'.join(CHANNELS)}",
            f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}",
        )
