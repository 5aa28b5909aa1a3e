"""Residents' phone numbers (联系电话) from department lists and the registry import (issue 15: the
agent's reminder list and the township's lists have a phone column).

A list whose file has a phone column (aliases in ``headers.yaml``, field ``phone``) gives each
matched resident's number to ``resident_contacts`` with its source (the import source) and date
(the list's date), after :func:`urrbmi.imports.load.load_list` has matched the rows
(:func:`load_phones`, its hook). A number is checked (:func:`normalize`: a mainland mobile number,
or a landline with its area code); a bad one is reported as a row problem (``phone_invalid``) and
not loaded, and the row's other fields load as usual. A number as of an earlier day than the one
recorded never replaces it (an agent's number from a visit stays until a later list). Every load
writes one audit row (counts, never the numbers).

Phone numbers are personal data: lists show them masked (:func:`mask`) except to roles with
``contact.read`` (village agents in their village, township officers in their town).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.db.models_fieldwork import ResidentContact
from urrbmi.db.models_imports import ImportBatch, ImportRow
from urrbmi.imports.model import ListBatch
from urrbmi.registry import audit

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# area codes: 010 and 02x have two digits after the 0, all others three (GB/T 8875 numbering)
LANDLINE = re.compile(r"^(0(?:10|2[0-9]|[3-9][0-9]{2}))([2-9][0-9]{6,7})$")
LOOKUP_BATCH = 900
MAX_PROBLEMS_SHOWN = 200
LOADED_STATUSES = ("loaded", "unchanged")  # rows matched to a resident (not conflicts, not out of scope)


def normalize(text: str | None) -> str | None:
    """The number in one form: 11 digits for a mobile, ``area-number`` for a landline; None when it
    is neither (a mainland mobile ``1[3-9]`` + 9 digits, or a landline: area code ``010``/``02x``
    or ``0`` + three digits, then 7–8 digits not starting with 0 or 1; spaces, hyphens, brackets
    and a ``+86``/``86`` prefix are allowed)."""
    if text is None:
        return None
    s = re.sub(r"[\s\-()（）]", "", str(text).strip())
    if s.endswith(".0"):  # a number cell read from Excel
        s = s[:-2]
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if MOBILE.match(s):
        return s
    m = LANDLINE.match(s)
    if m:
        return f"{m.group(1)}-{m.group(2)}"
    return None


def mask(phone: str | None) -> str:
    """``138****5678``: the first three and last four digits of a mobile; a landline keeps its
    area code and last two digits."""
    if not phone:
        return ""
    if "-" in phone:
        area, number = phone.split("-", 1)
        return f"{area}-{'*' * (len(number) - 2)}{number[-2:]}"
    if len(phone) > 7:
        return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
    return "*" * len(phone)


def shown(phone: str | None, full: bool) -> str:
    """The number as a list shows it: in full for a role with ``contact.read``, else masked."""
    return (phone or "") if full else mask(phone)


@dataclass
class PhoneLoad:
    column: str = ""  # the phone column's header in the file ("" when the file has none)
    recorded: int = 0  # new numbers
    updated: int = 0  # a different number replaced (the list is as recent or more)
    unchanged: int = 0  # same number, or an older list than the number recorded
    problems: list[dict[str, Any]] = field(default_factory=list)  # {row, column, value, reason}
    problems_total: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "recorded": self.recorded,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problems": list(self.problems),
            "problems_total": self.problems_total,
        }


def load_phones(session: Session, batch: ImportBatch, checked: ListBatch, *, actor: str) -> PhoneLoad:
    """Record the phone numbers of a loaded list (see the module docstring): the rows matched to a
    resident (``import_rows`` of ``batch`` loaded or unchanged) give their numbers."""
    out = PhoneLoad(column=checked.file.columns.get("phone", ""))
    col = "v.phone"
    if not out.column or col not in checked.frame.columns:
        return out
    cells = checked.frame.select("row", col).filter(pl.col(col).str.strip_chars() != "")
    good: dict[int, str] = {}
    for row, raw in cells.iter_rows():
        number = normalize(raw)
        if number is None:
            out.problems_total += 1
            if len(out.problems) < MAX_PROBLEMS_SHOWN:
                out.problems.append(
                    {
                        "row": row,
                        "column": out.column,
                        "value": str(raw)[:40],
                        "code": "phone_invalid",
                        "reason": "联系电话格式不对（应为11位手机号码或带区号的固定电话），未导入",
                    }
                )
            continue
        good[row] = number
    if not good:
        return out
    by_resident: dict[int, str] = {}
    rows = list(good)
    for i in range(0, len(rows), LOOKUP_BATCH):
        for row_no, rid in session.execute(
            select(ImportRow.row_no, ImportRow.resident_id).where(
                ImportRow.batch_id == batch.id,
                ImportRow.row_no.in_(rows[i : i + LOOKUP_BATCH]),
                ImportRow.resident_id.is_not(None),
                ImportRow.status.in_(LOADED_STATUSES),
            )
        ):
            if rid is not None:
                by_resident[rid] = good[row_no]
    rids = list(by_resident)
    existing: dict[int, ResidentContact] = {}
    for i in range(0, len(rids), LOOKUP_BATCH):
        for found in session.scalars(
            select(ResidentContact).where(ResidentContact.resident_id.in_(rids[i : i + LOOKUP_BATCH]))
        ):
            existing[found.resident_id] = found
    now = clock.now()
    day: dt.date = batch.as_of
    for rid, number in by_resident.items():
        c = existing.get(rid)
        if c is None:
            session.add(
                ResidentContact(
                    resident_id=rid,
                    phone=number,
                    source=batch.source,
                    recorded_on=day,
                    updated_by=actor,
                    updated_at=now,
                )
            )
            out.recorded += 1
        elif c.phone != number and c.recorded_on <= day:
            c.phone, c.source, c.recorded_on, c.updated_by, c.updated_at = (
                number,
                batch.source,
                day,
                actor,
                now,
            )
            out.updated += 1
        else:
            out.unchanged += 1
    session.flush()
    audit.record(
        session,
        actor,
        "resident_contacts",
        f"batch:{batch.id}",
        "import",
        None,
        {
            "source": batch.source,
            "as_of": str(day),
            "recorded": out.recorded,
            "updated": out.updated,
            "unchanged": out.unchanged,
            "invalid": out.problems_total,
        },
    )
    return out
