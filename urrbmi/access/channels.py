"""Payment channels that notify the bureau (tax bureau, banks, payment platforms).

A notification is signed with the channel's secret:
``X-Signature = hex(HMAC-SHA256(secret, timestamp + "\\n" + nonce + "\\n" + body))`` with
``X-Timestamp`` (Unix seconds) and ``X-Nonce`` (8–64 characters, unique per request). Refused:
an unknown or inactive channel, a timestamp more than ``URRBMI_CHANNEL_SKEW_SECONDS`` away from our
clock, a wrong signature, a nonce already used (replay). Every refusal is the same 401 body
except the timestamp, which says so (a clock problem is the sender's to fix, and reveals nothing).
Payments are idempotent by the channel's external reference (``record_payment``/
``apply_payments``), so a notification sent twice with fresh nonces records nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urrbmi.access.errors import BadSignature
from urrbmi.access.settings import settings
from urrbmi.campaign.campaigns import get_campaign
from urrbmi.db.models import CHANNELS
from urrbmi.db.models_access import ApiChannel, ChannelNonce
from urrbmi.errors import InvalidInput
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict


def sign(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    msg = timestamp.encode("ascii") + b"\n" + nonce.encode("ascii") + b"\n" + body
    return hmac.new(secret.encode("utf-8"), msg, hashlib.sha256).hexdigest()


def _refused() -> BadSignature:
    return BadSignature("渠道签名验证失败", "the channel signature is invalid or was already used")


def add_channel(
    session: Session,
    name: str,
    payment_channel: str,
    campaign_id: int,
    *,
    actor: str,
    secret: str | None = None,
) -> tuple[ApiChannel, str]:
    """Register a channel; returns it and its secret (shown once; give it to the channel)."""
    if payment_channel not in CHANNELS:
        raise InvalidInput(f"未知的缴费渠道{payment_channel}", f"unknown payment channel {payment_channel!r}")
    if not name or len(name) > 40 or not name.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("渠道名应为字母、数字、-或_", "a channel name is letters, digits, '-' or '_'")
    get_campaign(session, campaign_id)
    if session.get(ApiChannel, name) is not None:
        raise Conflict(f"渠道{name}已存在", f"channel {name} already exists")
    key = secret or secrets.token_urlsafe(32)
    ch = ApiChannel(
        name=name,
        secret=key,
        payment_channel=payment_channel,
        campaign_id=campaign_id,
        active=True,
        created_at=audit.now(),
    )
    session.add(ch)
    session.flush()
    audit.record(
        session,
        actor,
        "api_channels",
        name,
        "insert",
        None,
        {"payment_channel": payment_channel, "campaign": campaign_id},
    )
    return ch, key


def verify(
    session: Session, name: str, timestamp: str | None, nonce: str | None, signature: str | None, body: bytes
) -> ApiChannel:
    """Check a notification; records the nonce (in the caller's transaction)."""
    ch = session.get(ApiChannel, name)
    if ch is None or not ch.active or not timestamp or not nonce or not signature:
        raise _refused()
    if not (8 <= len(nonce) <= 64) or not nonce.isascii() or not timestamp.isdigit():
        raise _refused()
    now = audit.now()
    sent = dt.datetime.fromtimestamp(int(timestamp), dt.UTC) if len(timestamp) < 12 else None
    skew = settings().channel_skew
    if sent is None or abs(now - sent) > skew:
        raise BadSignature(
            "通知时间戳与服务器时间相差过大",
            "the notification's timestamp is too far from our clock",
            code="stale_timestamp",
        )
    if not hmac.compare_digest(sign(ch.secret, timestamp, nonce, body), signature.lower()):
        raise _refused()
    seen = session.scalars(
        select(ChannelNonce).where(ChannelNonce.channel == name, ChannelNonce.nonce == nonce)
    ).first()
    if seen is not None:
        raise _refused()
    try:
        with session.begin_nested():
            session.add(ChannelNonce(channel=name, nonce=nonce, seen_at=now))
            session.flush()
    except IntegrityError:  # the same nonce raced in
        raise _refused() from None
    # nonces older than twice the tolerance can never be replayed (their timestamp is refused)
    session.execute(delete(ChannelNonce).where(ChannelNonce.seen_at < now - 2 * skew))
    return ch
