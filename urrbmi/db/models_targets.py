"""Targets: population bases, target rates, task numbers and reductions per region (issue #5).

Tables share :class:`urrbmi.db.models.Base` (same naming conventions); :mod:`urrbmi.db.models`
imports this module so Alembic and the schema test see every table.

- ``target_sets``: one task table or target rule loaded for a campaign (its source, the kind and
  date of its population base, the group and unit it measures, the rate and deadline);
- ``target_units``: one line per unit (town, village, school): base, rate, task as printed and the
  task used (computed base × rate half-up, or the fixed allocation as loaded);
- ``target_reductions``: 核减 of a unit's task with its evidence (濉溪 annex note 3).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from urrbmi.db.models import Base, BigId, _in

TARGET_GROUPS = ("all", "general", "students", "low_income", "hardship")
TARGET_UNITS = ("county", "town", "village", "school")
TARGET_METHODS = ("base_times_rate", "fixed", "rate")

__all__ = ["Base", "TargetReduction", "TargetSet", "TargetUnit"]


class TargetSet(Base):
    """A task table or a target rate loaded for a campaign (``name`` is the table or rule id)."""

    __tablename__ = "target_sets"
    __table_args__ = (
        UniqueConstraint("campaign_id", "name", name="uq_target_sets_campaign_name"),
        CheckConstraint(_in("target_group", TARGET_GROUPS), name="target_group"),
        CheckConstraint(_in("unit", TARGET_UNITS), name="unit"),
        CheckConstraint(_in("method", TARGET_METHODS), name="method"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    target_group: Mapped[str] = mapped_column(String(12))
    unit: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(16))
    # target rate as text, exactly as parsed (Decimal string, e.g. '0.99'); None: tasks only
    rate: Mapped[str | None] = mapped_column(String(20))
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    base_kind: Mapped[str | None] = mapped_column(String(40))  # 户籍人口, 在校学生数...
    base_source: Mapped[str | None] = mapped_column(String(400))
    base_as_of: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)  # issuer, document, annex, clause
    task_scope: Mapped[str | None] = mapped_column(String(400))  # e.g. includes employee insurance
    includes_employee: Mapped[bool] = mapped_column(default=False)
    incentive_per_person_fen: Mapped[int | None] = mapped_column(Integer)
    loaded_by: Mapped[str] = mapped_column(String(100))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TargetUnit(Base):
    __tablename__ = "target_units"
    __table_args__ = (
        UniqueConstraint("target_set_id", "unit_name", name="uq_target_units_set_name"),
        CheckConstraint("task >= 0", name="task"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    target_set_id: Mapped[int] = mapped_column(ForeignKey("target_sets.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    unit_name: Mapped[str] = mapped_column(String(200))  # as printed (town name, school name)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))  # None for a school
    base: Mapped[int | None] = mapped_column(Integer)
    rate: Mapped[str | None] = mapped_column(String(20))
    stated_task: Mapped[int | None] = mapped_column(Integer)
    task: Mapped[int] = mapped_column(Integer)


class TargetReduction(Base):
    """核减: persons proven insured elsewhere, with the evidence, lowering a unit's task."""

    __tablename__ = "target_reductions"
    __table_args__ = (
        UniqueConstraint("target_unit_id", "evidence_ref", name="uq_target_reductions_unit_ref"),
        CheckConstraint("persons > 0", name="persons"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    target_unit_id: Mapped[int] = mapped_column(ForeignKey("target_units.id", ondelete="CASCADE"), index=True)
    persons: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(String(40))
    evidence_ref: Mapped[str] = mapped_column(String(200))
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    resident_ids: Mapped[str] = mapped_column(Text, default="")  # ';'-joined ID numbers
    note: Mapped[str] = mapped_column(String(400), default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
