"""Payments: one at a village agent's counter, or a channel's file of thousands.

A channel's file goes through this pipeline, in the caller's transaction:

1. lines are validated (ID numbers, amounts in yuan with at most two decimals, dates); a file with
   any bad line is refused whole, naming the lines;
2. each line is priced by the engine at its payment date, with the identities and tier of the
   resident's assessment (cache per distinct profile), and the result goes into
   ``payment_staging`` with multi-row inserts;
3. one set-based ``INSERT … SELECT`` moves staging into ``payments``, deciding the status:
   ``unmatched`` (ID not in the registry), ``held`` (amount differs from what is due, not
   assessed, or the resident already paid), else ``accepted``;
4. set-based inserts issue receipts (numbers from the database), and the ledger
   (:mod:`urrbmi.campaign.ledger`) the enrollments and benefit periods.

A counter payment (:func:`record_payment`) is checked first and refused, with nothing written,
when its amount is not the amount due or its date is after today or backdated too far
(:func:`check_counter_payment`); a channel's file keeps such lines in the held queue. An accepted
counter payment is then written directly (one read, one insert per table, no staging); anything
else, and a lost race, takes the pipeline above for one line.

Idempotent: a (channel, external reference) already recorded with the same data is skipped; with
different data the whole file is refused. Two agents paying for the same resident at once give one
accepted payment: a partial unique index allows one accepted payment per resident and campaign,
and the loser is re-run and held as ``already_paid``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    Integer,
    Select,
    SelectBase,
    String,
    bindparam,
    delete,
    insert,
    literal,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urrbmi import clock, ids, money
from urrbmi.access.settings import settings
from urrbmi.campaign import ledger
from urrbmi.campaign.campaigns import Pricer, campaign_policy, profile, profile_columns
from urrbmi.campaign.handover import guard_cancel
from urrbmi.db import dialect
from urrbmi.db.bulk import bulk_insert
from urrbmi.db.models import (
    CHANNELS,
    Assessment,
    Campaign,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    InsuranceType,
    Payment,
    PaymentStaging,
    PaymentStatus,
    Receipt,
    Resident,
)
from urrbmi.errors import InvalidId, InvalidInput
from urrbmi.limits import limits, read_text
from urrbmi.money import from_fen
from urrbmi.registry import audit
from urrbmi.registry.errors import (
    AlreadyEnrolled,
    AmountMismatch,
    BackdateNotAllowed,
    Conflict,
    NotFound,
    PaidInFuture,
)

STAGING_BATCH = 5_000
ANALYZE_FROM = 1_000
LOOKUP_BATCH = 900  # SQLite allows 999 bound parameters in older builds


@dataclass(frozen=True, slots=True)
class PaymentLine:
    line_no: int
    external_ref: str
    id_number: str
    amount_fen: int
    paid_on: dt.date


@dataclass
class PaymentSummary:
    batch_id: str
    lines: int = 0
    replayed: int = 0  # already recorded with the same data (idempotent re-run)
    status: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "lines": self.lines,
            "replayed": self.replayed,
            "status": dict(self.status),
            "held": dict(self.held),
        }


HOLD_ZH = {
    "amount_mismatch": "金额与应缴不符",
    "not_assessed": "未核定应缴（或不在征缴范围）",
    "already_paid": "本年度已缴费",
    "quote_error": "按缴费日期无法核定（见政策）",
}

# --- reading and validating ----------------------------------------------------------------

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


def read_payment_file(path: Path) -> list[PaymentLine]:
    """A channel's CSV file (UTF-8, with or without BOM; GB18030 accepted), headers in Chinese or
    English (see ``HEADERS``). Bounded before parsing: size, lines and line length
    (``urrbmi.limits``)."""
    content = read_text(path)
    reader = csv.reader(io.StringIO(content))
    header = next(reader, None)
    if header is None:
        raise InvalidInput(f"缴费文件为空：{path}", f"empty payment file: {path}")
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


# --- the pipeline --------------------------------------------------------------------------


def _dedupe_file(lines: Sequence[PaymentLine]) -> tuple[list[PaymentLine], int]:
    """The same reference twice in one file: identical → once; different → refuse the file."""
    seen: dict[str, PaymentLine] = {}
    out: list[PaymentLine] = []
    for ln in lines:
        prev = seen.get(ln.external_ref)
        if prev is None:
            seen[ln.external_ref] = ln
            out.append(ln)
        elif (prev.id_number, prev.amount_fen, prev.paid_on) != (ln.id_number, ln.amount_fen, ln.paid_on):
            raise Conflict(
                f"第{prev.line_no}行与第{ln.line_no}行的交易流水号{ln.external_ref}相同但内容不同，整个文件未导入",
                f"lines {prev.line_no} and {ln.line_no} share reference {ln.external_ref} with "
                "different data; nothing was imported",
            )
    return out, len(lines) - len(out)


def _stage_rows(
    session: Session, c: Campaign, lines: Sequence[PaymentLine], batch_id: str
) -> Iterable[dict[str, Any]]:
    """Price every line at its payment date (resident + assessment looked up in batches)."""
    policy = campaign_policy(c)
    pricer = Pricer(policy)
    cols = profile_columns(c.benefit_year, c.id)
    for start in range(0, len(lines), LOOKUP_BATCH):
        part = lines[start : start + LOOKUP_BATCH]
        found = {
            r.id_number: r
            for r in session.execute(
                select(
                    *cols,
                    Resident.id_number,
                    Assessment.status.label("a_status"),
                    Assessment.categories.label("a_categories"),
                    Assessment.tier.label("a_tier"),
                )
                .outerjoin(
                    Assessment, (Assessment.resident_id == Resident.id) & (Assessment.campaign_id == c.id)
                )
                .where(Resident.id_number.in_({ln.id_number for ln in part}))
            )
        }
        for ln in part:
            yield _price_line(pricer, found.get(ln.id_number), ln, batch_id)


def _price_line(pricer: Pricer, row: Any, ln: PaymentLine, batch_id: str) -> dict[str, Any]:
    """A line's staging row: the amount due at its payment date, the benefit period, and why it
    would be held (``row``: the resident's profile and assessment; None: not in the registry)."""
    rec: dict[str, Any] = {
        "batch_id": batch_id,
        "line_no": ln.line_no,
        "external_ref": ln.external_ref,
        "id_number": ln.id_number,
        "amount_fen": ln.amount_fen,
        "paid_on": ln.paid_on,
        "resident_id": None,
        "due_fen": None,
        "benefit_start": None,
        "benefit_end": None,
        "hold_reason": None,
    }
    if row is None:
        rec["hold_reason"] = "unmatched"
    elif row.a_status != "due":
        rec |= {"resident_id": row.id, "hold_reason": "not_assessed"}
    else:
        codes = tuple(x for x in row.a_categories.split(",") if x)
        pr = pricer.price(profile(row, codes, row.a_tier, ln.paid_on))
        rec["resident_id"] = row.id
        if pr.error_code is not None:
            rec["hold_reason"] = "quote_error"
        else:
            rec |= {
                "due_fen": pr.total_due_fen,
                "benefit_start": pr.benefit_start,
                "benefit_end": pr.benefit_end,
            }
            if pr.total_due_fen != ln.amount_fen:
                rec["hold_reason"] = "amount_mismatch"
    return rec


# Candidates for acceptance are ranked per resident (a matching amount first, then file order):
# only the first may be accepted, and only if no campaign has enrolled the resident for the year
# (here or in another region: one enrollment per resident and benefit year, migration 0011).
_MOVE = text(
    """
INSERT INTO payments (campaign_id, resident_id, id_number, channel, external_ref, amount_fen,
                      due_fen, paid_on, status, hold_reason, recorded_by, recorded_at, batch_id)
SELECT :campaign_id, s.resident_id, s.id_number, :channel, s.external_ref, s.amount_fen,
       s.due_fen, s.paid_on,
       CASE WHEN s.hold_reason = 'unmatched' THEN 'unmatched'
            WHEN s.hold_reason IS NOT NULL OR s.rn > 1 OR s.enrolled = 1 THEN 'held'
            ELSE 'accepted' END,
       CASE WHEN s.hold_reason = 'unmatched' THEN NULL
            WHEN s.hold_reason IS NOT NULL THEN s.hold_reason
            WHEN s.rn > 1 OR s.enrolled = 1 THEN 'already_paid'
            ELSE NULL END,
       :actor, :at, :batch_id
FROM (
    SELECT st.*,
           ROW_NUMBER() OVER (PARTITION BY st.id_number
                              ORDER BY CASE WHEN st.hold_reason IS NULL THEN 0 ELSE 1 END,
                                       st.line_no) AS rn,
           CASE WHEN EXISTS (SELECT 1 FROM enrollments e
                             WHERE e.resident_id = st.resident_id AND e.benefit_year = :year
                               AND e.status = 'enrolled' AND e.campaign_id IS NOT NULL)
                THEN 1 ELSE 0 END AS enrolled
    FROM payment_staging st
    WHERE st.batch_id = :batch_id
      AND NOT EXISTS (SELECT 1 FROM payments p
                      WHERE p.channel = :channel AND p.external_ref = st.external_ref)
) s
ORDER BY s.line_no
"""
)

_RECEIPTS = text(
    """
INSERT INTO receipts (payment_id)
SELECT id FROM payments WHERE batch_id = :batch_id AND status = 'accepted' ORDER BY id
"""
)


def _enrollments(batch_id: str, year: int) -> SelectBase:
    """The enrollments of a file's accepted payments, with the benefit period priced at staging
    (for :func:`urrbmi.campaign.ledger.enroll_from`)."""
    return (
        select(
            Payment.campaign_id.label("campaign_id"),
            Payment.resident_id.label("resident_id"),
            literal(year, Integer()).label("benefit_year"),
            Resident.region_code.label("region_code"),
            literal(InsuranceType.RESIDENT.value, String()).label("insurance_type"),
            Payment.id.label("payment_id"),
            Payment.paid_on.label("enrolled_on"),
            PaymentStaging.benefit_start.label("start_on"),
            PaymentStaging.benefit_end.label("end_on"),
        )
        .join(Resident, Resident.id == Payment.resident_id)
        .join(
            PaymentStaging,
            (PaymentStaging.batch_id == batch_id) & (PaymentStaging.external_ref == Payment.external_ref),
        )
        .where(Payment.batch_id == batch_id, Payment.status == PaymentStatus.ACCEPTED.value)
    )


def _conflicts(session: Session, c: Campaign, channel: str, batch_id: str) -> list[str]:
    """References already recorded on this channel with different data."""
    rows = session.execute(
        select(PaymentStaging.line_no, PaymentStaging.external_ref)
        .join(
            Payment,
            (Payment.channel == channel) & (Payment.external_ref == PaymentStaging.external_ref),
        )
        .where(
            PaymentStaging.batch_id == batch_id,
            tuple_(Payment.id_number, Payment.amount_fen, Payment.paid_on, Payment.campaign_id)
            != tuple_(PaymentStaging.id_number, PaymentStaging.amount_fen, PaymentStaging.paid_on, c.id),
        )
        .order_by(PaymentStaging.line_no)
        .limit(20)
    ).all()
    return [f"{ln}:{ref}" for ln, ref in rows]


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise InvalidInput(
            f"未知的缴费渠道{channel}；可用：{'、'.join(CHANNELS)}",
            f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}",
        )


