"""Money after payment (issue 14, item 3): refunds and 补发 from creation to reconciliation.

A ``refunds`` row is created ``pending`` by the ledger (a cancelled or refunded payment, a held
payment accepted with a difference, a retro-subsidy 补发 after an identity change). From there:

    pending ──approve──▶ approved ──file──▶ sent ──result 成功──▶ paid
       │                                     │
       └──reject──▶ rejected ◀──reject── failed ◀──result 失败──┘  (failed ──file──▶ sent again)

- :func:`approve` / :func:`reject`: by an officer other than the row's creator (four eyes; rows
  created before ``created_by`` existed have no creator and any approver may decide), all or
  nothing, each row audited;
- :func:`export_refund_file`: the approved (and failed) money-out rows (``refund``,
  ``cancellation``; a ``top_up`` is money the resident owes and is collected at the counter, never
  paid out) written to a CSV/XLSX for the paying channel with the full ID number, the name, the
  amount in yuan and the refund number as the reference; the rows become ``sent`` in one batch;
- :func:`import_result`: the channel's answer (reference, 成功/失败, amount, paid date, its
  transaction number, reason): a matched row becomes ``paid`` or ``failed``; an unknown
  reference, a duplicate line, an amount that differs, a row not sent (or sent again in a later
  batch) is reported, never applied; the same file imported again changes nothing;
- :func:`reconcile_refunds`: count and amount per status and kind, and the rows sent more than N
  days ago with no result.

Every function takes ``scope``, the region-code prefix of the residents the actor may act on
("" = the whole database, the CLI); the permission (``refund.approve``, ``refund.pay``) is checked
by the interface (urrbmi.access.roles).
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urrbmi import clock, ids
from urrbmi.access.errors import Forbidden, out_of_scope
from urrbmi.db.models import Campaign, Payment, Refund, RefundStatus, Resident
from urrbmi.errors import InvalidInput
from urrbmi.export import Book, write_csv
from urrbmi.limits import read_text
from urrbmi.money import from_fen, to_fen
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict, NotFound

S = RefundStatus
PAYABLE_KINDS = ("refund", "cancellation")  # money out; a top_up is collected, not paid
STATUS_ZH = {
    S.PENDING: "待审批",
    S.APPROVED: "已审批待发送",
    S.REJECTED: "已驳回",
    S.SENT: "已发送渠道",
    S.PAID: "已支付",
    S.FAILED: "支付失败",
    S.VOID: "已作废",
}
KIND_ZH = {"refund": "退费", "top_up": "补缴", "cancellation": "撤销缴费退款"}
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


class FourEyes(Forbidden):
    """The approver is the officer who created the refund."""

    code = "four_eyes"
    http_status = 403


def _zh(status: str) -> str:
    return STATUS_ZH.get(S(status), status) if status in S._value2member_map_ else status


def _actor_name(actor: str) -> str:
    """The person behind an actor string (the API writes ``api:<user>``, the CLI the user)."""
    return actor.removeprefix("api:").strip().lower()


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundRow:
    id: int
    kind: str
    kind_zh: str
    status: str
    status_zh: str
    amount: Decimal
    reason: str
    id_number: str  # full: the interface masks it for whoever may not see it
    name: str
    region_code: str
    payment_channel: str | None
    payment_ref: str | None
    created_at: dt.datetime
    created_by: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    decided_reason: str | None
    channel: str | None
    batch_id: str | None
    sent_at: dt.datetime | None
    paid_on: dt.date | None
    channel_ref: str | None
    result_reason: str | None


def _rows(c: Campaign, scope: str) -> Any:
    return (
        select(
            Refund,
            Resident.id_number,
            Resident.name,
            Resident.region_code,
            Payment.channel,
            Payment.external_ref,
        )
        .join(Resident, Resident.id == Refund.resident_id)
        .outerjoin(Payment, Payment.id == Refund.payment_id)
        .where(Refund.campaign_id == c.id, Resident.region_code.startswith(scope, autoescape=True))
        .order_by(Refund.id)
    )


def _row(r: Refund, id_number: str, name: str, region: str, pch: str | None, pref: str | None) -> RefundRow:
    return RefundRow(
        r.id,
        r.kind,
        KIND_ZH.get(r.kind, r.kind),
        r.status,
        _zh(r.status),
        from_fen(r.amount_fen),
        r.reason,
        id_number,
        name,
        region,
        pch,
        pref,
        r.created_at,
        r.created_by,
        r.decided_by,
        r.decided_at,
        r.decided_reason,
        r.channel,
        r.batch_id,
        r.sent_at,
        r.paid_on,
        r.channel_ref,
        r.result_reason,
    )


def list_refunds(
    session: Session,
    c: Campaign,
    *,
    scope: str = "",
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[RefundRow]:
    q = _rows(c, scope)
    if status is not None:
        q = q.where(Refund.status == S(status))
    if limit is not None:
        q = q.limit(limit)
    if offset:
        q = q.offset(offset)
    return [_row(*t) for t in session.execute(q)]


def _load(session: Session, c: Campaign, refund_ids: Sequence[int], scope: str) -> list[Refund]:
    """The rows, locked, all in the campaign and the scope, or the error (nothing changed)."""
    wanted = sorted(set(refund_ids))
    if not wanted:
        raise InvalidInput("请指定退费编号", "name at least one refund")
    found = list(
        session.scalars(
            select(Refund)
            .join(Resident, Resident.id == Refund.resident_id)
            .where(
                Refund.id.in_(wanted),
                Refund.campaign_id == c.id,
                Resident.region_code.startswith(scope, autoescape=True),
            )
            .order_by(Refund.id)
            .with_for_update(of=Refund)
        )
    )
    missing = sorted(set(wanted) - {r.id for r in found})
    if missing:
        if scope:
            raise out_of_scope()
        shown = "、".join(str(m) for m in missing[:10])
        raise NotFound(
            f"征缴批次{c.id}中找不到退费{shown}",
            f"no refund {', '.join(map(str, missing[:10]))} in campaign {c.id}",
        )
    return found


def _refuse(r: Refund, action_zh: str, action_en: str, allowed: Iterable[S]) -> None:
    if r.status not in {s.value for s in allowed}:
        raise Conflict(
            f"退费{r.id}的状态是“{_zh(r.status)}”，不能{action_zh}",
            f"refund {r.id} is {r.status}: it cannot be {action_en}",
            code="refund_state",
        )


def _four_eyes(r: Refund, actor: str) -> None:
    if r.created_by is not None and _actor_name(r.created_by) == _actor_name(actor):
        raise FourEyes(
            f"退费{r.id}由您本人发起，须由另一名经办人员审批",
            f"refund {r.id} was created by you: another officer must decide it",
        )


def _decide(
    session: Session,
    c: Campaign,
    refund_ids: Sequence[int],
    *,
    to: S,
    allowed: tuple[S, ...],
    actor: str,
    reason: str | None,
    scope: str,
    words: tuple[str, str],
) -> list[RefundRow]:
    rows = _load(session, c, refund_ids, scope)
    for r in rows:  # every row is checked before any is changed
        _refuse(r, *words, allowed)
        _four_eyes(r, actor)
    now = audit.now()
    for r in rows:
        old = r.status
        r.status, r.decided_by, r.decided_at, r.decided_reason = to.value, actor, now, reason
        audit.record(
            session, actor, "refunds", r.id, to.value, {"status": old}, {"status": to.value, "reason": reason}
        )
    session.flush()
    wanted = {r.id for r in rows}
    return [x for x in list_refunds(session, c, scope=scope) if x.id in wanted]


def approve(
    session: Session, c: Campaign, refund_ids: Sequence[int], *, actor: str, scope: str = ""
) -> list[RefundRow]:
    """Approve pending refunds (all or none)."""
    return _decide(
        session,
        c,
        refund_ids,
        to=S.APPROVED,
        allowed=(S.PENDING,),
        actor=actor,
        reason=None,
        scope=scope,
        words=("审批", "approved"),
    )


def reject(
    session: Session, c: Campaign, refund_ids: Sequence[int], *, actor: str, reason: str, scope: str = ""
) -> list[RefundRow]:
    """Reject pending (or failed) refunds with a reason (all or none)."""
    if not reason.strip():
        raise InvalidInput("驳回退费须说明理由", "rejecting a refund needs a reason")
    return _decide(
        session,
        c,
        refund_ids,
        to=S.REJECTED,
        allowed=(S.PENDING, S.FAILED),
        actor=actor,
        reason=reason.strip(),
        scope=scope,
        words=("驳回", "rejected"),
    )


# --- the refund file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundFile:
    batch_id: str | None  # None: nothing to send (the file holds the header only)
    channel: str
    count: int
    total: Decimal
    path: Path


def export_refund_file(
    session: Session,
    c: Campaign,
    channel: str,
    path: Path,
    fmt: str = "xlsx",
    *,
    actor: str,
    scope: str = "",
    again: str | None = None,
) -> RefundFile:
    """Write the approved and failed money-out refunds to ``path`` for ``channel`` and mark them
    ``sent`` in one batch (the batch number is on every row and in the file).

    ``again``: write the file of that earlier batch once more (its rows still ``sent``; a file
    lost on the way), changing nothing but an audit row."""
    if fmt not in ("xlsx", "csv"):
        raise InvalidInput(f"文件格式应为xlsx或csv：{fmt}", f"the format is xlsx or csv, not {fmt!r}")
    if again is not None:
        return _write_again(session, c, channel, path, fmt, actor=actor, scope=scope, batch=again)
    rows = list(
        session.execute(
            _rows(c, scope)
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
    _write(path, fmt, lines)
    total = sum((from_fen(r.amount_fen) for r, *_ in rows), Decimal("0.00"))
    return RefundFile(batch, channel, len(rows), total, path)


def _write(path: Path, fmt: str, lines: list[list[object]]) -> None:
    if fmt == "csv":
        write_csv(path, FILE_HEADER, lines)
        return
    book = Book()
    sheet = book.sheet("退费")
    sheet.append(FILE_HEADER)
    for line in lines:
        sheet.append(line)
    book.save(path)


def _write_again(
    session: Session, c: Campaign, channel: str, path: Path, fmt: str, *, actor: str, scope: str, batch: str
) -> RefundFile:
    rows = list(session.execute(_rows(c, scope).where(Refund.batch_id == batch, Refund.status == S.SENT)))
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
    lines = [_file_line(batch, row) for row in rows]
    _write(path, fmt, lines)
    audit.record(session, actor, "refunds", f"batch:{batch}", "resend_file", None, {"rows": len(rows)})
    total = sum((from_fen(r.amount_fen) for r, *_ in rows), Decimal("0.00"))
    return RefundFile(batch, channel, len(rows), total, path)


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


def read_result_file(path: Path) -> list[dict[str, str]]:
    """The result CSV's rows by field (ref, result, amount, paid_on, channel_ref, reason, batch)."""
    try:
        table = list(csv.reader(read_text(path).splitlines()))
    except csv.Error as exc:
        raise InvalidInput(
            f"结果文件{path.name}不是有效的CSV：{exc}", f"the result file {path.name} is not valid CSV: {exc}"
        ) from None
    reader = iter(table)
    header = next(reader, None)
    if header is None:
        raise InvalidInput(f"结果文件{path.name}为空", f"the result file {path.name} is empty")
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
                problem(n, ref, "conflict", f"已登记为“{_zh(r.status)}”")
            continue
        if r.status != S.SENT:
            problem(n, ref, "not_sent", f"状态为“{_zh(r.status)}”")
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


