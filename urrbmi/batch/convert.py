"""The edges of the batch engine: residents to a table, result rows back to exact quotes.

Used by the agreement tests and the CLI's ``--verify`` sample check: a batch result row and a
scalar :class:`~urrbmi.policy.result.Quote` are both turned into the same plain dict (money as
exact :class:`~decimal.Decimal` yuan, the error code for refused rows) and compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import polars as pl

from urrbmi.errors import UrrbmiError
from urrbmi.money import canonical
from urrbmi.policy.engine import quote
from urrbmi.policy.identities import all_identities
from urrbmi.policy.loader import LoadedPolicy
from urrbmi.policy.resident import ResidentInput
from urrbmi.policy.result import Quote

QUOTE_FIELDS = (
    "policy",
    "person_class",
    "tier",
    "standard",
    "subsidy",
    "subsidy_category",
    "subsidy_funder",
    "individual_payment",
    "fiscal_portion_due",
    "total_due",
    "benefit_start",
    "benefit_end",
    "waiting_days",
    "window",
    "outpatient_cap",
    "inpatient_cap",
    "critical_illness_deductible",
)


def canonical_categories(policy: LoadedPolicy, names: Iterable[str]) -> tuple[str, ...]:
    """Identity names in the order the batch engine breaks ties: the policy's subsidy rules in
    order, each rule's categories in order, then any others in vocabulary order.

    The scalar engine gives a tie to the identity the resident lists first, so it agrees with
    the batch engine (which reads identities as an unordered bitmask) when fed this order.
    """
    voc = policy.vocabulary
    rank: dict[str, int] = {}
    for sub in policy.model.subsidies:
        for n in sub.categories:
            rank.setdefault(voc.code(n), len(rank))
    order = {c.code: i for i, c in enumerate(voc.categories)}
    codes = dict.fromkeys(voc.code(n) for n in names)
    ranked = sorted(codes, key=lambda c: (rank.get(c, len(rank)), order[c]))
    return tuple(voc.by_code[c].name for c in ranked)


def frame_from_inputs(residents: Sequence[ResidentInput]) -> pl.DataFrame:
    """Residents as a table the batch engine reads (birth dates from ID numbers)."""
    rows: list[dict[str, Any]] = []
    for r in residents:
        ei = r.employee_insurance
        rows.append(
            {
                "birth_date": r.born(),
                "paid_on": r.paid_on,
                "tier": r.tier,
                "student": r.student,
                "graduating": r.graduating,
                "returning_migrant_worker": r.returning_migrant_worker,
                "guardian_enrolled": r.guardian_enrolled,
                "residence": r.residence,
                "employee_ended_on": ei.ended_on if ei else None,
                "employee_years": ei.years if ei else None,
                "categories": list(r.categories),
            }
        )
    history = any(r.insured_years is not None or r.repaired_years for r in residents)
    if history:  # the enrollment history (national rule from 2025), only when given
        for row, r in zip(rows, residents, strict=True):
            row["insured_years"] = None if r.insured_years is None else list(r.insured_years)
            row["repaired_years"] = r.repaired_years
    extra: dict[str, pl.DataType] = (
        {"insured_years": pl.List(pl.Int64()), "repaired_years": pl.Int64()} if history else {}
    )
    if any(r.new_student for r in residents):  # a cohort's benefit period, only when given
        for row, r in zip(rows, residents, strict=True):
            row["new_student"] = r.new_student
        extra["new_student"] = pl.Boolean()
    return pl.DataFrame(
        rows,
        schema={
            **extra,
            "birth_date": pl.Date,
            "paid_on": pl.Date,
            "tier": pl.Int8,
            "student": pl.String,
            "graduating": pl.Boolean,
            "returning_migrant_worker": pl.Boolean,
            "guardian_enrolled": pl.Boolean,
            "residence": pl.String,
            "employee_ended_on": pl.Date,
            "employee_years": pl.Float64,
            "categories": pl.List(pl.String),
        },
    )


def quote_fields(q: Quote) -> dict[str, Any]:
    """A scalar quote as the plain dict compared with batch rows (no explanation)."""
    bl = q.benefit_limits
    return {
        "policy": q.policy,
        "person_class": q.person_class,
        "tier": q.tier,
        "standard": q.standard,
        "subsidy": q.subsidy,
        "subsidy_category": q.subsidy_category,
        "subsidy_funder": q.subsidy_funder,
        "individual_payment": q.individual_payment,
        "fiscal_portion_due": q.fiscal_portion_due,
        "total_due": q.total_due,
        "benefit_start": q.benefit_start,
        "benefit_end": q.benefit_end,
        "waiting_days": q.waiting_days,
        "window": q.window,
        "outpatient_cap": _opt(bl.outpatient_cap),
        "inpatient_cap": _opt(bl.inpatient_cap),
        "critical_illness_deductible": _opt(bl.critical_illness_deductible),
    }


def _opt(x: Decimal | None) -> Decimal | None:
    return None if x is None else canonical(x)


def scalar_row(policy: LoadedPolicy, r: ResidentInput) -> dict[str, Any]:
    """The scalar engine's answer as a plain dict, or ``{"error": code}``."""
    try:
        return quote_fields(quote(policy, r))
    except UrrbmiError as exc:
        return {"error": exc.code}


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else canonical(Decimal(fen) / 100)


