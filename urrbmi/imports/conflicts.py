"""Scope and conflicts of a staged list (before any applier runs).

:func:`match` marks the staged rows of residents outside the loader's scope ``out_of_scope`` and
sends conflicting versions of a person to the review queue (``review_items``), marking their rows
``conflict``: against the registry (name or birth date differ), within the file (rows of one ID
that disagree, held back by the check) and against earlier files of the same source (an ID not in
the registry given another name). Residents whose rows conflict within the file are ``held``: the
appliers neither end their identities nor clear their attributes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, or_, select, text

from urrbmi.db.bulk import bulk_insert
from urrbmi.db.models import Resident
from urrbmi.db.models_imports import ImportBatch, ImportRow, ReviewItem
from urrbmi.imports.staging import Staging, table
from urrbmi.registry import audit


def match(stg: Staging) -> None:
    st = stg.st
    res = table(Resident)
    if stg.scope:
        outside_registered = exists().where(
            res.c.id == st.c.resident_id, ~res.c.region_code.like(stg.scope + "%")
        )
        stg.set_status("out_of_scope", st.c.resident_id.is_not(None), outside_registered)
        stg.set_status(
            "out_of_scope",
            st.c.resident_id.is_(None),
            or_(st.c.region_code.is_(None), ~st.c.region_code.like(stg.scope + "%")),
        )
    _registry_conflicts(stg)
    _file_conflicts(stg)
    _cross_file_conflicts(stg)


def _version_columns(stg: Staging) -> tuple[Any, ...]:
    """The staged columns that make a row's version in a review item."""
    st = stg.st
    c = st.c
    return (c.row_no, c.id_number, c.name, c.sex, c.birth_date, c.category_code, c.region_code)


def _registry_conflicts(stg: Staging) -> None:
    st = stg.st
    res = table(Resident)
    rows = stg.s.execute(
        select(
            *_version_columns(stg),
            st.c.benefit_year,
            st.c.insurance_type,
            res.c.id,
            res.c.name.label("r_name"),
            res.c.birth_date.label("r_birth"),
            res.c.sex.label("r_sex"),
            res.c.region_code.label("r_region"),
            res.c.status.label("r_status"),
        )
        .join(res, res.c.id == st.c.resident_id)
        .where(
            stg.mine(),
            st.c.status.is_(None),
            or_(res.c.name != st.c.name, res.c.birth_date != st.c.birth_date),
        )
    ).all()
    if not rows:
        return
    items = []
    for r in rows:
        fields = [
            f for f, a, b in (("name", r.name, r.r_name), ("birth_date", r.birth_date, r.r_birth)) if a != b
        ]
        items.append(
            _item(
                stg,
                "registry",
                r.id_number,
                r.r_region,
                fields,
                {
                    "resident_id": r.id,
                    "name": r.r_name,
                    "sex": r.r_sex,
                    "birth_date": r.r_birth.isoformat(),
                    "region_code": r.r_region,
                    "status": r.r_status,
                },
                [
                    _version(
                        stg.bid,
                        r.row_no,
                        r.name,
                        r.sex,
                        r.birth_date,
                        r.category_code,
                        r.region_code,
                        {
                            "benefit_year": str(r.benefit_year or ""),
                            "insurance_type": r.insurance_type or "",
                        }
                        if r.benefit_year
                        else None,
                    )
                ],
            )
        )
    bulk_insert(stg.s, ReviewItem, items)
    stg.set_status("conflict", st.c.row_no.in_([r.row_no for r in rows]))
    stg.result.review_items += len(items)


