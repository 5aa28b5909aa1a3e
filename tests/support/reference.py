"""The row-level reference for the resident's state at a date (tests only).

Production decides the state once, in SQL (:func:`urrbmi.targets.counting.resident_state`). This
module is an independent second reading of docs/targets.md ("Enrolled"): every resident read,
flags decided in Polars. ``test_grouped_equals_rows`` checks that both agree on a randomized
database; nothing in ``urrbmi`` uses it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import BigInteger, Date, String, and_, func, select
from sqlalchemy.orm import Session

from urrbmi.db.models import Assessment, Campaign, Enrollment, Payment, Refund, Resident
from urrbmi.targets.counting import FLAGS, REVERSING, _day, _in_scope, effective_prefix
from urrbmi.targets.store import campaign_or_fail

_RES_SCHEMA = {
    "rid": pl.Int64,
    "village": pl.Utf8,
    "student": pl.Utf8,
    "school": pl.Utf8,
    "employee_flag": pl.Boolean,
    "rstatus": pl.Utf8,
    "died_on": pl.Date,
    "a_status": pl.Utf8,
    "categories": pl.Utf8,
    "subsidy_category": pl.Utf8,
    "subsidy_fen": pl.Int64,
    "fiscal_fen": pl.Int64,
    "individual_fen": pl.Int64,
    "total_due_fen": pl.Int64,
}
_ENR_SCHEMA = {
    "rid": pl.Int64,
    "year": pl.Int64,
    "source": pl.Utf8,
    "itype": pl.Utf8,
    "estatus": pl.Utf8,
    "enrolled_on": pl.Date,
    "reversed_on": pl.Date,
}
_PAY_SCHEMA = {
    "rid": pl.Int64,
    "pid": pl.Int64,
    "pstatus": pl.Utf8,
    "paid_on": pl.Date,
    "amount_fen": pl.Int64,
    "reversed_on": pl.Date,
    "refund_done_fen": pl.Int64,
    "refund_on": pl.Date,
}


SEP, NUL = "\x1f", "\x1e"  # ASCII unit separator between values, record separator for NULL


def _pg_text(name: str, col: Any, stamps: tuple[str, ...]) -> Any:
    """A column as text for the transfer (plain casts: dates print as YYYY-MM-DD under
    PostgreSQL's default ISO DateStyle; timestamps as their China-time date; booleans true/false)."""
    if name in stamps:
        col = func.timezone("Asia/Shanghai", col).cast(Date)
    return func.coalesce(col.cast(String), NUL)


def _load(session: Session, query: Any, schema: dict[str, Any], stamps: tuple[str, ...] = ()) -> pl.DataFrame:
    """Run ``query`` into a frame with ``schema`` (``stamps``: timestamps, turned into their
    China-time dates).

    On PostgreSQL each column comes back as **one string** (``string_agg(col::text, 0x1F)``, NULL
    as 0x1E; all aggregates of one query see the rows in the same order),
    which Polars splits and casts in Rust: no Python object per value (client CPU under a second
    for a million residents; the server's text conversion dominates, see docs/targets.md).
    Elsewhere (SQLite) rows come through the cursor."""
    conn = session.connection()
    names = list(schema)
    if conn.dialect.name != "postgresql":
        rows = [
            tuple(_day(v) if k in stamps else v for k, v in zip(names, r, strict=True))
            for r in conn.execute(query)
        ]
        return pl.DataFrame(rows, schema=schema, orient="row")
    sub = query.subquery()
    cols = [func.string_agg(_pg_text(name, col, stamps), SEP) for name, col in zip(names, sub.c, strict=True)]
    row = conn.execute(select(func.count(), *cols).select_from(sub)).one()
    if not row[0]:
        return pl.DataFrame(schema=schema)
    raw = pl.DataFrame({name: [text] for name, text in zip(names, row[1:], strict=True)})
    split = raw.select(pl.col(n).str.split(SEP) for n in names).explode(names)
    out = []
    for name, kind in schema.items():
        col = pl.when(pl.col(name) == NUL).then(None).otherwise(pl.col(name))
        if kind == pl.Boolean:
            out.append((col == "true").alias(name))
        elif kind == pl.Date:
            out.append(col.str.to_date("%Y-%m-%d").alias(name))
        else:
            out.append(col.cast(kind).alias(name))
    return split.select(out)


@dataclass(frozen=True)
class CampaignFrames:
    """The columns read for one campaign and scope (before any date is applied)."""

    campaign: Campaign
    prefix: str | None
    residents: pl.DataFrame
    enrollments: pl.DataFrame
    payments: pl.DataFrame


def read_frames(session: Session, campaign_id: int, scope: str = "") -> CampaignFrames:
    """Three queries: residents (+ assessment), enrollments of this and last year, payments."""
    c = campaign_or_fail(session, campaign_id)
    prefix = effective_prefix(session, c, scope)
    if prefix is None:
        return CampaignFrames(
            c,
            None,
            pl.DataFrame(schema=_RES_SCHEMA),
            pl.DataFrame(schema=_ENR_SCHEMA),
            pl.DataFrame(schema=_PAY_SCHEMA),
        )
    res_q = _in_scope(
        select(
            Resident.id,
            Resident.region_code,
            Resident.student,
            Resident.school_name,
            Resident.employee_insured,
            Resident.status,
            Resident.died_on,
            Assessment.status,
            Assessment.categories,
            Assessment.subsidy_category_code.label("subsidy_category"),
            Assessment.subsidy_fen,
            Assessment.fiscal_fen,
            Assessment.individual_fen,
            Assessment.total_due_fen,
        ).outerjoin(Assessment, and_(Assessment.resident_id == Resident.id, Assessment.campaign_id == c.id)),
        prefix,
    )
    residents = _load(session, res_q, _RES_SCHEMA)
    # per payment, the instant of the first refund or cancellation that reverses it (the oracle's
    # own query: the definition under test converts it to a China-time day in SQL)
    rev = (
        select(Refund.payment_id, func.min(Refund.created_at).label("reversed_at"))
        .where(Refund.campaign_id == c.id, Refund.kind.in_(REVERSING), Refund.status != "void")
        .group_by(Refund.payment_id)
        .subquery()
    )
    enr_q = _in_scope(
        select(
            Enrollment.resident_id,
            Enrollment.benefit_year,
            Enrollment.source,
            Enrollment.insurance_type,
            Enrollment.status,
            Enrollment.enrolled_on,
            rev.c.reversed_at,
        )
        .join(Resident, Resident.id == Enrollment.resident_id)
        .outerjoin(rev, rev.c.payment_id == Enrollment.payment_id)
        .where(Enrollment.benefit_year.in_((c.benefit_year, c.benefit_year - 1))),
        prefix,
    )
    enrollments = _load(session, enr_q, _ENR_SCHEMA, stamps=("reversed_on",))
    done = (
        select(
            Refund.payment_id,
            func.sum(Refund.amount_fen).cast(BigInteger).label("done_fen"),
            func.max(Refund.created_at).label("done_at"),
        )
        .where(Refund.campaign_id == c.id, Refund.kind.in_(REVERSING), Refund.status == "paid")
        .group_by(Refund.payment_id)
        .subquery()
    )
    pay_q = _in_scope(
        select(
            Payment.resident_id,
            Payment.id,
            Payment.status,
            Payment.paid_on,
            Payment.amount_fen,
            rev.c.reversed_at,
            done.c.done_fen,
            done.c.done_at,
        )
        .join(Resident, Resident.id == Payment.resident_id)
        .outerjoin(rev, rev.c.payment_id == Payment.id)
        .outerjoin(done, done.c.payment_id == Payment.id)
        .where(Payment.campaign_id == c.id, Payment.status.in_(("accepted", "refunded"))),
        prefix,
    )
    payments = _load(session, pay_q, _PAY_SCHEMA, stamps=("reversed_on", "refund_on"))
    return CampaignFrames(c, prefix, residents, enrollments, payments)


def status_at(frames: CampaignFrames, on: dt.date) -> pl.DataFrame:
    """One row per resident in scope with what holds at ``on`` (see docs/targets.md):

    ``alive`` (not moved out, not dead on or before ``on``), ``enrolled`` (our resident-scheme
    enrollment for the campaign year registered on or before ``on`` and not reversed by then),
    ``paid`` (an accepted payment made on or before ``on``, not reversed by then), ``subsidised``
    (enrolled with a subsidy in the assessment, or enrolled by the bureau as fully subsidised),
    ``employee`` (employee insurance 310), ``elsewhere`` (resident insurance in another region),
    ``last_year`` (enrolled with us for the previous year: our, imported or external rows)."""
    year = frames.campaign.benefit_year
    e = frames.enrollments
    live = (pl.col("estatus") == "enrolled") | (
        (pl.col("estatus") == "cancelled")
        & pl.col("reversed_on").is_not_null()
        & (pl.col("reversed_on") > on)
    )
    this = e.filter((pl.col("year") == year) & (pl.col("enrolled_on") <= on) & live)
    ours = (
        this.filter((pl.col("source") != "external") & (pl.col("itype") == "390"))
        .group_by("rid")
        .agg((pl.col("source") == "subsidy").any().alias("by_subsidy"))
        .with_columns(pl.lit(True).alias("enrolled"))
    )
    ext = (
        this.filter(pl.col("source") == "external")
        .group_by("rid")
        .agg(
            (pl.col("itype") == "310").any().alias("ext_employee"),
            (pl.col("itype") == "390").any().alias("ext_resident"),
        )
    )
    last = (
        e.filter((pl.col("year") == year - 1) & (pl.col("estatus") == "enrolled"))
        .group_by("rid")
        .agg(
            ((pl.col("source") != "external") & (pl.col("itype") == "390")).any().alias("last_ours"),
            (pl.col("itype") == "310").any().alias("last_employee"),
            ((pl.col("source") == "external") & (pl.col("itype") == "390")).any().alias("last_elsewhere"),
        )
    )
    p = frames.payments
    paid = (
        p.filter(
            (pl.col("paid_on") <= on)
            & (
                (pl.col("pstatus") == "accepted")
                | (pl.col("reversed_on").is_not_null() & (pl.col("reversed_on") > on))
            )
        )
        .group_by("rid")
        .agg(pl.lit(True).alias("paid"))
    )
    r = frames.residents
    out = (
        r.join(ours, on="rid", how="left")
        .join(ext, on="rid", how="left")
        .join(last, on="rid", how="left")
        .join(paid, on="rid", how="left")
        .with_columns(
            alive=(pl.col("rstatus") != "moved_out")
            & ~((pl.col("rstatus") == "deceased") & (pl.col("died_on").is_null() | (pl.col("died_on") <= on)))
            & (pl.col("died_on").is_null() | (pl.col("died_on") > on)),
            enrolled=pl.col("enrolled").fill_null(False),
            paid=pl.col("paid").fill_null(False),
            last_year=pl.col("last_ours").fill_null(False),
        )
        .with_columns(
            subsidised=pl.col("enrolled")
            & (pl.col("by_subsidy").fill_null(False) | (pl.col("subsidy_fen").fill_null(0) > 0)),
            employee=~pl.col("enrolled")
            & (pl.col("employee_flag").fill_null(False) | pl.col("ext_employee").fill_null(False)),
        )
        .with_columns(
            elsewhere=~pl.col("enrolled") & ~pl.col("employee") & pl.col("ext_resident").fill_null(False),
            last_status=pl.when(pl.col("last_ours"))
            .then(pl.lit("上年已参保"))
            .when(pl.col("last_employee").fill_null(False))
            .then(pl.lit("上年职工医保"))
            .when(pl.col("last_elsewhere").fill_null(False))
            .then(pl.lit("上年外地参保"))
            .otherwise(pl.lit("上年未参保")),
        )
    )
    return out


def weighed_status(frames: CampaignFrames, on: dt.date) -> pl.DataFrame:
    """The row-level counterpart of :func:`grouped_status`: :func:`status_at` with every key
    column and ``n`` = 1 per resident (for a caller that already holds the frames; and the
    reference the grouped path is tested against)."""
    year = frames.campaign.benefit_year
    first = (
        frames.enrollments.filter(
            (pl.col("year") == year) & (pl.col("source") != "external") & (pl.col("itype") == "390")
            & (pl.col("enrolled_on") <= on)
        )
        .group_by("rid")
        .agg(pl.col("enrolled_on").min().alias("first_day"))
    )  # fmt: skip
    st = status_at(frames, on).join(first, on="rid", how="left")
    return st.select(
        pl.col("village"),
        pl.when(pl.col("student").is_not_null()).then(pl.col("school")).alias("school"),
        pl.col("subsidy_category"),
        (pl.col("subsidy_fen").fill_null(0) > 0).alias("subsidy_pos"),
        (pl.col("fiscal_fen").fill_null(0) == 0).alias("fiscal_zero"),
        pl.col("first_day"),
        *(pl.col(f).fill_null(False).alias(f) for f in FLAGS),
        pl.lit(1, pl.Int64).alias("n"),
        pl.col("subsidy_fen").fill_null(0).cast(pl.Int64).alias("subsidy_fen"),
    )


def collected_at(frames: CampaignFrames, on: dt.date) -> int:
    """The money collected at ``on`` (fen): payments made by ``on`` (accepted, or refunded later),
    less each payment's paid refunds once the last of them was created on or before ``on``."""
    p = frames.payments
    made = p.filter(pl.col("paid_on") <= on).get_column("amount_fen").sum()
    back = p.filter(pl.col("refund_on") <= on).get_column("refund_done_fen").sum()
    return int(made or 0) - int(back or 0)


def unpaid_at(frames: CampaignFrames, on: dt.date) -> tuple[int, int]:
    """Residents alive at ``on`` with an amount due in the assessment and not enrolled, and the fen
    they owe."""
    st = status_at(frames, on).filter(pl.col("alive") & ~pl.col("enrolled") & (pl.col("a_status") == "due"))
    return st.height, int(st.get_column("total_due_fen").fill_null(0).sum())