def apply_payments(
    session: Session,
    c: Campaign,
    channel: str,
    lines: Sequence[PaymentLine],
    *,
    actor: str,
    batch_id: str | None = None,
    after_staging_batch: Callable[[int], None] | None = None,
    priced: Sequence[dict[str, Any]] | None = None,
) -> PaymentSummary:
    """Record payments in the caller's transaction (see the module docstring).

    ``after_staging_batch`` is called with the number of lines staged so far after each staging
    batch (progress display; tests use it to inject a failure mid-file). ``priced``: the lines'
    staging rows as the caller already priced them (a counter payment's check), not priced again."""
    _check_channel(channel)
    batch = batch_id or uuid.uuid4().hex
    summary = PaymentSummary(batch_id=batch, lines=len(lines))
    if len(lines) >= ANALYZE_FROM:
        # a big file after a bulk assessment: stale statistics make PostgreSQL hash whole tables
        # for every lookup batch (measured: 86 s instead of a few for 100,000 lines)
        dialect.analyze(session, "residents", "assessments")
    unique, summary.replayed = _dedupe_file(lines)
    staged = 0
    buf: list[dict[str, Any]] = []
    rows = (
        _stage_rows(session, c, unique, batch)
        if priced is None
        else (r | {"batch_id": batch} for r in priced)
    )
    for rec in rows:
        buf.append(rec)
        if len(buf) >= STAGING_BATCH:
            bulk_insert(session, PaymentStaging, buf)
            staged += len(buf)
            buf = []
            if after_staging_batch is not None:
                after_staging_batch(staged)
    if buf:
        bulk_insert(session, PaymentStaging, buf)
        staged += len(buf)
        if after_staging_batch is not None:
            after_staging_batch(staged)
    if staged >= ANALYZE_FROM:
        # a big file's fresh rows: let the planner see them (not for single payments: ANALYZE
        # locks the staging table until commit, which would serialize the agents)
        dialect.analyze(session, "payment_staging")
    bad = _conflicts(session, c, channel, batch)
    if bad:
        raise Conflict(
            f"以下交易流水号已按不同内容入账，整个文件未导入（行:流水号）：{', '.join(bad)}",
            f"these references were already recorded with different data; nothing was imported "
            f"(line:ref): {', '.join(bad)}",
        )
    params = {"campaign_id": c.id, "channel": channel, "batch_id": batch, "actor": actor, "at": audit.now()}
    result = session.execute(_MOVE, params | {"year": c.benefit_year})
    assert isinstance(result, CursorResult)
    moved = result.rowcount
    summary.replayed += len(unique) - moved
    big = staged >= ANALYZE_FROM
    if big:  # the planner must see this file's payments (else: nested loops over all of them)
        dialect.analyze(session, "payments")
    session.execute(_RECEIPTS, {"batch_id": batch})
    ledger.enroll_from(
        session,
        _enrollments(batch, c.benefit_year),
        source=EnrollmentSource.PAYMENT,
        actor=actor,
        audit_key=None,  # the file's audit row below counts them
        analyze_after=big,
    )
    session.execute(delete(PaymentStaging).where(PaymentStaging.batch_id == batch))
    for status, reason, n in session.execute(
        text(
            "SELECT status, hold_reason, COUNT(*) FROM payments WHERE batch_id = :b "
            "GROUP BY status, hold_reason"
        ),
        {"b": batch},
    ):
        summary.status[status] += n
        if status == PaymentStatus.HELD:
            summary.held[reason] += n
    audit.record(
        session, actor, "payments", f"batch:{batch}", "import", None, summary.as_dict() | {"channel": channel}
    )
    return summary


