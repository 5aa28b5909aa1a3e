"""The paying channel: the refund file out (approved and failed money-out rows become ``sent`` in
one batch) and the channel's result in (read from the file's bytes, applied line by line, every
line not applied reported).
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.campaign.refunds.rows import KIND_ZH, PAYABLE_KINDS, S, refund_query, zh_status
from urrbmi.db.models import Campaign, Refund, Resident
from urrbmi.errors import InvalidInput
from urrbmi.export import Book, csv_bytes
from urrbmi.limits import decode_text
from urrbmi.money import from_fen, to_fen
from urrbmi.registry import audit
from urrbmi.registry.errors import NotFound

OK_WORDS = frozenset({"成功", "已支付", "success", "ok", "paid"})
FAIL_WORDS = frozenset({"失败", "退回", "failed", "fail"})
FILE_HEADER = ("退费编号", "批次号", "身份证号码", "姓名", "金额（元）", "类别", "原缴费渠道", "原交易流水号")
RESULT_COLUMNS = {
    "退费编号": "ref",
    "结果": "result",
    "金额（元）": "amount",
    "金额": "amount",
    "支付日期": "paid_on",
    "渠道流水号": "channel_ref",
    "失败原因": "reason",
    "批次号": "batch",
}
PROBLEM_ZH = {
    "unknown_ref": "退费编号不存在或不在管辖范围内",
    "duplicate": "文件中重复的退费编号",
    "amount_differs": "金额与退费记录不符",
    "not_sent": "该退费未发送渠道（或状态不允许）",
    "other_batch": "该退费已在之后的批次重新发送，本结果不再适用",
    "conflict": "与已导入的结果不一致",
    "invalid": "行内容有误",
}


# --- the refund file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundFile:
    batch_id: str | None  # None: nothing to send (the file holds the header only)
    channel: str
    count: int
    total: Decimal
    content: bytes  # the file (XLSX or CSV) for the channel


def export_refund_file(
    session: Session,
    c: Campaign,
    channel: str,
    fmt: str = "xlsx",
    *,
    actor: str,
    scope: str = "",
    again: str | None = None,
) -> RefundFile:
    """The file (``fmt``: XLSX or CSV, as bytes) of the approved and failed money-out refunds for
    ``channel``, which are marked ``sent`` in one batch (the batch number is on every row and in
    the file). Refunds are a small share of a campaign's payments: the file is made in memory.

    ``again``: write the file of that earlier batch once more (its rows still ``sent``; a file
    lost on the way), changing nothing but an audit row."""
    if fmt not in ("xlsx", "csv"):
        raise InvalidInput(f"文件格式应为xlsx或csv：{fmt}", f"the format is xlsx or csv, not {fmt!r}")
    if again is not None:
        return _write_again(session, c, channel, fmt, actor=actor, scope=scope, batch=again)
    rows = list(
        session.execute(
            refund_query(c, scope)
            .where(Refund.status.in_((S.APPROVED, S.FAILED)), Refund.kind.in_(PAYABLE_KINDS))
            .with_for_update(of=Refund)
        )
    )
    batch = f"RF{c.id}-{clock.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}" if rows else None
    now = audit.now()
    lines: list[list[object]] = []
    for row in rows:
        r = row[0]
        lines.append(_file_line(batch or "", row))
        old = r.status
        r.status, r.channel, r.batch_id, r.sent_at = S.SENT.value, channel, batch, now
        r.paid_on = r.channel_ref = r.result_reason = None
        audit.record(
            session,
            actor,
            "refunds",
            r.id,
            "send",
            {"status": old},
            {"status": "sent", "batch_id": batch, "channel": channel},
        )
    session.flush()
    content = _render(fmt, lines)
    total = sum((from_fen(r.amount_fen) for r, *_ in rows), Decimal("0.00"))
    return RefundFile(batch, channel, len(rows), total, content)


def _render(fmt: str, lines: list[list[object]]) -> bytes:
    if fmt == "csv":
        return csv_bytes(FILE_HEADER, lines)
    book = Book()
    sheet = book.sheet("退费")
    sheet.append(FILE_HEADER)
    for line in lines:
        sheet.append(line)
    return book.to_bytes()


def _write_again(
    session: Session, c: Campaign, channel: str, fmt: str, *, actor: str, scope: str, batch: str
) -> RefundFile:
    rows = list(
        session.execute(refund_query(c, scope).where(Refund.batch_id == batch, Refund.status == S.SENT))
    )
    if not rows:
        raise NotFound(
            f"征缴批次{c.id}中没有待渠道回复的退费批次{batch}",
            f"no refund batch {batch} awaiting the channel's result in campaign {c.id}",
        )
    if any(r.channel != channel for r, *_ in rows):
        raise InvalidInput(
            f"退费批次{batch}是发给{rows[0][0].channel}渠道的",
            f"refund batch {batch} went to {rows[0][0].channel}",
        )
    content = _render(fmt, [_file_line(batch, row) for row in rows])
    audit.record(session, actor, "refunds", f"batch:{batch}", "resend_file", None, {"rows": len(rows)})
    total = sum((from_fen(r.amount_fen) for r, *_ in rows), Decimal("0.00"))
    return RefundFile(batch, channel, len(rows), total, content)


# --- the channel's result ----------------------------------------------------------------------


@dataclass(frozen=True)
class ResultProblem:
    line: int
    ref: str
    code: str
    message: str


@dataclass
class ResultReport:
    lines: int = 0
    paid: int = 0
    failed: int = 0
    unchanged: int = 0  # already imported (the same file again)
    paid_amount: Decimal = Decimal("0.00")
    problems: list[ResultProblem] = field(default_factory=list)


def read_result_file(content: bytes, name: str = "result.csv") -> list[dict[str, str]]:
    """The result CSV's rows by field (ref, result, amount, paid_on, channel_ref, reason, batch),
    from the file's bytes (any encoding the one detector reads; ``name`` is for the messages)."""
    try:
        table = list(csv.reader(decode_text(content, name).splitlines()))
    except csv.Error as exc:
        raise InvalidInput(
            f"结果文件{name}不是有效的CSV：{exc}", f"the result file {name} is not valid CSV: {exc}"
        ) from None
    reader = iter(table)
    header = next(reader, None)
    if header is None:
        raise InvalidInput(f"结果文件{name}为空", f"the result file {name} is empty")
    keys = [RESULT_COLUMNS.get(h.strip()) for h in header]
    need = {"ref", "result", "amount"}
    if not need <= set(keys):
        raise InvalidInput(
            "结果文件须有列：退费编号、结果、金额（元）（可选：支付日期、渠道流水号、失败原因、批次号）",
            "the result file needs the columns 退费编号, 结果, 金额（元） "
            "(optional: 支付日期, 渠道流水号, 失败原因, 批次号)",
            code="missing_input",
        )
    return [
        {k: (row[i].strip() if i < len(row) else "") for i, k in enumerate(keys) if k is not None}
        for row in reader
        if any(cell.strip() for cell in row)
    ]


