"""A channel's payment file (thousands of lines) through staging, in the caller's transaction.

1. lines are validated (:mod:`urrbmi.campaign.payment_lines`); a file with any bad line is
   refused whole;
2. each line is priced by the engine at its payment date, with the identities and tier of the
   resident's assessment (cache per distinct profile), and the result goes into
   ``payment_staging`` with multi-row inserts;
3. one set-based ``INSERT … SELECT`` moves staging into ``payments``, deciding the status:
   ``unmatched`` (ID not in the registry), ``held`` (amount differs from what is due, not
   assessed, or the resident already paid), else ``accepted``;
4. set-based inserts issue receipts (numbers from the database), and the ledger
   (:mod:`urrbmi.campaign.ledger`) the enrollments and benefit periods.

Idempotent: a (channel, external reference) already recorded with the same data is skipped; with
different data the whole file is refused. :func:`apply_payments_raced` runs it in a savepoint
and re-runs it after a unique violation (a concurrent recording). Re-exported by
:mod:`urrbmi.campaign.payments`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, SelectBase, String, delete, literal, select, text, tuple_
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urrbmi.campaign import ledger
from urrbmi.campaign.campaigns import Pricer, campaign_policy, profile, profile_columns
from urrbmi.campaign.payment_lines import PaymentLine, check_channel
from urrbmi.db import dialect
from urrbmi.db.bulk import bulk_insert
from urrbmi.db.models import (
    Assessment,
    Campaign,
    EnrollmentSource,
    InsuranceType,
    Payment,
    PaymentStatus,
    Resident,
)
from urrbmi.db.models_imports import PaymentStaging
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict

STAGING_BATCH = 5_000
ANALYZE_FROM = 1_000
LOOKUP_BATCH = 900  # SQLite allows 999 bound parameters in older builds


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
    check_channel(channel)
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
