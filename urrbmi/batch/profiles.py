"""The batch engine by profiles: the scalar engine quotes each distinct pricing profile once and
every row takes its profile's answer by a join (docs/decisions.md, "A rule kind is written once").

A profile is a resident's input with the birth date replaced by
:func:`urrbmi.policy.engine.canonical_birth` (the engine's own statement of how it reads a birth
date); every other input column is part of the key as it is, so two rows with the same profile
get the same quote by construction: there is no second implementation of any rule. The cost is
one scalar quote (~50-150 µs) per distinct profile plus a group-by and a join: a campaign's
assessment (one payment day) has a few hundred profiles per county; a table of payments spread
over a year has tens of thousands, where the compiled column plan (:mod:`urrbmi.batch.compile`)
is faster for the rule kinds it implements.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from urrbmi.batch.compile import ERRORS, LIMITS, MONEY, OUTPUTS
from urrbmi.batch.convert import canonical_categories
from urrbmi.batch.polars_backend import INPUT_COLUMNS, encode
from urrbmi.errors import UrrbmiError
from urrbmi.money import to_fen
from urrbmi.policy.engine import canonical_birth, quote
from urrbmi.policy.identities import all_identities
from urrbmi.policy.loader import LoadedPolicy, load_policy
from urrbmi.policy.resident import ResidentInput
from urrbmi.policy.result import Quote

_STUDENTS = {0: None, 1: "school", 2: "college"}
_RESIDENCES = {0: "hukou", 1: "permit", 2: "none"}
_UNKNOWN = "\x00未知身份"  # a name no vocabulary has: a bit outside it is an unknown identity


def coded_input(row: dict[str, Any], names_by_bit: Sequence[str] | None = None) -> ResidentInput:
    """One coded row (see :func:`urrbmi.batch.encode`) as the scalar engine's input; raises the
    scalar engine's own input errors (``invalid_input``, ``missing_input``). ``names_by_bit``:
    the identity names by bit number (:func:`identity_names`; looked up when not given)."""
    bits = identity_names() if names_by_bit is None else names_by_bit
    mask = row["categories"]
    names: list[str] | None = None
    if mask is not None:
        names = [n for i, n in enumerate(bits) if mask >> i & 1]
        if mask >> len(bits):
            names.append(_UNKNOWN)
    ended, years = row["employee_ended_on"], row["employee_years"]
    fields: dict[str, Any] = {
        "birth_date": row["birth_date"],
        "paid_on": row["paid_on"],
        "tier": row["tier"],
        "student": _STUDENTS.get(row["student"], "?"),
        "graduating": row["graduating"],
        "returning_migrant_worker": row["returning_migrant_worker"],
        "guardian_enrolled": row["guardian_enrolled"],
        "residence": None if row["residence"] is None else _RESIDENCES.get(row["residence"], "?"),
        "categories": names,
    }
    for name in _extra_fields(row):
        fields[name] = row[name]
    if ended is not None or years is not None:
        fields["employee_insurance"] = {"ended_on": ended, "years": years}
    return ResidentInput.parse(fields)


def identity_names() -> tuple[str, ...]:
    """Identity names by bit number (:func:`urrbmi.policy.identities.all_identities`; reading it
    checks the policy files on the search path, so look it up once per table)."""
    return tuple(c.name for c in all_identities().categories)


def extra_columns(names: Sequence[str]) -> list[str]:
    """Columns of a residents table that are further fields of :class:`ResidentInput`
    (beyond the coded ones): they are part of the profile as they are."""
    coded = {*INPUT_COLUMNS, "employee_insurance", "id_number"}
    return [n for n in names if n in ResidentInput.model_fields and n not in coded]


def _extra_fields(row: dict[str, Any]) -> list[str]:
    return extra_columns(list(row))


def profile_answer(
    policy: LoadedPolicy, row: dict[str, Any], names_by_bit: Sequence[str] | None = None
) -> dict[str, Any]:
    """The scalar engine's answer for one coded profile: result columns (money in fen), or
    ``{"error": code}``."""
    try:
        r = coded_input(row, names_by_bit)
        r = r.model_copy(update={"categories": canonical_categories(policy, r.categories)})
        return _fields(quote(policy, r))
    except UrrbmiError as exc:
        return {"error": exc.code}


def _fields(q: Quote) -> dict[str, Any]:
    bl = q.benefit_limits

    def opt(x: Any) -> int | None:
        return None if x is None else to_fen(x)

    return {
        "error": None,
        "person_class": q.person_class,
        "tier": q.tier,
        "standard_fen": to_fen(q.standard),
        "subsidy_fen": to_fen(q.subsidy),
        "subsidy_category": q.subsidy_category,
        "subsidy_funder": q.subsidy_funder,
        "individual_payment_fen": to_fen(q.individual_payment),
        "fiscal_portion_due_fen": to_fen(q.fiscal_portion_due),
        "total_due_fen": to_fen(q.total_due),
        "benefit_start": q.benefit_start,
        "benefit_end": q.benefit_end,
        "waiting_days": q.waiting_days,
        "window": q.window,
        "outpatient_cap_fen": opt(bl.outpatient_cap),
        "inpatient_cap_fen": opt(bl.inpatient_cap),
        "critical_illness_deductible_fen": opt(bl.critical_illness_deductible),
        **{f"{k}_fen": to_fen(q.stages()[k]) for k in STAGES},
    }


def labels(policy: LoadedPolicy) -> dict[str, tuple[str, ...]]:
    """The values each label column can take under a policy (the result's Enum categories)."""
    m, voc = policy.model, policy.vocabulary
    names: list[str] = []
    funders: list[str] = []
    for sub in m.subsidies:
        for cname in sub.categories:
            label = sub.names.get(voc.resolve(cname).name, sub.notice_name)
            if label not in names:
                names.append(label)
        if sub.funder is not None and sub.funder not in funders:
            funders.append(sub.funder)
    return {
        "policy": (policy.id,),
        "error": ERRORS,
        "person_class": tuple(c.code for c in m.person_classes),
        "subsidy_category": tuple(names),
        "subsidy_funder": tuple(funders),
        "window": tuple(p.code for p in m.pathways),
    }


def result_schema(policy: LoadedPolicy) -> dict[str, pl.DataType]:
    """Result dtypes (as :func:`urrbmi.batch.polars_backend.output_schema`)."""
    lab = labels(policy)
    out: dict[str, pl.DataType] = {}
    for name in OUTPUTS:
        if name in lab:
            out[name] = pl.Enum(lab[name])
        elif name in MONEY or name in LIMITS:
            out[name] = pl.Int64()
        elif name in ("benefit_start", "benefit_end"):
            out[name] = pl.Date()
        elif name == "tier":
            out[name] = pl.Int8()
        else:
            out[name] = pl.Int32()
    return out


def assess_profiles(
    residents: pl.DataFrame | pl.LazyFrame,
    policy: LoadedPolicy | str,
    *,
    keep: Sequence[str] = (),
    stages: bool = False,
) -> pl.DataFrame:
    """Assess every resident of a table under one policy, one scalar quote per distinct
    profile. Same columns and order as :func:`urrbmi.batch.assess_frame`; with ``stages`` also
    ``reduction_fen``, ``assistance_fen`` and ``other_premiums_fen`` (the stages of
    :meth:`urrbmi.policy.result.Quote.stages` that are not result columns already)."""
    loaded = load_policy(policy) if isinstance(policy, str) else policy
    lf = residents.lazy()
    extra = extra_columns(lf.collect_schema().names())
    coded = encode(lf)
    parts = [coded]
    if keep or extra:
        parts.insert(0, lf.select(*keep, *[e for e in extra if e not in keep]))
    frame = pl.concat(parts, how="horizontal").collect()
    births = frame["birth_date"].drop_nulls().unique().to_list()
    canon = {b: canonical_birth(loaded, b) for b in births}
    frame = frame.with_columns(
        _born=pl.col("birth_date").replace_strict(canon, default=None, return_dtype=pl.Date)
    )
    key = ["_born", *[c for c in INPUT_COLUMNS if c != "birth_date"], *extra]
    distinct = frame.select(key).unique()
    answers: list[dict[str, Any]] = []
    bits = identity_names()
    for row in distinct.iter_rows(named=True):
        row["birth_date"] = row.pop("_born")
        answers.append(profile_answer(loaded, row, bits))
    schema = result_schema(loaded)
    stage_cols = [f"{k}_fen" for k in STAGES] if stages else []
    out_cols = ["error", *OUTPUTS[2:], *stage_cols]
    types: dict[str, pl.DataType] = {
        "error": pl.String(),
        **{n: _raw(t) for n, t in schema.items() if n not in ("policy", "error")},
        **dict.fromkeys(stage_cols, pl.Int64()),
    }
    priced = pl.DataFrame(
        [{f"r.{k}": a.get(k) for k in out_cols} for a in answers],
        schema={f"r.{k}": types[k] for k in out_cols},
    )
    table = pl.concat([distinct, priced], how="horizontal")
    joined = frame.select(*keep, *key).join(
        table, on=key, how="left", nulls_equal=True, maintain_order="left"
    )
    return joined.select(
        *keep,
        pl.lit(loaded.id).cast(schema["policy"]).alias("policy"),
        *[pl.col(f"r.{n}").cast(t).alias(n) for n, t in schema.items() if n != "policy"],
        *[pl.col(f"r.{n}").alias(n) for n in stage_cols],
    )


# the stages of the amount due not already among the result columns
STAGES = ("reduction", "assistance", "other_premiums")


def _raw(t: pl.DataType) -> pl.DataType:
    return pl.String() if isinstance(t, pl.Enum) else t