def apply_payments_raced(
    session: Session,
    c: Campaign,
    channel: str,
    lines: Sequence[PaymentLine],
    *,
    actor: str,
    priced: Sequence[Any] | None = None,
) -> PaymentSummary:
    """:func:`apply_payments` for lines that may race (a counter payment, a channel's
    notification): run in a savepoint, and re-run when a concurrent transaction recorded the same
    reference or paid for the same resident first (a unique violation; under PostgreSQL's READ
    COMMITTED the re-run sees that row, so the line is a replay or held as ``already_paid``)."""
    tries = 0
    while True:
        try:
            with session.begin_nested():
                return apply_payments(session, c, channel, lines, actor=actor, priced=priced)
        except IntegrityError:
            tries += 1
            if tries == 3:
                raise


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    receipt_no: int | None
    replayed: bool


def record_payment(
    session: Session,
    c: Campaign,
    *,
    id_number: str,
    amount: Decimal,
    channel: str,
    external_ref: str,
    paid_on: dt.date,
    actor: str,
    may_backdate: bool = False,
) -> PaymentResult:
    """One counter payment (village agent, cash or POS). Safe to repeat and to race.

    Guards (before anything is written; a repeat of a recorded reference skips them): ``paid_on``
    is not after today (China time) nor more than ``URRBMI_BACKDATE_DAYS`` days before it unless
    ``may_backdate`` (an officer: permission ``payment.backdate``; audited); an amount that is not
    the amount due is refused with the amount due (:func:`check_counter_payment`). A channel's
    file (:func:`apply_payments`) keeps such payments in the held queue instead: its money has
    already been taken.

    The common case — a known, assessed resident not yet enrolled for the year, paying the
    amount due under a new reference — is one read (:func:`_counter_read`: the resident's
    profile, assessment, enrollment and the reference), a price from the campaign's cached
    :class:`Pricer`, and in a savepoint the payment, its receipt, the enrollment and the benefit
    period (:mod:`urrbmi.campaign.ledger`) and one audit row: no staging. Everything else (a
    replay, an unknown ID number, a resident already enrolled, a line the policy cannot price)
    and a lost race (a unique violation: a concurrent recording of the same reference or for
    the same resident) take the channel-file pipeline for one line
    (:func:`apply_payments_raced`), which answers with the replay or holds the payment as
    ``already_paid``, exactly as a file would."""
    amount = money.yuan(amount)  # a float is refused: not exact
    line = read_lines(
        [
            {
                "external_ref": external_ref,
                "id_number": id_number,
                "amount": str(amount),
                "paid_on": str(paid_on),
            }
        ],
        first_line=1,
    )[0]
    _check_channel(channel)
    row = _counter_read(session, c, line, channel)
    if row is not None and row.known is None:
        late = _check_day(line, may_backdate)
        rec = _price_line(_pricer(c), row, line, "counter")
        _refuse_wrong_amount(line, rec)
        checked: CounterCheck | None = CounterCheck(rec, late)
        if rec["hold_reason"] is None and not row.enrolled:
            try:
                with session.begin_nested():
                    done = _record_accepted(session, c, channel, line, rec, row.region_code, actor)
            except IntegrityError:
                done = None  # lost a race: the pipeline below sees the winner's rows
            if done is not None:
                _audit_backdate(session, actor, done.payment, late)
                return done
    elif row is None:  # an ID number the registry does not know: priced (unmatched) below
        checked = check_counter_payment(session, c, line, may_backdate)
    else:
        checked = None  # a repeat: answered as recorded, whatever the day has become
    summary = apply_payments_raced(
        session, c, channel, [line], actor=actor, priced=None if checked is None else [checked.priced]
    )
    p = session.scalars(
        select(Payment).where(Payment.channel == channel, Payment.external_ref == line.external_ref)
    ).one()
    if checked is not None and summary.replayed == 0:
        _audit_backdate(session, actor, p, checked.backdated_days)
    receipt = session.scalar(select(Receipt.receipt_no).where(Receipt.payment_id == p.id))
    return PaymentResult(p, receipt, replayed=summary.replayed > 0)


