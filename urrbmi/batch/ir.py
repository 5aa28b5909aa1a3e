"""A small column-expression language: the one plan both batch back ends render.

The compiler (:mod:`urrbmi.batch.compile`) turns a policy into a :class:`Plan` of these
expressions once; :mod:`urrbmi.batch.polars_backend` renders it to Polars expressions and
:mod:`urrbmi.batch.spark` to Spark columns. Keeping one plan means the two back ends cannot
drift: each renderer is a dozen lines per operation and knows nothing about policies.

Semantics (both renderers follow them, and the agreement tests check it):
- three-valued logic as in SQL: a comparison with a null is null; ``and``/``or`` are Kleene;
  a ``Case`` branch whose condition is null is not taken;
- ``max`` of several values skips nulls (null only if all are null);
- ``Table``/``Labels`` gather by a 0-based integer index; a null index gives null;
- dates are calendar dates; ``add_months`` clamps to the month end as
  ``dateutil.relativedelta`` does (2023-01-31 + 1 month = 2023-02-28).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

LitType = Literal["int", "bool", "date", "float", "null"]
OpName = Literal[
    "and",
    "or",
    "not",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "add",
    "sub",
    "mul",  # x * param
    "is_null",
    "not_null",
    "is_nan",
    "bit_any",  # (x & param) != 0
    "add_days",  # date + int days (second argument)
    "add_months",  # date + param months, clamped to month end
    "month_start",
    "year",
    "days_between",  # first - second, in days
    "max",  # elementwise, nulls skipped
    "coalesce",
]


@dataclass(frozen=True, slots=True)
class Col:
    name: str


@dataclass(frozen=True, slots=True)
class Lit:
    value: int | bool | float | dt.date | None
    type: LitType


@dataclass(frozen=True, slots=True)
class Op:
    op: OpName
    args: tuple[Expr, ...]
    param: int = 0


@dataclass(frozen=True, slots=True)
class Case:
    """``when c1 then v1 when c2 then v2 … else otherwise`` (first true condition wins)."""

    branches: tuple[tuple[Expr, Expr], ...]
    otherwise: Expr


@dataclass(frozen=True, slots=True)
class Table:
    """``values[index]``: a lookup in a small integer table computed when the policy is compiled."""

    values: tuple[int, ...]
    index: Expr


@dataclass(frozen=True, slots=True)
class Labels:
    """``labels[index]`` as a categorical (enum) column; null index gives null."""

    labels: tuple[str, ...]
    index: Expr


Expr = Col | Lit | Op | Case | Table | Labels


@dataclass(frozen=True, slots=True)
class Plan:
    """Stages of named columns; a stage may use the input and earlier stages' columns.

    ``outputs`` names the result columns in order; columns starting with ``_`` are internal.
    """

    policy_id: str
    stages: tuple[tuple[tuple[str, Expr], ...], ...]
    outputs: tuple[str, ...]


# --- builders ------------------------------------------------------------------------------

TRUE = Lit(True, "bool")
FALSE = Lit(False, "bool")


def col(name: str) -> Col:
    return Col(name)


def int_(value: int | None) -> Lit:
    return Lit(value, "int")


def date_(value: dt.date) -> Lit:
    return Lit(value, "date")


def float_(value: float) -> Lit:
    return Lit(value, "float")


def op(name: OpName, *args: Expr, param: int = 0) -> Op:
    return Op(name, args, param)


def and_(*args: Expr) -> Expr:
    parts = tuple(a for a in args if a != TRUE)
    if not parts:
        return TRUE
    if FALSE in parts:
        return FALSE
    return parts[0] if len(parts) == 1 else Op("and", parts)


def or_(*args: Expr) -> Expr:
    parts = tuple(a for a in args if a != FALSE)
    if not parts:
        return FALSE
    if TRUE in parts:
        return TRUE
    return parts[0] if len(parts) == 1 else Op("or", parts)


def not_(x: Expr) -> Expr:
    if x == TRUE:
        return FALSE
    if x == FALSE:
        return TRUE
    return Op("not", (x,))


def is_in(x: Expr, values: tuple[int, ...]) -> Expr:
    return or_(*(op("eq", x, int_(v)) for v in values))


def case(branches: list[tuple[Expr, Expr]], otherwise: Expr) -> Expr:
    live = [(c, v) for c, v in branches if c != FALSE]
    out: list[tuple[Expr, Expr]] = []
    for c, v in live:
        if c == TRUE:
            otherwise = v
            break
        out.append((c, v))
    return Case(tuple(out), otherwise) if out else otherwise


NULL = Lit(None, "null")


def table(values: list[int], index: Expr) -> Expr:
    if len(set(values)) == 1:
        return int_(values[0])
    return Table(tuple(values), index)
