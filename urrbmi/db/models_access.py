"""Accounts, roles, sessions, API channels and replay protection (issue #6).

Tables share :class:`urrbmi.db.models.Base` (same naming conventions); :mod:`urrbmi.db.models`
imports this module so Alembic and the schema test see every table.

- ``users``: one staff account: argon2 password hash, role, the region subtree it may see
  (``region_code``), for department uploaders the list sources it may send (``sources``, comma
  separated), failed-login counter and lock-out time;
- ``api_sessions``: browser sessions and bearer tokens; only the SHA-256 of the token is stored,
  with its CSRF token (browser sessions), absolute expiry and last use (idle timeout);
- ``api_channels``: payment channels (tax bureau, banks) that post notifications: the HMAC secret,
  the ledger channel code their payments are recorded under and the campaign they pay into;
- ``channel_nonces``: nonces already seen per channel (replay protection; pruned after the
  timestamp tolerance has passed).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from urrbmi.db.models import CHANNELS, Base, BigId, _in

ROLES = (
    "bureau_admin",
    "bureau_officer",
    "township_officer",
    "village_agent",
    "dept_uploader",
    "auditor",
    "finance",
)
SESSION_KINDS = ("browser", "token")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    sources: Mapped[str] = mapped_column(String(400), default="")  # uploader: allowed list sources
    disabled: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ApiSession(Base):
    __tablename__ = "api_sessions"
    __table_args__ = (CheckConstraint(_in("kind", SESSION_KINDS), name="kind"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 hex of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    csrf_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(default=False)


class ApiChannel(Base):
    __tablename__ = "api_channels"
    __table_args__ = (CheckConstraint(_in("payment_channel", CHANNELS), name="payment_channel"),)

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    payment_channel: Mapped[str] = mapped_column(String(10))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ChannelNonce(Base):
    __tablename__ = "channel_nonces"

    channel: Mapped[str] = mapped_column(ForeignKey("api_channels.name"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


__all__ = ["ROLES", "ApiChannel", "ApiSession", "Base", "ChannelNonce", "User"]
