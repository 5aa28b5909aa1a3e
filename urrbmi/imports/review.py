"""The review queue (人工核查): the same ID with another name or birth date, in the registry and a
list or in two list rows. Nothing is merged until a person decides:

- ``keep_registry``: the registry stands; the file's row is not loaded (the department is to
  correct and resend it);
- ``take_file`` (with the row chosen when there are several versions): the registry takes the
  file's name (the previous version goes to ``resident_history``; an audit row is written) and
  the row's effect is applied — its identity from the list's date, the resident added (公安
  lists) or last year's enrollment recorded.

Every function takes ``scope`` (a region-code prefix, "" = everything): items of residents
outside it are neither listed nor decided.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.campaign import ledger
from urrbmi.db.models import Enrollment, EnrollmentSource, EnrollmentStatus, InsuranceType, Membership
from urrbmi.db.models_imports import ImportBatch, ImportRow, ReviewItem
from urrbmi.errors import InvalidInput
from urrbmi.registry import audit
from urrbmi.registry.errors import NotFound
from urrbmi.registry.residents import (
    NewResident,
    add_membership,
    add_resident,
    find_resident,
    update_resident,
    valid_on,
)

DECISIONS = ("keep_registry", "take_file")


@dataclass(frozen=True)
class ReviewView:
    id: int
    status: str
    kind: str
    source: str
    batch_id: int
    id_number: str  # masked unless full=True
    region_code: str
    fields: tuple[str, ...]
    registry: dict[str, Any] | None
    versions: list[dict[str, Any]]
    decision: str | None
    chosen_row: int | None
    decided_by: str | None
    decided_at: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "kind": self.kind,
            "source": self.source,
            "batch_id": self.batch_id,
            "id_number": self.id_number,
            "region_code": self.region_code,
            "fields": list(self.fields),
            "registry": self.registry,
            "versions": self.versions,
            "decision": self.decision,
            "chosen_row": self.chosen_row,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
        }


def _view(item: ReviewItem, full: bool) -> ReviewView:
    return ReviewView(
        item.id,
        item.status,
        item.kind,
        item.source,
        item.batch_id,
        item.id_number if full else ids.mask(item.id_number),
        item.region_code,
        tuple(f for f in item.fields.split(",") if f),
        item.registry_version,
        list(item.file_versions),
        item.decision,
        item.chosen_row,
        item.decided_by,
        item.decided_at,
    )


def list_reviews(
    session: Session, *, scope: str = "", status: str | None = "open", limit: int = 1000, full: bool = False
) -> list[ReviewView]:
    """Review items (open ones by default) of residents under ``scope``; ID numbers masked
    unless ``full``."""
    stmt = (
        select(ReviewItem)
        .where(ReviewItem.region_code.like(scope + "%"))
        .order_by(ReviewItem.id)
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(ReviewItem.status == status)
    return [_view(i, full) for i in session.scalars(stmt)]


def _get(session: Session, item_id: int, scope: str) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None or not item.region_code.startswith(scope):
        raise NotFound(f"没有编号为{item_id}的核查事项", f"no review item {item_id}")
    return item


def show_review(session: Session, item_id: int, *, scope: str = "", full: bool = False) -> ReviewView:
    return _view(_get(session, item_id, scope), full)


def decide_review(
    session: Session,
    item_id: int,
    decision: str,
    *,
    actor: str,
    scope: str = "",
    row: int | None = None,
    note: str | None = None,
) -> ReviewView:
    """Decide an open item and apply the decision (see the module text)."""
    if decision not in DECISIONS:
        raise InvalidInput(f"决定应为{DECISIONS}之一：{decision}", f"decision must be one of {DECISIONS}")
    item = _get(session, item_id, scope)
    if item.status != "open":
        raise InvalidInput(
            f"核查事项{item_id}已于{item.decided_at}决定",
            f"review item {item_id} is already decided",
            code="decided",
        )
    versions: list[dict[str, Any]] = list(item.file_versions)
    chosen: dict[str, Any] | None = None
    if decision == "keep_registry":
        if item.registry_version is None:
            raise InvalidInput(
                "登记册中没有此人，只能选择名单中的一个版本（take_file --row）",
                "the person is not in the registry: choose a file version (take_file --row)",
            )
    else:
        mine = [v for v in versions if v["batch_id"] == item.batch_id]
        if row is None and len(versions) == 1:
            chosen = versions[0]
        else:
            chosen = next((v for v in versions if v["row"] == row), None)
            if chosen is None:
                rows = ", ".join(f"{v['batch_id']}:{v['row']}" for v in versions)
                raise InvalidInput(
                    f"请用 --row 指明采用哪一行（{rows}）", f"choose the row to take with --row ({rows})"
                )
        _apply(session, item, chosen, actor)
        # the row taken is loaded; the other rows of this batch stay in conflict (not loaded)
        if chosen in mine:
            session.execute(
                update(ImportRow)
                .where(ImportRow.batch_id == item.batch_id, ImportRow.row_no == chosen["row"])
                .values(status="loaded", reason=f"review:{item.id}")
            )
    old = {"status": item.status}
    item.status = "decided"
    item.decision = decision
    item.chosen_row = chosen["row"] if chosen else None
    item.decided_by = actor
    item.decided_at = audit.now()
    item.note = note
    session.flush()
    audit.record(
        session,
        actor,
        "review_items",
        item.id,
        "decide",
        old,
        {"status": "decided", "decision": decision, "row": item.chosen_row, "id_number": item.id_number},
    )
    return _view(item, False)


def _holds(session: Session, resident_id: int, category: str, batch: ImportBatch) -> bool:
    """Whether the resident already holds the identity from this source on the list's date."""
    found = session.scalars(
        select(Membership.id).where(
            Membership.resident_id == resident_id,
            Membership.category_code == category,
            Membership.source_department == batch.source,
            valid_on(batch.as_of),
        )
    ).first()
    return found is not None