_PRICERS: dict[tuple[str, str], Pricer] = {}


def _pricer(c: Campaign) -> Pricer:
    """The campaign's pricer, kept per policy version (its quote cache serves every counter
    payment of the process); the policy is checked unchanged on every call."""
    policy = campaign_policy(c)
    key = (c.policy_id, policy.version)
    found = _PRICERS.get(key)
    if found is None or found.policy is not policy:
        found = _PRICERS[key] = Pricer(policy)
    return found


@cache
def _counter_statement(benefit_year: int, campaign_id: int) -> Select[Any]:
    """The one read of a counter payment, built once per campaign (compiled once)."""
    known = (
        select(Payment.id)
        .where(Payment.channel == bindparam("channel"), Payment.external_ref == bindparam("ref"))
        .scalar_subquery()
    )
    return (
        select(
            *profile_columns(benefit_year, campaign_id),
            Resident.id_number,
            Resident.region_code,
            Assessment.status.label("a_status"),
            Assessment.categories.label("a_categories"),
            Assessment.tier.label("a_tier"),
            ledger.enrolled_for_year(Resident.id, benefit_year).label("enrolled"),
            known.label("known"),
        )
        .outerjoin(
            Assessment, (Assessment.resident_id == Resident.id) & (Assessment.campaign_id == campaign_id)
        )
        .where(Resident.id_number == bindparam("id_number"))
    )