# --- reconciliation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusTotal:
    status: str
    status_zh: str
    kind: str
    kind_zh: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class RefundReconciliation:
    totals: list[StatusTotal]
    stale_days: int
    stale: list[RefundRow]  # sent more than ``stale_days`` days ago, no result yet

    @property
    def outstanding(self) -> Decimal:
        """Money out approved but not yet paid (approved, sent, failed)."""
        owed = {S.APPROVED.value, S.SENT.value, S.FAILED.value}
        return sum(
            (t.amount for t in self.totals if t.status in owed and t.kind in PAYABLE_KINDS), Decimal("0.00")
        )


def reconcile_refunds(
    session: Session, c: Campaign, *, scope: str = "", stale_days: int = 7, today: dt.date | None = None
) -> RefundReconciliation:
    if not 0 <= stale_days <= 3660:
        raise InvalidInput("天数应在0到3660之间", "days must be between 0 and 3660")
    q = (
        select(Refund.status, Refund.kind, func.count(), func.sum(Refund.amount_fen))
        .join(Resident, Resident.id == Refund.resident_id)
        .where(Refund.campaign_id == c.id, Resident.region_code.startswith(scope, autoescape=True))
        .group_by(Refund.status, Refund.kind)
    )
    order = {s.value: i for i, s in enumerate(S)}
    totals = sorted(
        (
            StatusTotal(st, _zh(st), kind, KIND_ZH.get(kind, kind), int(n), from_fen(int(fen or 0)))
            for st, kind, n, fen in session.execute(q)
        ),
        key=lambda t: (order.get(t.status, 99), t.kind),
    )
    day = today or clock.today()
    cutoff = dt.datetime.combine(day - dt.timedelta(days=stale_days), dt.time(), tzinfo=clock.CHINA)
    stale = [
        _row(*t)
        for t in session.execute(_rows(c, scope).where(Refund.status == S.SENT, Refund.sent_at < cutoff))
    ]
    return RefundReconciliation(totals, stale_days, stale)


def masked_rows(rows: Iterable[RefundRow], full: bool) -> list[RefundRow]:
    """The rows with ID numbers masked unless the reader may see them in full."""
    if full:
        return list(rows)
    return [replace(r, id_number=ids.mask(r.id_number)) for r in rows]


__all__ = [
    "KIND_ZH",
    "PAYABLE_KINDS",
    "PROBLEM_ZH",
    "STATUS_ZH",
    "FourEyes",
    "RefundFile",
    "RefundReconciliation",
    "RefundRow",
    "ResultProblem",
    "ResultReport",
    "StatusTotal",
    "approve",
    "export_refund_file",
    "import_result",
    "list_refunds",
    "masked_rows",
    "read_result_file",
    "reconcile_refunds",
    "reject",
]


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
