"""The columns of a compiled plan (:mod:`urrbmi.batch.compile`): the codes of the coded input
columns, the stable error codes, the result columns (money in integer fen), the identity bits, and
the exact conversions the plan's arithmetic relies on."""

from __future__ import annotations

import math
from decimal import Decimal

from urrbmi.policy.identities import all_identities

# Integer codes of the coded input columns.
STUDENT_CODES = {"school": 1, "college": 2}  # 0 = not a student ("none")
RESIDENCE_CODES = {"hukou": 0, "permit": 1, "none": 2}  # null = not given
ERRORS = (
    "invalid_input",
    "missing_input",
    "unknown_category",
    "outside_window",
    "policy_gap",
    "no_benefit_period",
)
E = {name: i for i, name in enumerate(ERRORS)}

# Result columns (in order). Money columns are integer fen.
MONEY = (
    "standard_fen",
    "subsidy_fen",
    "individual_payment_fen",
    "fiscal_portion_due_fen",
    "total_due_fen",
)
LIMITS = ("outpatient_cap_fen", "inpatient_cap_fen", "critical_illness_deductible_fen")
OUTPUTS = (
    "policy",
    "error",
    "person_class",
    "tier",
    *MONEY[:2],
    "subsidy_category",
    "subsidy_funder",
    *MONEY[2:],
    "benefit_start",
    "benefit_end",
    "waiting_days",
    "window",
    *LIMITS,
)
# Columns that are categorical (Labels) in the result.
LABELS = ("policy", "error", "person_class", "subsidy_category", "subsidy_funder", "window")


def category_bits() -> dict[str, int]:
    """Category code -> bit number: its position among the national identities followed by
    those the policies on the search path define (:func:`urrbmi.policy.identities.all_identities`)."""
    return {c.code: i for i, c in enumerate(all_identities().categories)}


def fen(amount: Decimal) -> int:
    value = amount * 100
    if value != value.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of fen")
    return int(value)


def below_threshold(minimum: Decimal) -> float:
    """The smallest float ``t`` with ``Decimal(str(t)) >= minimum``: for every float ``x``,
    ``Decimal(str(x)) < minimum`` (the scalar engine's test) iff ``x < t``."""
    t = float(minimum)
    while Decimal(repr(math.nextafter(t, -math.inf))) >= minimum:
        t = math.nextafter(t, -math.inf)
    while Decimal(repr(t)) < minimum:
        t = math.nextafter(t, math.inf)
    return t
