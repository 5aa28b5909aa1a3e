"""Schools as payers (学校代缴, issue 14 item 4; 泰兴 四（一）2, 濉溪 八（二）).

Tables share :class:`urrbmi.db.models.Base`; :mod:`urrbmi.db.models` imports this module so
Alembic and the schema test see every table.

- ``schools``: a school (学校) in a region (the town or village it stands in: the scope of the
  officers who act for it), with its name and optional 学校标识码;
- ``school_pupils``: a school's roster (学生名册) for one campaign: one row per pupil, the class
  as the school wrote it and the roster file's row. A pupil is on at most one school's roster per
  campaign.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from urrbmi.db.models import Base, BigId

__all__ = ["School", "SchoolPupil"]


class School(Base):
    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("region_code", "name", name="uq_schools_region_name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(12), ForeignKey("regions.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(20))  # 学校标识码 (optional)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))


class SchoolPupil(Base):
    """One pupil on a school's roster for a campaign."""

    __tablename__ = "school_pupils"
    __table_args__ = (
        UniqueConstraint("campaign_id", "resident_id", name="uq_school_pupils_campaign_resident"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    school_id: Mapped[int] = mapped_column(BigId, ForeignKey("schools.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id"))
    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("residents.id"), index=True)
    class_name: Mapped[str | None] = mapped_column(String(60))  # 班级, as the school wrote it
    row_no: Mapped[int] = mapped_column(Integer)  # the row in the roster file
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    added_by: Mapped[str] = mapped_column(String(100))
