"""Constraint violations the database reports, as the bilingual errors users read.

A check in Python before a write answers the common case with a precise message; under a race the
database's constraint is the last word, and its violation (an ``IntegrityError``) would otherwise
reach the user as a server error. :func:`translate` names the errors of the constraints that guard
money; the API and the CLI answer with them (anything else stays an internal error).

PostgreSQL names the broken constraint (``diag.constraint_name``); SQLite names the table's
columns instead (``UNIQUE constraint failed: enrollments.resident_id, enrollments.benefit_year``).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from urrbmi.errors import UrrbmiError
from urrbmi.registry.errors import AlreadyEnrolled

# unique index → its table and columns, as SQLite reports them
UNIQUE_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "uq_enrollments_resident_year_live": ("enrollments", ("resident_id", "benefit_year")),
}


def violated(exc: IntegrityError) -> str | None:
    """The name of the constraint or index that ``exc`` broke, when it is known."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if isinstance(name, str):
        return name
    text = str(exc.orig)
    for index, (table, columns) in UNIQUE_COLUMNS.items():
        if text == "UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns):
            return index
    return None


def translate(exc: IntegrityError) -> UrrbmiError | None:
    """The user's error for a violated guard (None: not one of them)."""
    if violated(exc) == "uq_enrollments_resident_year_live":
        return AlreadyEnrolled(
            "该居民本待遇年度已由另一征缴批次参保（每人每个待遇年度只能参保一次），本次操作未生效；"
            "请刷新后核对，如已重复缴费请办理退费",
            "the resident is already enrolled for this benefit year by another campaign (one "
            "enrollment per resident and year); nothing was changed",
        )
    return None
