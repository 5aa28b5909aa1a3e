"""Checking a department list before loading it (the web page's first step): the file's bytes read
and validated without loading (:func:`urrbmi.imports.check.check_file`), its problem rows in file
order (invalid cells, dropped exact duplicates, conflicting rows — the Excel report's lines) and the
Excel error report kept in ``import_checks`` under a random token, so that any API worker can serve
them: bound to the user who checked, for ``CHECK_TTL`` seconds, ``CHECK_KEEP`` per user at most
(oldest dropped; expired ones deleted at the next check), at most ``URRBMI_CHECK_KEEP_ROWS``
problem rows each (``counts["problem_rows"]`` counting them all).
"""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.db.models_imports import ImportCheck
from urrbmi.errors import InvalidInput
from urrbmi.imports.check import check_file
from urrbmi.imports.model import ListBatch
from urrbmi.imports.report import FIELD_ZH, write_report
from urrbmi.limits import limits
from urrbmi.registry import audit
from urrbmi.registry.errors import NotFound

CHECK_TTL = 30 * 60  # seconds a checked file's report stays downloadable
CHECK_KEEP = 32  # checked files kept per user at most (the oldest is dropped first)


def check_upload(
    content: bytes, file_name: str, source: str, *, as_of: dt.date | None, regions: Any, actor: str
) -> ImportCheck:
    """The file checked (not loaded) against ``regions`` (:func:`urrbmi.imports.load.regions_from_db`)
    as a new, unsaved ``import_checks`` row: counts, columns, the first problem rows, the report."""
    if not content:
        raise InvalidInput("上传的文件是空的", "the uploaded file is empty")
    name = Path(file_name or "upload").name or "upload"
    batch = check_file(Path(name), source, as_of=as_of, regions=regions, content=content)
    keep = limits().check_keep_rows  # what is kept of a file with very many problems
    with tempfile.TemporaryDirectory() as tmp:
        report = write_report(batch, Path(tmp) / "report.xlsx", limit=keep).read_bytes()
    problems = problem_rows(batch)
    counts = {k: int(getattr(batch.counts, k)) for k in batch.counts.__slots__}
    counts["problem_rows"] = len(problems)  # all of them; the first ``keep`` are kept
    return ImportCheck(
        actor=actor,
        source=batch.source,
        file_name=name,
        sha256=batch.file.sha256,
        as_of=batch.as_of,
        counts=counts,
        columns=dict(batch.file.columns),
        rows=problems[:keep],
        report=report,
    )


def keep_check(s: Session, c: ImportCheck) -> str:
    """Keep a checked file in ``import_checks`` under a new token (any API worker can then serve
    it): expired ones are deleted, and the user's oldest beyond ``CHECK_KEEP``."""
    c.token = secrets.token_urlsafe(24)
    c.created_at = audit.now()
    s.execute(
        delete(ImportCheck).where(ImportCheck.created_at < c.created_at - dt.timedelta(seconds=CHECK_TTL))
    )
    mine = s.scalars(
        select(ImportCheck.token).where(ImportCheck.actor == c.actor).order_by(ImportCheck.created_at.desc())
    ).all()
    if len(mine) >= CHECK_KEEP:
        s.execute(delete(ImportCheck).where(ImportCheck.token.in_(mine[CHECK_KEEP - 1 :])))
    s.add(c)
    return c.token


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC datetimes."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def get_check(s: Session, token: str, actor: str) -> ImportCheck:
    """The user's own checked file; another user's token, an expired or unknown one: the same 404."""
    row = s.get(ImportCheck, token)
    cutoff = audit.now() - dt.timedelta(seconds=CHECK_TTL)
    if row is None or row.actor != actor or _utc(row.created_at) < cutoff:
        raise NotFound(
            "校验结果不存在或已过期（保留30分钟），请重新校验",
            "the check result does not exist or has expired (kept 30 minutes); check the file again",
        )
    return row


FIELD_EN = {"name": "name", "sex": "sex", "birth_date": "birth date"}


def problem_rows(batch: ListBatch) -> list[dict[str, Any]]:
    """One line per problem, as in the Excel report, in file order: invalid cells, dropped exact
    duplicates, conflicting rows (same ID, different person: sent to the review queue)."""
    id_label = batch.file.columns.get("id_number", "")
    out: list[dict[str, Any]] = []
    for inv in batch.invalid:
        name = inv.raw.get("name", "")
        for pr in inv.problems:
            out.append(
                {
                    "row": pr.row,
                    "kind": "invalid",
                    "id_number": inv.raw.get("id_number", ""),
                    "name": name,
                    "column": pr.column,
                    "value": pr.value,
                    "value_is_id": bool(id_label) and pr.column == id_label,
                    "code": pr.code,
                    "reason": pr.zh,
                    "reason_en": pr.en,
                }
            )
    for d in batch.duplicates:
        out.append(
            {
                "row": d.row,
                "kind": "duplicate",
                "id_number": d.id_number,
                "name": "",
                "column": "",
                "value": "",
                "value_is_id": False,
                "code": "duplicate_row",
                "reason": f"与第{d.same_as}行完全相同，已去除",
                "reason_en": f"exact repeat of row {d.same_as}, dropped",
            }
        )
    for c in batch.conflicts:
        zh = "、".join(FIELD_ZH.get(f, f) for f in c.fields)
        en = ", ".join(FIELD_EN.get(f, f) for f in c.fields)
        others = [r.row for r in c.rows]
        rows_zh = "、".join(str(n) for n in others)
        for r in c.rows:
            out.append(
                {
                    "row": r.row,
                    "kind": "conflict",
                    "id_number": c.id_number,
                    "name": r.name,
                    "column": "",
                    "value": "",
                    "value_is_id": False,
                    "code": "conflict",
                    "reason": f"同一身份证号在第{rows_zh}行的{zh}不一致，待人工核查",
                    "reason_en": f"rows {', '.join(str(n) for n in others)} with this ID disagree on {en}; "
                    "left for review",
                }
            )
    out.sort(key=lambda x: x["row"])
    return out


def served(rows: list[dict[str, Any]], full: bool) -> list[dict[str, Any]]:
    """The kept rows as shown to a reader: ID numbers masked unless ``full``."""
    out = []
    for r in rows:
        r = dict(r)
        if not full:
            r["id_number"] = ids.mask(r["id_number"]) if r["id_number"] else ""
            if r["value_is_id"] and r["value"]:
                r["value"] = ids.mask(r["value"])
        del r["value_is_id"]
        out.append(r)
    return out
