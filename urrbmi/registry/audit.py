"""The audit log: who changed which row, when, from what to what.

ID numbers are masked (first 4 and last 4 characters) in every value written here and in every
message logged: the audit log is read by more people than the registry is.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.db.models import AuditLog

MASKED_KEYS = frozenset({"id_number", "guardian_id_number"})


def default_actor() -> str:
    """``URRBMI_ACTOR`` or the operating-system user."""
    return os.environ.get("URRBMI_ACTOR") or getpass.getuser()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def masked(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-able copy with ID numbers masked."""
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in MASKED_KEYS and isinstance(value, str):
            out[key] = ids.mask(value)
        else:
            out[key] = _plain(value)
    return out


def record(
    session: Session,
    actor: str,
    table: str,
    key: str | int,
    action: str,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
) -> None:
    """Append one audit row (in the caller's transaction)."""
    session.execute(
        insert(AuditLog).values(
            at=now(),
            actor=actor,
            table_name=table,
            row_key=str(key),
            action=action,
            old=masked(old),
            new=masked(new),
        )
    )
