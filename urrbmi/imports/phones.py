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
from typing import Any, cast

import polars as pl
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.db.bulk import bulk_insert
from urrbmi.db.models_fieldwork import ResidentContact
from urrbmi.db.models_imports import ImportBatch, ImportRow
from urrbmi.imports.model import ListBatch
from urrbmi.registry import audit

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# area codes: 010 and 02x have two digits after the 0, all others three (GB/T 8875 numbering)
LANDLINE = re.compile(r"^(0(?:10|2[0-9]|[3-9][0-9]{2}))([2-9][0-9]{6,7})$")
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
    cells = checked.frame.select("row", pl.col(col).str.strip_chars().alias("raw")).filter(
        pl.col("raw") != ""
    )
    # the usual case, a plain 11-digit mobile number, column-wise; the rest through normalize()
    plain = pl.col("raw").str.contains(r"^1[3-9][0-9]{9}$")
    good: dict[int, str] = dict(cells.filter(plain).iter_rows())
    for row, raw in cells.filter(~plain).iter_rows():
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
    # set-based for a 户籍 list of a million rows: the batch's matched rows and the numbers already
    # recorded for them in one query each, new numbers inserted in bulk, changed ones updated in
    # one executemany
    by_resident: dict[int, str] = {}
    for row_no, rid in session.execute(
        select(ImportRow.row_no, ImportRow.resident_id).where(
            ImportRow.batch_id == batch.id,
            ImportRow.resident_id.is_not(None),
            ImportRow.status.in_(LOADED_STATUSES),
        )
    ):
        number = good.get(row_no)
        if number is not None and rid is not None:
            by_resident[rid] = number
    session.flush()
    existing = {
        rid: (phone, day)
        for rid, phone, day in session.execute(
            select(ResidentContact.resident_id, ResidentContact.phone, ResidentContact.recorded_on)
            .join(ImportRow, ImportRow.resident_id == ResidentContact.resident_id)
            .where(ImportRow.batch_id == batch.id)
        )
    }
    now = clock.now()
    day: dt.date = batch.as_of
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for rid, number in by_resident.items():
        old = existing.get(rid)
        if old is None:
            new.append(
                {
                    "resident_id": rid,
                    "phone": number,
                    "source": batch.source,
                    "recorded_on": day,
                    "updated_by": actor,
                    "updated_at": now,
                }
            )
        elif old[0] != number and old[1] <= day:
            changed.append({"rid": rid, "phone": number, "source": batch.source, "day": day})
        else:
            out.unchanged += 1
    bulk_insert(session, ResidentContact, new)
    if changed:
        t = cast(Table, ResidentContact.__table__)
        session.execute(
            update(t)
            .where(t.c.resident_id == bindparam("rid"))
            .values(
                phone=bindparam("phone"),
                source=bindparam("source"),
                recorded_on=bindparam("day"),
                updated_by=actor,
                updated_at=now,
            ),
            changed,
        )
    out.recorded, out.updated = len(new), len(changed)
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