def _counter_read(session: Session, c: Campaign, line: PaymentLine, channel: str) -> Any:
    """The resident with its profile, assessment, whether a campaign enrolled it for the year,
    and the payment already recorded under the reference (None: no such resident)."""
    return session.execute(
        _counter_statement(c.benefit_year, c.id),
        {"channel": channel, "ref": line.external_ref, "id_number": line.id_number},
    ).first()


def _record_accepted(
    session: Session,
    c: Campaign,
    channel: str,
    line: PaymentLine,
    rec: dict[str, Any],
    region_code: str,
    actor: str,
) -> PaymentResult:
    """Write an accepted counter payment: the payment, its receipt, the enrollment with its
    benefit period, one audit row (the partial unique indexes refuse a lost race)."""
    p = Payment(
        campaign_id=c.id,
        resident_id=rec["resident_id"],
        id_number=line.id_number,
        channel=channel,
        external_ref=line.external_ref,
        amount_fen=line.amount_fen,
        due_fen=rec["due_fen"],
        paid_on=line.paid_on,
        status=PaymentStatus.ACCEPTED.value,
        hold_reason=None,
        recorded_by=actor,
        recorded_at=audit.now(),
        batch_id=uuid.uuid4().hex,  # a one-line batch, as the file pipeline gives it
    )
    session.add(p)
    session.flush()
    receipt = session.execute(_RECEIPT, {"payment_id": p.id}).scalar_one()
    ledger.enroll(
        session,
        [
            ledger.NewEnrollment(
                c.id,
                rec["resident_id"],
                c.benefit_year,
                region_code,
                line.paid_on,
                rec["benefit_start"],
                rec["benefit_end"],
                p.id,
            )
        ],
        source=EnrollmentSource.PAYMENT,
        actor=actor,
        audit_key=None,  # the payment's audit row
    )
    audit.record(
        session,
        actor,
        "payments",
        p.id,
        "insert",
        None,
        {"channel": channel, "amount_fen": p.amount_fen, "status": p.status, "receipt_no": receipt},
    )
    return PaymentResult(p, receipt, replayed=False)


