"""Progress follow-up (issue 18 items 3-6): task-table versions, issued bulletins, funding payments.

Tables share :class:`urrbmi.db.models.Base`; :mod:`urrbmi.db.models` imports this module so Alembic
and the schema test see every table (migration 0019).

- ``task_table_versions``: every upload of a county's own task table (the file's bytes, who, when,
  units and total; ``current`` or ``replaced``); the units in force are in ``target_units``;
- ``bulletin_issues``: a bulletin as issued (the figures as JSON, the Excel and HTML as sent), one
  per campaign, date, level and scope;
- ``funding_payments``: a level of government's share paid in (amount in fen, date, reference).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from urrbmi.db.models import Base, BigId, _in

VERSION_STATUS = ("current", "replaced")
FUNDING_LEVELS = ("central", "provincial", "regional", "prefecture", "county", "district")

__all__ = ["BulletinIssue", "FundingPayment", "TaskTableVersion"]


class TaskTableVersion(Base):
    __tablename__ = "task_table_versions"
    __table_args__ = (
        UniqueConstraint("campaign_id", "name", "version", name="uq_task_table_versions_name_version"),
        CheckConstraint(_in("status", VERSION_STATUS), name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(8))
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    units: Mapped[int] = mapped_column(Integer)
    task_total: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))
    loaded_by: Mapped[str] = mapped_column(String(100))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BulletinIssue(Base):
    __tablename__ = "bulletin_issues"
    __table_args__ = (
        UniqueConstraint(
            "campaign_id", "as_of", "level", "scope", name="uq_bulletin_issues_date_level_scope"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str] = mapped_column(String(12), default="")
    title: Mapped[str] = mapped_column(String(200))
    figures: Mapped[dict[str, Any]] = mapped_column()  # columns.table_json of the bulletin
    xlsx: Mapped[bytes] = mapped_column(LargeBinary)
    html: Mapped[str] = mapped_column(Text)
    issued_by: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class FundingPayment(Base):
    __tablename__ = "funding_payments"
    __table_args__ = (
        CheckConstraint(_in("level", FUNDING_LEVELS), name="level"),
        CheckConstraint("amount_fen > 0", name="amount"),
        UniqueConstraint("campaign_id", "reference", name="uq_funding_payments_campaign_reference"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    level: Mapped[str] = mapped_column(String(12))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(400), default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
