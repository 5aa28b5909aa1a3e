"""China time: the calendar day a bureau works in, whatever the machine's time zone.

Deadlines, windows and "today" in the notices are calendar dates in China Standard Time (UTC+8,
no daylight saving). Use :func:`today` for "today", never ``datetime.date.today()`` (that is the
machine's zone: a server on UTC would still be on yesterday until 08:00 Beijing time).
``URRBMI_TODAY`` (YYYY-MM-DD) fixes the day, for demos and reproducible runs.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """The current instant, aware, in China time."""
    return dt.datetime.now(CHINA)


def today() -> dt.date:
    """Today's calendar date in China (or ``URRBMI_TODAY`` when set)."""
    fixed = os.environ.get("URRBMI_TODAY")
    if fixed:
        return dt.date.fromisoformat(fixed)
    return now().date()
