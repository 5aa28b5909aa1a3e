"""The batch engine on Apache Spark: the same compiled plan rendered to Spark columns.

    from urrbmi.batch.spark import assess_spark
    out = assess_spark(residents_df, load_policy("suixi-2022"))   # Spark DataFrame in and out

For registries beyond one machine (a province: 50-100 million residents across counties, each
county with its own policy). Results are identical to :func:`urrbmi.batch.assess_frame` on the
same input (tested in local mode); label columns are strings instead of Polars enums.
docs/batch.md describes a province deployment.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from urrbmi.batch import ir
from urrbmi.batch.compile import (
    LABELS,
    LIMITS,
    MONEY,
    OUTPUTS,
    RESIDENCE_CODES,
    STUDENT_CODES,
    compile_policy,
)
from urrbmi.batch.polars_backend import UNKNOWN_BIT, compiles
from urrbmi.batch.profiles import extra_columns, identity_names, profile_answer, result_schema
from urrbmi.policy.engine import birth_thresholds
from urrbmi.policy.identities import all_identities
from urrbmi.policy.loader import LoadedPolicy, load_policy

_CMP = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def sql(e: ir.Expr) -> str:
    """One IR expression as Spark SQL text (one parse per column instead of one py4j call per
    node, which made building a plan take seconds)."""
    if isinstance(e, ir.Col):
        return f"`{e.name}`"
    if isinstance(e, ir.Lit):
        v = e.value
        if v is None:
            return "NULL"
        if e.type == "bool":
            return "TRUE" if v else "FALSE"
        if e.type == "date":
            return f"DATE'{v}'"
        if e.type == "float":
            return f"CAST('{v!r}' AS DOUBLE)"
        return f"{int(v)}L"  # type: ignore[arg-type]
    if isinstance(e, ir.Case):
        whens = " ".join(f"WHEN {sql(c)} THEN {sql(v)}" for c, v in e.branches)
        return f"CASE {whens} ELSE {sql(e.otherwise)} END"
    # Lookups are CASE chains: element_at/getItem on an array literal with an index that may
    # be null gave wrong rows or an internal error in Spark 4.3's optimizer (see docs/batch.md).
    if isinstance(e, ir.Table):
        whens = " ".join(f"WHEN {i} THEN {v}L" for i, v in enumerate(e.values))
        return f"CASE {sql(e.index)} {whens} END"
    if isinstance(e, ir.Labels):
        whens = " ".join(f"WHEN {i} THEN {_string(v)}" for i, v in enumerate(e.labels))
        return f"CASE {sql(e.index)} {whens} END" if e.labels else "CAST(NULL AS STRING)"
    a = [sql(x) for x in e.args]
    match e.op:
        case "and":
            return "(" + " AND ".join(a) + ")"
        case "or":
            return "(" + " OR ".join(a) + ")"
        case "not":
            return f"(NOT {a[0]})"
        case "eq" | "ne" | "lt" | "le" | "gt" | "ge":
            return f"({a[0]} {_CMP[e.op]} {a[1]})"
        case "add":
            return f"({a[0]} + {a[1]})"
        case "sub":
            return f"({a[0]} - {a[1]})"
        case "mul":
            return f"({a[0]} * {e.param}L)"
        case "is_null":
            return f"({a[0]} IS NULL)"
        case "not_null":
            return f"({a[0]} IS NOT NULL)"
        case "is_nan":
            return f"isnan({a[0]})"
        case "bit_any":
            return f"(({a[0]} & {e.param}L) <> 0)"
        case "add_days":
            return f"date_add({a[0]}, CAST({a[1]} AS INT))"
        case "add_months":
            return f"add_months({a[0]}, {e.param})"
        case "month_start":
            return f"trunc({a[0]}, 'MM')"
        case "year":
            return f"year({a[0]})"
        case "days_between":
            return f"datediff({a[0]}, {a[1]})"
        case "max":
            return f"greatest({', '.join(a)})" if len(a) > 1 else a[0]
        case "coalesce":
            return f"coalesce({', '.join(a)})"
    raise AssertionError(e.op)


def _string(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render(e: ir.Expr) -> Column:
    """One IR expression as a Spark column."""
    return F.expr(sql(e))


_INPUT_TYPES: dict[str, T.DataType] = {
    "birth_date": T.DateType(),
    "paid_on": T.DateType(),
    "tier": T.ByteType(),
    "student": T.ByteType(),
    "graduating": T.BooleanType(),
    "returning_migrant_worker": T.BooleanType(),
    "guardian_enrolled": T.BooleanType(),
    "residence": T.ByteType(),
    "employee_ended_on": T.DateType(),
    "employee_years": T.DoubleType(),
    "categories": T.LongType(),
}
_DEFAULTS: dict[str, Any] = {
    "tier": 1,
    "student": 0,
    "graduating": False,
    "returning_migrant_worker": False,
    "guardian_enrolled": False,
    "categories": 0,
}


def _coded(df: DataFrame, name: str, codes: dict[str, int], null: int | None) -> Column:
    c = F.col(name)
    if isinstance(df.schema[name].dataType, T.StringType):
        mapped: Any = F
        for k, v in codes.items():
            mapped = mapped.when(c == k, F.lit(v))
        out = F.when(c.isNull(), F.lit(null)).otherwise(mapped.otherwise(F.lit(9)))
        return out.cast(T.ByteType())
    if null is None:
        return c.cast(T.ByteType())
    return F.coalesce(c.cast(T.ByteType()), F.lit(null).cast(T.ByteType()))


def _mask_of_names(c: Column) -> Column:
    """array<string> of identity names -> bitmask (as :func:`..polars_backend.encode`)."""
    voc = all_identities()
    bits = {cat.code: i for i, cat in enumerate(voc.categories)}
    pairs: list[Column] = []
    for k, cat in voc.by_name.items():
        pairs += [F.lit(k), F.lit(1 << bits[cat.code]).cast(T.LongType())]
    mapping = F.create_map(*pairs)

    def norm(x: Column) -> Column:
        x = F.regexp_replace(x, r"\s", "")
        return F.translate(x, "（），—－、", "(),--,")

    looked = F.transform(
        c, lambda x: F.coalesce(F.element_at(mapping, norm(x)), F.lit(UNKNOWN_BIT).cast(T.LongType()))
    )
    return F.aggregate(looked, F.lit(0).cast(T.LongType()), lambda acc, x: acc.bitwiseOR(x))


def encode_spark(df: DataFrame, keep: Sequence[str] = ()) -> DataFrame:
    """Residents -> the coded columns the plan reads (as :func:`urrbmi.batch.encode`)."""
    cols: list[Column] = [F.col(k) for k in keep]
    for name, dtype in _INPUT_TYPES.items():
        if name not in df.columns:
            cols.append(F.lit(_DEFAULTS.get(name)).cast(dtype).alias(name))
        elif name == "student":
            cols.append(_coded(df, name, STUDENT_CODES, 0).alias(name))
        elif name == "residence":
            cols.append(_coded(df, name, RESIDENCE_CODES, None).alias(name))
        elif name == "categories" and isinstance(df.schema[name].dataType, T.ArrayType):
            cols.append(F.coalesce(_mask_of_names(F.col(name)), F.lit(0).cast(T.LongType())).alias(name))
        else:
            cols.append(F.col(name).cast(dtype).alias(name))
    if "paid_on" not in df.columns:
        raise ValueError("the residents table needs a paid_on column")
    return df.select(cols)


def assess_spark(
    df: DataFrame,
    policy: LoadedPolicy | str,
    *,
    keep: Sequence[str] = (),
    engine: Literal["auto", "plan", "profiles"] = "auto",
) -> DataFrame:
    """Assess every resident of a Spark DataFrame under one policy (lazily: nothing runs until
    the result is written or collected). Columns as :func:`urrbmi.batch.assess_frame`; ``engine``
    as there (``profiles``: the distinct profiles are collected to the driver, quoted once by the
    scalar engine, and broadcast-joined back)."""
    loaded = load_policy(policy) if isinstance(policy, str) else policy
    if engine == "auto":
        engine = "plan" if not extra_columns(df.columns) and compiles(loaded) else "profiles"
    if engine == "profiles":
        return assess_spark_profiles(df, loaded, keep=keep)
    plan = compile_policy(loaded)
    out = encode_spark(df, keep)
    for stage in plan.stages:
        names = {n for n, _ in stage}
        kept = [c for c in out.columns if c not in names]  # a stage may replace a column
        out = out.selectExpr(*[f"`{c}`" for c in kept], *[f"{sql(e)} AS `{n}`" for n, e in stage])
    return out.select(*[F.col(k) for k in keep], *[_typed(n) for n in plan.outputs])


def _canonical_birth_sql(policy: LoadedPolicy) -> str:
    """:func:`urrbmi.policy.engine.canonical_birth` as a SQL expression (same thresholds)."""
    exact_from = dt.date(policy.benefit_year - 1, 1, 1)
    whens = [f"WHEN `birth_date` >= DATE'{exact_from}' THEN `birth_date`"]
    for t in sorted(birth_thresholds(policy), reverse=True):
        if t < exact_from:
            whens.append(f"WHEN `birth_date` >= DATE'{t}' THEN DATE'{t}'")
    return f"CASE {' '.join(whens)} WHEN `birth_date` IS NOT NULL THEN DATE'1900-01-01' END"


def assess_spark_profiles(df: DataFrame, policy: LoadedPolicy, *, keep: Sequence[str] = ()) -> DataFrame:
    """Each distinct profile quoted once on the driver by the scalar engine, broadcast-joined
    back (as :func:`urrbmi.batch.profiles.assess_profiles`)."""
    extra = [e for e in extra_columns(df.columns) if e not in keep]
    coded = encode_spark(df, [*keep, *extra]).withColumn("_born", F.expr(_canonical_birth_sql(policy)))
    key = ["_born", *[c for c in _INPUT_TYPES if c != "birth_date"], *extra]
    answers: list[dict[str, Any]] = []
    rows = coded.select(*key).distinct().collect()
    bits = identity_names()
    for row in rows:
        d = row.asDict()
        d["birth_date"] = d.pop("_born")
        answers.append(profile_answer(policy, d, bits))
    schema = result_schema(policy)
    out_cols = ["error", *OUTPUTS[2:]]
    fields = [T.StructField(f"k_{k}", coded.schema[k].dataType, True) for k in key]
    fields += [T.StructField(f"r_{n}", _spark_type(n), True) for n in out_cols]
    table = coded.sparkSession.createDataFrame(
        [(*row, *(a.get(n) for n in out_cols)) for row, a in zip(rows, answers, strict=True)],
        T.StructType(fields),
    )
    cond = [coded[k].eqNullSafe(table[f"k_{k}"]) for k in key]
    joined = coded.join(F.broadcast(table), on=cond, how="left")
    return joined.select(
        *[coded[k] for k in keep],
        F.lit(policy.id).alias("policy"),
        *[_typed(f"r_{n}").alias(n) for n in schema if n != "policy"],
    )


def _spark_type(name: str) -> T.DataType:
    if name in LABELS:
        return T.StringType()
    if name in MONEY or name in LIMITS:
        return T.LongType()
    if name in ("benefit_start", "benefit_end"):
        return T.DateType()
    if name == "tier":
        return T.ByteType()
    return T.IntegerType()


def _typed(name: str) -> Column:
    c = F.col(name)
    name = name.removeprefix("r_")
    if name in LABELS:
        return c.cast(T.StringType()).alias(name)
    if name in MONEY or name in LIMITS:
        return c.cast(T.LongType()).alias(name)
    if name in ("benefit_start", "benefit_end"):
        return c.cast(T.DateType()).alias(name)
    if name == "tier":
        return c.cast(T.ByteType()).alias(name)
    return c.cast(T.IntegerType()).alias(name)


def assess_spark_by_policy(
    df: DataFrame,
    policies: Mapping[str, LoadedPolicy | str],
    *,
    column: str,
    keep: Sequence[str] = (),
) -> DataFrame:
    """A province's registry: each row is assessed under the policy its ``column`` value (e.g.
    a county code) maps to; rows whose value maps to no policy are left out. One projection per
    policy, unioned: no shuffle, no Python on the executors."""
    parts: list[DataFrame] = []
    for value, policy in policies.items():
        part = df.filter(F.col(column) == F.lit(value))
        parts.append(assess_spark(part, policy, keep=[column, *[k for k in keep if k != column]]))
    if not parts:
        raise ValueError("no policies given")
    return functools.reduce(lambda a, b: a.unionByName(b), parts)