def _file_conflicts(stg: Staging) -> None:
    """Rows of one ID in this file that disagree on the person (held back by the check)."""
    if not stg.checked.conflicts:
        return
    res = table(Resident)
    numbers = [c.id_number for c in stg.checked.conflicts]
    registered: dict[str, Any] = {}
    for i in range(0, len(numbers), 1000):
        for r in stg.s.execute(
            select(
                res.c.id,
                res.c.id_number,
                res.c.name,
                res.c.sex,
                res.c.birth_date,
                res.c.region_code,
                res.c.status,
            ).where(res.c.id_number.in_(numbers[i : i + 1000]))
        ):
            registered[r.id_number] = r
    items = []
    for c in stg.checked.conflicts:
        reg = registered.get(c.id_number)
        if reg is not None:
            stg.held.add(reg.id)
        region = reg.region_code if reg is not None else (stg.region_code(c.rows[0]) or "")
        if stg.scope and not region.startswith(stg.scope):
            for lr in c.rows:
                stg.extra_rows.append(
                    stg.row(lr.row, lr.id_number, lr.name, lr.category, "out_of_scope", None)
                )
            continue
        items.append(
            _item(
                stg,
                "file",
                c.id_number,
                region,
                list(c.fields),
                None
                if reg is None
                else {
                    "resident_id": reg.id,
                    "name": reg.name,
                    "sex": reg.sex,
                    "birth_date": reg.birth_date.isoformat(),
                    "region_code": reg.region_code,
                    "status": reg.status,
                },
                [
                    _version(
                        stg.bid,
                        lr.row,
                        lr.name,
                        lr.sex,
                        lr.birth_date,
                        lr.category,
                        stg.region_code(lr),
                        lr.values,
                    )
                    for lr in c.rows
                ],
            )
        )
        for lr in c.rows:
            stg.extra_rows.append(
                stg.row(lr.row, lr.id_number, lr.name, lr.category, "conflict", "file:" + ",".join(c.fields))
            )
    bulk_insert(stg.s, ReviewItem, items)
    stg.result.review_items += len(items)


def _cross_file_conflicts(stg: Staging) -> None:
    """IDs not in the registry that an earlier file of the same source gave another name."""
    st = stg.st
    ir = table(ImportRow)
    ib = table(ImportBatch)
    rows = stg.s.execute(
        select(
            *_version_columns(stg),
            ir.c.batch_id.label("o_batch"),
            ir.c.row_no.label("o_row"),
            ir.c.name.label("o_name"),
            ir.c.category_code.label("o_cat"),
        )
        .join(ir, ir.c.id_number == st.c.id_number)
        .join(ib, ib.c.id == ir.c.batch_id)
        .where(
            stg.mine(),
            st.c.status.is_(None),
            st.c.resident_id.is_(None),
            ib.c.source == stg.batch.source,
            text("import_rows.status = 'unregistered'"),  # a literal: the partial index's predicate
            ir.c.name != st.c.name,
        )
    ).all()
    if not rows:
        return
    by_row: dict[int, list[Any]] = {}
    for r in rows:
        by_row.setdefault(r.row_no, []).append(r)
    items = []
    for group in by_row.values():
        r = group[0]
        others = [_version(o.o_batch, o.o_row, o.o_name, r.sex, r.birth_date, o.o_cat, None) for o in group]
        mine = _version(stg.bid, r.row_no, r.name, r.sex, r.birth_date, r.category_code, r.region_code)
        items.append(_item(stg, "file", r.id_number, r.region_code or "", ["name"], None, [*others, mine]))
    bulk_insert(stg.s, ReviewItem, items)
    stg.set_status("conflict", st.c.row_no.in_(list(by_row)))
    stg.result.review_items += len(items)


def _version(
    batch_id: int,
    row: int,
    name: str,
    sex: str,
    born: dt.date,
    category: str | None,
    region: str | None,
    values: dict[str, str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "batch_id": batch_id,
        "row": row,
        "name": name,
        "sex": sex,
        "birth_date": born.isoformat(),
        "category": category,
        "region_code": region,
    }
    if values:
        out["values"] = {k: v for k, v in values.items() if k != "id_number"}
    return out


def _item(
    stg: Staging,
    kind: str,
    number: str,
    region: str,
    fields: list[str],
    registry: dict[str, Any] | None,
    versions: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "batch_id": stg.bid,
        "source": stg.batch.source,
        "kind": kind,
        "id_number": number,
        "region_code": region or "",
        "fields": ",".join(fields)[:100],
        "registry_version": registry,
        "file_versions": versions,
        "status": "open",
        "created_at": audit.now(),
    }
