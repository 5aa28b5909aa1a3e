"""Render a column plan to Polars, and assess a table of residents with it."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any, Literal

import polars as pl

from urrbmi.batch import ir
from urrbmi.batch.compile import (
    LABELS,
    MONEY,
    OUTPUTS,
    RESIDENCE_CODES,
    STUDENT_CODES,
    NotCompiled,
    compile_policy,
)
from urrbmi.batch.compile import LIMITS as LIMIT_COLUMNS
from urrbmi.policy.identities import all_identities
from urrbmi.policy.loader import LoadedPolicy, load_policy

_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}

# Bit of an identity name that is not in the vocabulary (an unknown_category error).
UNKNOWN_BIT = 1 << 62


def render(e: ir.Expr) -> pl.Expr:
    """One IR expression as a Polars expression."""
    if isinstance(e, ir.Col):
        return pl.col(e.name)
    if isinstance(e, ir.Lit):
        if e.value is None:
            return pl.lit(None)
        if e.type == "float":
            return pl.lit(e.value, dtype=pl.Float64)
        return pl.lit(e.value)
    if isinstance(e, ir.Case):
        chain: Any = pl
        for cond, value in e.branches:
            chain = chain.when(render(cond)).then(render(value))
        return chain.otherwise(render(e.otherwise))  # type: ignore[no-any-return]
    if isinstance(e, ir.Table):
        return pl.lit(pl.Series(e.values, dtype=pl.Int64)).gather(render(e.index))
    if isinstance(e, ir.Labels):
        return _labels(e.labels, render(e.index))
    a = [render(x) for x in e.args]
    match e.op:
        case "and":
            return functools.reduce(operator.and_, a)
        case "or":
            return functools.reduce(operator.or_, a)
        case "not":
            return ~a[0]
        case "eq" | "ne" | "lt" | "le" | "gt" | "ge":
            return _CMP[e.op](a[0], a[1])  # type: ignore[no-any-return]
        case "add":
            return a[0] + a[1]
        case "sub":
            return a[0] - a[1]
        case "mul":
            return a[0] * e.param
        case "is_null":
            return a[0].is_null()
        case "not_null":
            return a[0].is_not_null()
        case "is_nan":
            return a[0].is_nan()
        case "bit_any":
            return (a[0] & pl.lit(e.param, dtype=pl.Int64)) != 0
        case "add_days":
            return a[0] + pl.duration(days=a[1])
        case "add_months":
            return a[0].dt.offset_by(f"{e.param}mo")
        case "month_start":
            return a[0].dt.month_start()
        case "year":
            return a[0].dt.year()
        case "days_between":
            return (a[0] - a[1]).dt.total_days()
        case "max":
            return pl.max_horizontal(*a)
        case "coalesce":
            return pl.coalesce(*a)
    raise AssertionError(e.op)


def _labels(labels: tuple[str, ...], index: pl.Expr) -> pl.Expr:
    dtype = pl.Enum(labels)
    if not labels:
        return pl.lit(None, dtype=dtype)
    return pl.lit(pl.Series(labels, dtype=dtype)).gather(index)


def output_schema(policy: LoadedPolicy) -> dict[str, pl.DataType]:
    """Result dtypes for a policy (Enum columns list the policy's own labels)."""
    plan = _plan(policy)
    labels = {n: e for st in plan.stages for n, e in st if n in LABELS}
    out: dict[str, pl.DataType] = {}
    for name in OUTPUTS:
        if name in LABELS:
            e = labels[name]
            assert isinstance(e, ir.Labels)
            out[name] = pl.Enum(e.labels)
        elif name in MONEY or name in LIMIT_COLUMNS:
            out[name] = pl.Int64()
        elif name in ("benefit_start", "benefit_end"):
            out[name] = pl.Date()
        elif name == "tier":
            out[name] = pl.Int8()
        else:
            out[name] = pl.Int32()
    return out


_PLANS: dict[tuple[str, str, str], ir.Plan] = {}


def _plan(policy: LoadedPolicy) -> ir.Plan:
    key = (policy.id, policy.version, policy.path)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = compile_policy(policy)
    return plan


# --- input -----------------------------------------------------------------------------------

INPUT_COLUMNS = (
    "birth_date",
    "paid_on",
    "tier",
    "student",
    "graduating",
    "returning_migrant_worker",
    "guardian_enrolled",
    "residence",
    "employee_ended_on",
    "employee_years",
    "categories",
)


def category_mask_of(names: Sequence[str]) -> int:
    """The identity bitmask of names, aliases or codes (unknown names set UNKNOWN_BIT)."""
    voc = all_identities()
    bits = {c.code: i for i, c in enumerate(voc.categories)}
    out = 0
    for n in names:
        key = voc.by_name.get(_normalize(n))
        out |= UNKNOWN_BIT if key is None else 1 << bits[key.code]
    return out


def _normalize(name: str) -> str:
    from urrbmi.policy.categories import _normalize as norm

    return norm(name)


def _coded(name: str, dtype: pl.DataType, codes: dict[str, int], null: int | None) -> pl.Expr:
    c = pl.col(name)
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        mapped = c.cast(pl.String).replace_strict(codes, default=9, return_dtype=pl.Int8)
        return pl.when(c.is_null()).then(pl.lit(null, dtype=pl.Int8)).otherwise(mapped).alias(name)
    if null is None:
        return c.cast(pl.Int8)
    return c.cast(pl.Int8).fill_null(null)


def encode(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Residents in the friendly form -> the coded columns the plan reads.

    Accepts ``student``/``residence`` as strings (or Enum/Categorical) or integer codes,
    ``categories`` as a list of names/aliases/codes or an integer bitmask (bit i = the i-th
    identity of :func:`~urrbmi.policy.identities.all_identities`), and fills absent optional columns with the
    defaults of :class:`~urrbmi.policy.resident.ResidentInput`.
    """
    lf = frame.lazy()
    schema = lf.collect_schema()
    exprs: list[pl.Expr] = []
    if "paid_on" not in schema:
        raise ValueError("the residents table needs a paid_on column")
    for name in ("birth_date", "paid_on", "employee_ended_on"):
        exprs.append(
            pl.col(name).cast(pl.Date) if name in schema else pl.lit(None, dtype=pl.Date).alias(name)
        )
    exprs.append(pl.col("tier").cast(pl.Int8) if "tier" in schema else pl.lit(1, pl.Int8).alias("tier"))
    for name in ("graduating", "returning_migrant_worker", "guardian_enrolled"):
        exprs.append(pl.col(name).cast(pl.Boolean) if name in schema else pl.lit(False).alias(name))
    if "student" in schema:
        exprs.append(_coded("student", schema["student"], STUDENT_CODES, 0))
    else:
        exprs.append(pl.lit(0, pl.Int8).alias("student"))
    if "residence" in schema:
        exprs.append(_coded("residence", schema["residence"], RESIDENCE_CODES, None))
    else:
        exprs.append(pl.lit(None, pl.Int8).alias("residence"))
    exprs.append(
        pl.col("employee_years").cast(pl.Float64)
        if "employee_years" in schema
        else pl.lit(None, pl.Float64).alias("employee_years")
    )
    if "categories" not in schema:
        exprs.append(pl.lit(0, pl.Int64).alias("categories"))
    elif isinstance(schema["categories"], pl.List):
        exprs.append(_list_to_mask(pl.col("categories")))
    else:
        exprs.append(pl.col("categories").cast(pl.Int64))
    return lf.select(exprs)


def _list_to_mask(c: pl.Expr) -> pl.Expr:
    voc = all_identities()
    bits = {c.code: i for i, c in enumerate(voc.categories)}
    mapping = {k: 1 << bits[cat.code] for k, cat in voc.by_name.items()}
    norm = c.list.eval(
        pl.element()
        .str.replace_all(r"\s", "")
        .str.replace_all("（", "(", literal=True)
        .str.replace_all("）", ")", literal=True)
        .str.replace_all("，", ",", literal=True)
        .str.replace_all("—", "-", literal=True)
        .str.replace_all("－", "-", literal=True)
        .str.replace_all("、", ",", literal=True)
        .replace_strict(mapping, default=UNKNOWN_BIT, return_dtype=pl.Int64)
        .bitwise_or()
    )
    return norm.list.first().fill_null(0).alias("categories")


# --- assessing ---------------------------------------------------------------------------


def plan_frame(
    lf: pl.LazyFrame, plan: ir.Plan, keep: Sequence[str] = (), columns: Sequence[str] | None = None
) -> pl.LazyFrame:
    """Apply a plan to coded residents (see :func:`encode`); ``columns``: the outputs wanted (all
    by default). Polars' projection pushdown drops every intermediate that no wanted output reads,
    so unrequested outputs are not computed."""
    for stage in plan.stages:
        lf = lf.with_columns([render(e).alias(n) for n, e in stage])
    return lf.select([*keep, *(plan.outputs if columns is None else columns)])


def _outputs(columns: Sequence[str] | None) -> list[str] | None:
    if columns is None:
        return None
    unknown = [c for c in columns if c not in OUTPUTS]
    if unknown:
        raise ValueError(f"not batch outputs: {unknown} (outputs: {', '.join(OUTPUTS)})")
    return [c for c in OUTPUTS if c in columns]


def assess_frame(
    residents: pl.DataFrame | pl.LazyFrame,
    policy: LoadedPolicy | str,
    *,
    keep: Sequence[str] = (),
    engine: Literal["auto", "plan", "profiles"] = "auto",
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Assess every resident of a table under one policy: one result row per input row, in order.

    Result columns (money in integer fen): ``policy``, ``error`` (the scalar engine's stable
    error code, null when the row could be quoted), ``person_class``, ``tier``,
    ``standard_fen``, ``subsidy_fen``, ``subsidy_category``, ``subsidy_funder``,
    ``individual_payment_fen``, ``fiscal_portion_due_fen``, ``total_due_fen``,
    ``benefit_start``, ``benefit_end``, ``waiting_days``, ``window``, ``outpatient_cap_fen``,
    ``inpatient_cap_fen``, ``critical_illness_deductible_fen``. ``keep`` names input columns
    (e.g. an ID) to carry through in front.

    ``engine``: ``profiles`` quotes each distinct profile once with the scalar engine
    (:mod:`urrbmi.batch.profiles`: every rule kind, by construction); ``plan`` runs the compiled
    column plan (faster on tables of many distinct profiles; :class:`NotCompiled` for a policy
    using a rule kind the plan lacks); ``auto`` the plan when the policy compiles and the table
    has no input the plan does not read, else profiles.

    ``columns``: only these outputs (in the order above), e.g. ``["total_due_fen"]``; the plan
    then computes only what they need (a ValueError names any that is not an output).
    """
    from urrbmi.batch.profiles import assess_profiles, extra_columns

    loaded = load_policy(policy) if isinstance(policy, str) else policy
    if engine == "auto":
        extra = extra_columns(residents.lazy().collect_schema().names())
        engine = "plan" if not extra and compiles(loaded) else "profiles"
    wanted = _outputs(columns)
    if engine == "profiles":
        priced = assess_profiles(residents, loaded, keep=keep)
        return priced if wanted is None else priced.select([*keep, *wanted])
    plan = _plan(loaded)
    lf = residents.lazy()
    if keep:
        kept = lf.select(keep)
        coded = pl.concat([kept, encode(lf)], how="horizontal")
    else:
        coded = encode(lf)
    schema = output_schema(loaded)
    typed = [pl.col(n).cast(t) for n, t in schema.items() if wanted is None or n in wanted]
    out = plan_frame(coded, plan, keep, wanted).with_columns(typed)
    # The streaming engine works through the table in morsels: the ~60 intermediate columns
    # exist for one morsel at a time, not for the whole table (peak memory ÷ 3, and faster).
    return out.collect(engine="streaming")


def compiles(policy: LoadedPolicy) -> bool:
    """Whether the column plan implements every rule kind the policy uses."""
    try:
        _plan(policy)
    except NotCompiled:
        return False
    return True
