"""Security settings, read from the environment (defaults in brackets, documented in docs/api.md).

- ``URRBMI_SESSION_HOURS`` [8]: absolute lifetime of a browser session;
- ``URRBMI_TOKEN_HOURS`` [720]: absolute lifetime of a bearer token (machine clients);
- ``URRBMI_IDLE_MINUTES`` [30]: a browser session unused this long expires;
- ``URRBMI_LOCKOUT_FAILURES`` [5]: failed logins in a row that lock an account ...
- ``URRBMI_LOCKOUT_MINUTES`` [15]: ... for this long;
- ``URRBMI_COOKIE_SECURE`` [1]: send the session cookie only over HTTPS (0 for plain-HTTP tests);
- ``URRBMI_PUBLIC_RATE`` [10]: public lookups per minute per client IP ...
- ``URRBMI_PUBLIC_RATE_ID`` [5]: ... and per ID number;
- ``URRBMI_CHANNEL_SKEW_SECONDS`` [300]: accepted clock difference of channel notifications;
- ``URRBMI_AUTH_CACHE_SECONDS`` [5]: a worker reuses a resolved token this long (0: never);
- ``URRBMI_BACKDATE_DAYS`` [7]: a counter payment may be dated this many days before today
  without an officer (permission ``payment.backdate``).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else int(raw)


@dataclass(frozen=True)
class Settings:
    session_lifetime: dt.timedelta
    token_lifetime: dt.timedelta
    idle_timeout: dt.timedelta
    lockout_failures: int
    lockout_duration: dt.timedelta
    cookie_secure: bool
    public_rate_ip: int
    public_rate_id: int
    channel_skew: dt.timedelta
    auth_cache_seconds: int
    backdate_days: int


def settings() -> Settings:
    return Settings(
        session_lifetime=dt.timedelta(hours=_int("URRBMI_SESSION_HOURS", 8)),
        token_lifetime=dt.timedelta(hours=_int("URRBMI_TOKEN_HOURS", 720)),
        idle_timeout=dt.timedelta(minutes=_int("URRBMI_IDLE_MINUTES", 30)),
        lockout_failures=_int("URRBMI_LOCKOUT_FAILURES", 5),
        lockout_duration=dt.timedelta(minutes=_int("URRBMI_LOCKOUT_MINUTES", 15)),
        cookie_secure=_int("URRBMI_COOKIE_SECURE", 1) == 1,
        public_rate_ip=_int("URRBMI_PUBLIC_RATE", 10),
        public_rate_id=_int("URRBMI_PUBLIC_RATE_ID", 5),
        channel_skew=dt.timedelta(seconds=_int("URRBMI_CHANNEL_SKEW_SECONDS", 300)),
        auth_cache_seconds=_int("URRBMI_AUTH_CACHE_SECONDS", 5),
        backdate_days=_int("URRBMI_BACKDATE_DAYS", 7),
    )