def import_result(
    session: Session, c: Campaign, rows: Sequence[dict[str, str]], *, actor: str, scope: str = ""
) -> ResultReport:
    """Apply the channel's answer, line by line; every line not applied is reported."""
    rep = ResultReport(lines=len(rows))
    seen = Counter(row.get("ref", "") for row in rows)
    refs = [int(row["ref"]) for row in rows if row.get("ref", "").isdigit() and len(row["ref"]) < 19]
    by_id = {
        r.id: r
        for r in session.scalars(
            select(Refund)
            .join(Resident, Resident.id == Refund.resident_id)
            .where(
                Refund.id.in_(refs),
                Refund.campaign_id == c.id,
                Resident.region_code.startswith(scope, autoescape=True),
            )
            .with_for_update(of=Refund)
        )
    }

    def problem(n: int, ref: str, code: str, detail: str = "") -> None:
        text = PROBLEM_ZH[code] + (f"：{detail}" if detail else "")
        rep.problems.append(ResultProblem(n, ref, code, text))

    for n, row in enumerate(rows, start=2):  # line 1 is the header
        ref = row.get("ref", "")
        if seen[ref] > 1:
            problem(n, ref, "duplicate")
            continue
        r = by_id.get(int(ref)) if ref.isdigit() and len(ref) < 19 else None
        if r is None:
            problem(n, ref, "unknown_ref")
            continue
        word = row.get("result", "").strip().lower()
        ok = word in OK_WORDS
        if not ok and word not in FAIL_WORDS:
            problem(n, ref, "invalid", f"结果应为“成功”或“失败”，实为“{row.get('result', '')}”")
            continue
        try:
            amount_fen = to_fen(Decimal(row.get("amount", "")))
        except (ArithmeticError, ValueError):  # InvalidOperation, an infinite or huge amount
            problem(n, ref, "invalid", f"金额“{row.get('amount', '')}”")
            continue
        if amount_fen != r.amount_fen:
            problem(
                n, ref, "amount_differs", f"应为{from_fen(r.amount_fen)}元，文件为{from_fen(amount_fen)}元"
            )
            continue
        paid_on: dt.date | None = None
        if ok:
            try:
                paid_on = (
                    dt.date.fromisoformat(row.get("paid_on", "")) if row.get("paid_on") else clock.today()
                )
            except ValueError:
                problem(n, ref, "invalid", f"支付日期“{row.get('paid_on', '')}”应为YYYY-MM-DD")
                continue
            if paid_on > clock.today():
                problem(n, ref, "invalid", f"支付日期{paid_on}晚于今天")
                continue
        batch = row.get("batch", "")
        if batch and r.batch_id is not None and batch != r.batch_id:
            problem(n, ref, "other_batch", f"本行批次{batch}，现批次{r.batch_id}")
            continue
        channel_ref = row.get("channel_ref") or None
        reason = row.get("reason") or None
        if r.status in (S.PAID, S.FAILED):  # a result already imported
            again = (ok and r.status == S.PAID and channel_ref in (None, r.channel_ref)) or (
                not ok and r.status == S.FAILED
            )
            if again:
                rep.unchanged += 1
            else:
                problem(n, ref, "conflict", f"已登记为“{zh_status(r.status)}”")
            continue
        if r.status != S.SENT:
            problem(n, ref, "not_sent", f"状态为“{zh_status(r.status)}”")
            continue
        new = S.PAID if ok else S.FAILED
        r.status = new.value
        if ok:
            r.paid_on, r.channel_ref, r.result_reason = paid_on, channel_ref, None
            rep.paid += 1
            rep.paid_amount += from_fen(r.amount_fen)
        else:
            r.channel_ref, r.result_reason = channel_ref, (reason or "渠道未说明原因")[:200]
            rep.failed += 1
        audit.record(
            session,
            actor,
            "refunds",
            r.id,
            "result",
            {"status": "sent"},
            {"status": new.value, "paid_on": paid_on, "channel_ref": channel_ref, "reason": r.result_reason},
        )
    session.flush()
    return rep


def _file_line(batch: str, row: Any) -> list[object]:
    """One line of a refund file: the refund id as the channel's reference, the batch, the full ID
    number, name, amount in yuan, kind in Chinese, and the original payment's channel and reference."""
    r, number, name, _region, pch, pref = row
    return [
        str(r.id),
        batch,
        number,
        name,
        from_fen(r.amount_fen),
        KIND_ZH.get(r.kind, r.kind),
        pch or "",
        pref or "",
    ]
