"""Field work of village agents (issue 15 items 1–2): visit outcomes, residents' phone numbers and
医保电子凭证 activations.

Tables share :class:`urrbmi.db.models.Base`; :mod:`urrbmi.db.models` imports this module so
Alembic and the schema test see every table.

- ``visit_outcomes``: the outcome of a visit (入户动员, 督导排查) to a resident who has not paid, with
  its reason and date (a promise carries the promised day); an outcome that proves insurance
  elsewhere may carry the voucher number and, once a task reduction (核减) was recorded from it,
  the ``target_reductions`` row it is the evidence of;
- ``resident_contacts``: a resident's phone number as last recorded, with where it came from (an
  agent's visit, or a department list or the registry import with a phone column) and its date;
- ``credential_activations``: the day a resident activated the 医保电子凭证, from the platform's
  lists (one row per resident, the earliest day reported).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from urrbmi.db.models import Base, BigId, _in

OUTCOMES = ("paid_elsewhere", "employee", "died", "army", "refused", "unreachable", "promised")

__all__ = ["OUTCOMES", "CredentialActivation", "ResidentContact", "VisitOutcome"]


class VisitOutcome(Base):
    """One visit's outcome for one resident in a campaign (the latest one counts)."""

    __tablename__ = "visit_outcomes"
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
        CheckConstraint("outcome != 'promised' OR promised_on IS NOT NULL", name="promise"),
        Index("ix_visit_outcomes_campaign_resident", "campaign_id", "resident_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id"))
    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("residents.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12))  # the resident's village when visited
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(400))
    visited_on: Mapped[dt.date] = mapped_column(Date)
    promised_on: Mapped[dt.date | None] = mapped_column(Date)
    evidence_ref: Mapped[str | None] = mapped_column(String(200))  # 参保凭证编号 (elsewhere, employee)
    reduction_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("target_reductions.id"))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ResidentContact(Base):
    """A resident's phone number (for reminders), as last recorded: ``source`` is ``visit`` (an
    agent) or the import source of the list it came from; ``recorded_on`` the visit's day or the
    list's date (a number as of an earlier day never replaces a later one)."""

    __tablename__ = "resident_contacts"

    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("residents.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), server_default="visit", default="visit")
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CredentialActivation(Base):
    """医保电子凭证 activated by a resident on ``activated_on`` (from the platform's list)."""

    __tablename__ = "credential_activations"

    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("residents.id"), primary_key=True)
    activated_on: Mapped[dt.date] = mapped_column(Date)
    batch_id: Mapped[str] = mapped_column(String(64), index=True)
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