_RECEIPT = insert(Receipt).values(payment_id=bindparam("payment_id")).returning(Receipt.receipt_no)


def _audit_backdate(session: Session, actor: str, p: Payment, late_days: int) -> None:
    if late_days:
        audit.record(
            session, actor, "payments", p.id, "backdate", None, {"paid_on": str(p.paid_on), "days": late_days}
        )


class CounterCheck(NamedTuple):
    priced: dict[str, Any]  # the line's staging row (amount due, benefit period, hold reason)
    backdated_days: int  # days beyond the backdating window (an officer's; 0: within it)


def check_counter_payment(
    session: Session, c: Campaign, line: PaymentLine, may_backdate: bool
) -> CounterCheck:
    """Refuse a counter payment dated after today, backdated beyond the window without
    ``may_backdate``, or whose amount is not the amount due (reads only). Returns the line priced
    as the ledger stages it, and how many days beyond the window an officer backdated it."""
    late = _check_day(line, may_backdate)
    rec = next(iter(_stage_rows(session, c, [line], "check")))
    _refuse_wrong_amount(line, rec)
    return CounterCheck(rec, late)


def _check_day(line: PaymentLine, may_backdate: bool) -> int:
    """Refuse a date after today or backdated beyond the window without ``may_backdate``;
    returns the days beyond the window (an officer's backdating; 0: within it)."""
    today = clock.today()
    if line.paid_on > today:
        raise PaidInFuture(
            f"缴费日期{line.paid_on}晚于今天（{today}），未入账",
            f"the payment date {line.paid_on} is after today ({today}); nothing was recorded",
        )
    window = settings().backdate_days
    late = (today - line.paid_on).days - window
    if late > 0 and not may_backdate:
        raise BackdateNotAllowed(
            f"缴费日期{line.paid_on}早于{window}天的补录期限（最早{today - dt.timedelta(days=window)}），"
            "未入账；请由经办人员补录",
            f"the payment date {line.paid_on} is more than {window} days before today "
            f"(earliest {today - dt.timedelta(days=window)}); nothing was recorded: an officer "
            "must backdate it",
        )
    return max(late, 0)