def _apply(session: Session, item: ReviewItem, v: dict[str, Any], actor: str) -> None:
    batch = session.get(ImportBatch, v["batch_id"])
    assert batch is not None
    reason = f"review {item.id} (batch {batch.id}, row {v['row']})"
    resident = find_resident(session, item.id_number)
    if resident is None:
        if batch.kind != "population":
            return  # a list does not create residents: the decision is recorded, nothing to apply
        if not v.get("region_code"):
            raise InvalidInput("此行没有可识别的村（社区）或乡镇，无法登记", "the row has no known region")
        add_resident(session, NewResident(item.id_number, v["name"], v["region_code"]), actor=actor)
        return
    if resident.name != v["name"]:
        update_resident(session, item.id_number, {"name": v["name"]}, actor=actor, reason=reason)
    if batch.kind == "list" and v.get("category") and not _holds(session, resident.id, v["category"], batch):
        add_membership(
            session,
            item.id_number,
            v["category"],
            batch.as_of,
            department=batch.source,
            batch_id=str(batch.id),
            actor=actor,
        )
        # an identity accepted on review after payment owes its 补发 as a loaded one does (昌吉 三)
        from urrbmi.imports.effects import retro_subsidies

        retro_subsidies(session, [resident.id], batch.as_of, actor=actor)
    elif batch.kind == "enrollment":
        values = v.get("values") or {}
        year = str(values.get("benefit_year") or "")
        if not year.isdigit():
            return
        known = session.scalars(
            select(Enrollment.id).where(
                Enrollment.resident_id == resident.id,
                Enrollment.benefit_year == int(year),
                Enrollment.source == EnrollmentSource.IMPORT,
                Enrollment.status == EnrollmentStatus.ENROLLED,
            )
        ).first()
        kind = InsuranceType.EMPLOYEE if values.get("insurance_type") == "310" else InsuranceType.RESIDENT
        ledger.enroll(
            session,
            []
            if known is not None
            else [
                ledger.NewEnrollment(
                    None, resident.id, int(year), resident.region_code, batch.as_of, insurance_type=kind.value
                )
            ],
            source=EnrollmentSource.IMPORT,
            actor=actor,
            audit_key=None,
        )
        audit.record(
            session, actor, "enrollments", f"review:{item.id}", "insert", None, {"benefit_year": year}
        )


__all__ = ["DECISIONS", "ReviewView", "decide_review", "list_reviews", "show_review"]