def batch_rows(result: pl.DataFrame) -> list[dict[str, Any]]:
    """Batch result rows as plain dicts (money in exact yuan), or ``{"error": code}``."""
    out: list[dict[str, Any]] = []
    for row in result.iter_rows(named=True):
        if row["error"] is not None:
            out.append({"error": row["error"]})
            continue
        d: dict[str, Any] = {}
        for name in QUOTE_FIELDS:
            if name in row:
                d[name] = row[name]
            else:
                d[name] = _yuan(row[f"{name}_fen"])
        out.append(d)
    return out


def inputs_from_coded(coded: pl.DataFrame) -> list[ResidentInput | None]:
    """Coded rows (see :func:`urrbmi.batch.encode`) back to scalar inputs, for spot checks;
    None where the row is not a valid ResidentInput (the batch row then carries an input error)."""
    voc = all_identities()
    students = {0: None, 1: "school", 2: "college"}
    residences = {0: "hukou", 1: "permit", 2: "none"}
    out: list[ResidentInput | None] = []
    for row in coded.iter_rows(named=True):
        mask = row["categories"]
        names = [c.name for i, c in enumerate(voc.categories) if mask is not None and mask >> i & 1]
        ended, years = row["employee_ended_on"], row["employee_years"]
        fields: dict[str, Any] = {
            "birth_date": row["birth_date"],
            "paid_on": row["paid_on"],
            "tier": row["tier"],
            "student": students.get(row["student"], "?"),
            "graduating": row["graduating"],
            "returning_migrant_worker": row["returning_migrant_worker"],
            "guardian_enrolled": row["guardian_enrolled"],
            "residence": None if row["residence"] is None else residences.get(row["residence"], "?"),
            "categories": names,
        }
        if ended is not None or years is not None:
            fields["employee_insurance"] = {"ended_on": ended, "years": years}
        try:
            out.append(ResidentInput.model_validate(fields))
        except ValueError:
            out.append(None)
    return out


def disagreements(
    policy: LoadedPolicy, coded: pl.DataFrame, result: pl.DataFrame, offset: int = 0
) -> list[int]:
    """Row numbers (from ``offset``) where a batch result differs from the scalar engine.

    Rows that are not a valid :class:`ResidentInput` must carry ``invalid_input`` or
    ``missing_input`` in the batch result."""
    bad: list[int] = []
    got = batch_rows(result)
    for i, (r, actual) in enumerate(zip(inputs_from_coded(coded), got, strict=True)):
        if r is None:
            if actual.get("error") not in ("invalid_input", "missing_input"):
                bad.append(offset + i)
            continue
        r = r.model_copy(update={"categories": canonical_categories(policy, r.categories)})
        if scalar_row(policy, r) != actual:
            bad.append(offset + i)
    return bad


def disagreements_in_files(
    policy_id: str, coded_path: str, result_path: str, start: int, stop: int
) -> list[int]:
    """:func:`disagreements` for rows ``start:stop`` of two Parquet files (for worker processes)."""
    from urrbmi.policy.loader import load_policy

    coded = pl.read_parquet(coded_path).slice(start, stop - start)
    result = pl.read_parquet(result_path).slice(start, stop - start)
    return disagreements(load_policy(policy_id), coded, result, start)