def _refuse_wrong_amount(line: PaymentLine, rec: dict[str, Any]) -> None:
    if rec["hold_reason"] == "amount_mismatch":
        due, given = from_fen(rec["due_fen"]), from_fen(line.amount_fen)
        who = ids.mask(line.id_number)
        raise AmountMismatch(
            f"金额与应缴不符：居民{who}按缴费日期{line.paid_on}应缴{due}元，录入的是{given}元；"
            f"未入账，请核对后按应缴金额{due}元录入",
            f"the amount {given} yuan is not the amount due: {due} yuan for {who} paying on "
            f"{line.paid_on}; nothing was recorded",
        )


def payments_of(session: Session, resident_id: int) -> list[tuple[Payment, int | None]]:
    rows = session.execute(
        text(
            "SELECT p.id, r.receipt_no FROM payments p LEFT JOIN receipts r ON r.payment_id = p.id "
            "WHERE p.resident_id = :r ORDER BY p.id"
        ),
        {"r": resident_id},
    ).all()
    out = []
    for pid, rno in rows:
        p = session.get(Payment, pid)
        assert p is not None
        out.append((p, rno))
    return out


__all__ = [
    "HOLD_ZH",
    "PaymentLine",
    "PaymentResult",
    "PaymentSummary",
    "accept_payment",
    "apply_payments",
    "payments_of",
    "read_lines",
    "read_payment_file",
    "record_payment",
]


def cancel_payment(
    session: Session,
    c: Campaign,
    *,
    channel: str,
    external_ref: str,
    reason: str,
    actor: str,
    may_cancel_handed_over: bool = False,
) -> Payment:
    """Give a payment back: a held or unmatched one (a second payment, a wrong amount) becomes
    ``refunded`` with a pending ``refund``; an accepted one is cancelled with its enrollment (e.g.
    the resident turned out to be in employee insurance) and a pending ``cancellation``. The
    receipt number stays issued (receipts are never reused). A cash receipt in a handed-over batch
    needs ``may_cancel_handed_over`` (an officer: ``payment.cancel_handed_over``;
    :func:`urrbmi.campaign.handover.guard_cancel`)."""
    p = session.scalars(
        select(Payment).where(
            Payment.campaign_id == c.id, Payment.channel == channel, Payment.external_ref == external_ref
        )
    ).first()
    if p is None:
        raise NotFound(
            f"找不到{channel}渠道流水号{external_ref}的缴费", f"no {channel} payment {external_ref}"
        )
    if p.status == PaymentStatus.REFUNDED:
        raise Conflict(f"流水号{external_ref}已退费", f"payment {external_ref} is already refunded")
    handed_over = guard_cancel(session, p, may_cancel_handed_over)
    old = {"status": p.status, "hold_reason": p.hold_reason}
    kind = "cancellation" if p.status == PaymentStatus.ACCEPTED else "refund"
    if p.status == PaymentStatus.ACCEPTED:
        ledger.cancel(session, Enrollment.payment_id == p.id, actor=actor, audit_key=None)  # audited below
    p.status = PaymentStatus.REFUNDED.value
    resident_id = p.resident_id
    if resident_id is not None:
        ledger.owe(
            session,
            campaign_id=c.id,
            resident_id=resident_id,
            payment_id=p.id,
            kind=kind,
            amount_fen=p.amount_fen,
            reason=reason,
            actor=actor,
        )
    session.flush()
    new: dict[str, Any] = {"status": p.status, "kind": kind, "reason": reason}
    if handed_over is not None:
        new["cash_handover"] = handed_over
    audit.record(session, actor, "payments", p.id, "cancel", old, new)
    return p


