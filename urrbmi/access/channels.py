"""Payment channels that notify the bureau (tax bureau, banks, payment platforms).

A notification is signed with the channel's secret:
``X-Signature = hex(HMAC-SHA256(secret, timestamp + "\\n" + nonce + "\\n" + body))`` with
``X-Timestamp`` (Unix seconds) and ``X-Nonce`` (8–64 characters, unique per request). Refused:
an unknown or inactive channel, a timestamp more than ``URRBMI_CHANNEL_SKEW_SECONDS`` away from our
clock, a wrong signature, a nonce already used (replay). Every refusal is the same 401 body
except the timestamp of a correctly signed notification, which says so (a clock problem is the
sender's to fix). The signature is checked over the raw body before the body is parsed, and the
nonce is used up only by an accepted notification.
Payments are idempotent by the channel's external reference (``record_payment``/
``apply_payments``), so a notification sent twice with fresh nonces records nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from functools import cache

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


def authenticate(
    session: Session, name: str, timestamp: str | None, nonce: str | None, signature: str | None, body: bytes
) -> ApiChannel:
    """Check a notification before anything is read from its body: the signature over the raw
    bytes first, then the clock, then that the nonce is fresh. The nonce is not recorded here:
    :func:`consume_nonce` records it with the accepted notification, so a refused one (bad body,
    conflicting reference, any error) can be corrected and sent again with its nonce.

    An unknown or inactive channel is refused after the same HMAC as a known one (against a
    throw-away key), with the same answer as a wrong signature; the clock is judged only for a
    correctly signed notification, so the stale-timestamp answer reveals nothing either."""
    ch = session.get(ApiChannel, name)
    if not timestamp or not nonce or not signature:
        raise _refused()
    if not (8 <= len(nonce) <= 64) or not (nonce.isascii() and timestamp.isascii() and timestamp.isdigit()):
        raise _refused()
    key = ch.secret if ch is not None and ch.active else _throwaway_key()
    good = hmac.compare_digest(sign(key, timestamp, nonce, body), signature.lower())
    if not good or ch is None or not ch.active:
        raise _refused()
    now = audit.now()
    sent = dt.datetime.fromtimestamp(int(timestamp), dt.UTC) if len(timestamp) < 12 else None
    if sent is None or abs(now - sent) > settings().channel_skew:
        raise BadSignature(
            "通知时间戳与服务器时间相差过大",
            "the notification's timestamp is too far from our clock",
            code="stale_timestamp",
        )
    seen = session.scalars(
        select(ChannelNonce).where(ChannelNonce.channel == name, ChannelNonce.nonce == nonce)
    ).first()
    if seen is not None:
        raise _refused()
    return ch


def consume_nonce(session: Session, ch: ApiChannel, nonce: str) -> None:
    """Record the nonce of an accepted notification, in the transaction that records its payments
    (the same nonce racing in from a concurrent request is refused, and its payments roll back)."""
    now = audit.now()
    try:
        with session.begin_nested():
            session.add(ChannelNonce(channel=ch.name, nonce=nonce, seen_at=now))
            session.flush()
    except IntegrityError:
        raise _refused() from None
    # nonces older than twice the tolerance can never be replayed (their timestamp is refused)
    session.execute(delete(ChannelNonce).where(ChannelNonce.seen_at < now - 2 * settings().channel_skew))


@cache
def _throwaway_key() -> str:
    return secrets.token_urlsafe(32)
