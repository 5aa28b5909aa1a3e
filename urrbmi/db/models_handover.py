"""Cash handover (现金解缴, issue 14 item 3): a village agent's cash receipts handed over in a batch.

Tables share :class:`urrbmi.db.models.Base`; :mod:`urrbmi.db.models` imports this module so
Alembic and the schema test see every table.

- ``cash_handovers``: one batch of an agent's cash receipts up to a day, with the expected total,
  the amount counted by the receiving officer (township office or finance) and the difference's
  reason; status ``submitted`` → ``confirmed`` with who and when for each step;
- ``cash_handover_items``: the payments of a batch (a payment is in at most one batch).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from urrbmi.db.models import Base, BigId, _in

HANDOVER_STATUS = ("submitted", "confirmed")

__all__ = ["HANDOVER_STATUS", "CashHandover", "CashHandoverItem"]


class CashHandover(Base):
    """An agent's cash receipts from ``first_day`` to ``last_day`` handed over in one batch."""

    __tablename__ = "cash_handovers"
    __table_args__ = (
        CheckConstraint(_in("status", HANDOVER_STATUS), name="status"),
        CheckConstraint("expected_fen >= 0", name="expected"),
        CheckConstraint("received_fen IS NULL OR received_fen >= 0", name="received"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id"), index=True)
    agent: Mapped[str] = mapped_column(String(100), index=True)  # payments.recorded_by
    region_code: Mapped[str] = mapped_column(String(12), ForeignKey("regions.code"))  # the agent's scope
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    receipts: Mapped[int] = mapped_column(Integer)
    expected_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    received_fen: Mapped[int | None] = mapped_column(BigInteger)
    difference_reason: Mapped[str | None] = mapped_column(String(400))
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CashHandoverItem(Base):
    """One payment of a batch."""

    __tablename__ = "cash_handover_items"

    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id"), primary_key=True)
    handover_id: Mapped[int] = mapped_column(BigId, ForeignKey("cash_handovers.id"), index=True)