def accept_payment(
    session: Session, c: Campaign, *, payment_id: int, reason: str, actor: str, scope: str = ""
) -> PaymentResult:
    """Accept a held payment after review (the reviewer's ``reason`` is required and audited).

    The payment is priced again at its payment date with the resident's current assessment
    (identities and tier): after a re-assessment the amount may now match. If it still differs
    the reviewer overrides: the payment is accepted and the difference is recorded as a pending
    ``refund`` (paid too much) or ``top_up`` (too little). The payment gets a receipt number, the
    resident an enrollment (``source='payment'``) and the benefit period of the quote.
    ``scope``: region-code prefix of the residents the actor may act on ("" = all)."""
    if not reason.strip():
        raise InvalidInput("接受挂起缴费须说明理由", "accepting a held payment needs a reason")
    p = session.get(Payment, payment_id)
    r = None if p is None or p.resident_id is None else session.get(Resident, p.resident_id)
    if p is None or p.campaign_id != c.id or (r is not None and not r.region_code.startswith(scope)):
        raise NotFound(
            f"征缴批次{c.id}中找不到缴费{payment_id}", f"no payment {payment_id} in campaign {c.id}"
        )
    if p.status != PaymentStatus.HELD:
        raise Conflict(
            f"缴费{payment_id}的状态是{p.status}，只有挂起（待审核）的缴费可以接受",
            f"payment {payment_id} is {p.status}: only held payments can be accepted",
        )
    if r is None:
        raise InvalidInput(f"缴费{payment_id}未匹配到居民", f"payment {payment_id} names no known resident")
    live = session.execute(
        select(Enrollment.campaign_id, Enrollment.region_code).where(
            Enrollment.resident_id == r.id,
            Enrollment.benefit_year == c.benefit_year,
            Enrollment.status == EnrollmentStatus.ENROLLED.value,
            Enrollment.campaign_id.is_not(None),
        )
    ).first()
    if live is not None:
        raise AlreadyEnrolled(
            f"居民{ids.mask(r.id_number)}{c.benefit_year}年度已由征缴批次{live.campaign_id}参保"
            f"（{live.region_code}），不能再接受一笔缴费；请退费",
            f"resident {ids.mask(r.id_number)} is already enrolled for {c.benefit_year} by campaign "
            f"{live.campaign_id} ({live.region_code}); refund this payment",
        )
    a = session.scalars(
        select(Assessment).where(Assessment.campaign_id == c.id, Assessment.resident_id == r.id)
    ).first()
    if a is None or a.status != "due":
        raise Conflict(
            f"居民{ids.mask(r.id_number)}没有应缴核定（{a.reason if a else '未核定'}），不能接受缴费",
            f"resident {ids.mask(r.id_number)} has no amount due ({a.reason if a else 'not assessed'})",
        )
    row = session.execute(select(*profile_columns(c.benefit_year, c.id)).where(Resident.id == r.id)).one()
    codes = tuple(x for x in a.categories.split(",") if x)
    pr = Pricer(campaign_policy(c)).price(profile(row, codes, a.tier, p.paid_on))
    if pr.error_code is not None or pr.total_due_fen is None or pr.benefit_start is None:
        raise Conflict(
            f"无法按缴费日期{p.paid_on}核定应缴：{pr.message}",
            f"cannot price the payment at {p.paid_on}: {pr.message}",
        )
    assert pr.benefit_end is not None
    old = {"status": p.status, "hold_reason": p.hold_reason, "due_fen": p.due_fen}
    due = pr.total_due_fen
    p.status, p.hold_reason, p.due_fen = PaymentStatus.ACCEPTED.value, None, due
    session.flush()  # the partial unique index refuses a second accepted payment here
    receipt = session.execute(
        insert(Receipt).values(payment_id=p.id).returning(Receipt.receipt_no)
    ).scalar_one()
    ledger.enroll(
        session,
        [
            ledger.NewEnrollment(
                c.id, r.id, c.benefit_year, r.region_code, p.paid_on, pr.benefit_start, pr.benefit_end, p.id
            )
        ],
        source=EnrollmentSource.PAYMENT,
        actor=actor,
        audit_key=None,  # the payment's "accept" row below
    )
    diff = p.amount_fen - due
    if diff:
        ledger.owe(
            session,
            campaign_id=c.id,
            resident_id=r.id,
            payment_id=p.id,
            kind="refund" if diff > 0 else "top_up",
            amount_fen=abs(diff),
            reason=f"审核接受金额不符的缴费（应缴{from_fen(due)}元，实缴{from_fen(p.amount_fen)}元）：{reason}",
            actor=actor,
        )
    session.flush()
    audit.record(
        session,
        actor,
        "payments",
        p.id,
        "accept",
        old,
        {
            "status": PaymentStatus.ACCEPTED.value,
            "due_fen": due,
            "amount_fen": p.amount_fen,
            "override": diff != 0,
            "reason": reason,
        },
    )
    return PaymentResult(p, receipt, replayed=False)
