"""'Today' is the calendar day in China, not the machine's zone."""

from __future__ import annotations

import datetime as dt

import pytest

from urrbmi import clock


def test_today_is_china_date_even_when_utc_is_still_yesterday(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2026-11-23 17:30 UTC is 2026-11-24 01:30 in Beijing
    instant = dt.datetime(2026, 11, 23, 17, 30, tzinfo=dt.UTC)

    class Fixed(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Fixed:
            return instant.astimezone(tz)  # type: ignore[return-value]

    monkeypatch.delenv("URRBMI_TODAY", raising=False)
    monkeypatch.setattr(dt, "datetime", Fixed)  # the module urrbmi.clock reads
    assert clock.today() == dt.date(2026, 11, 24)
    assert clock.now().utcoffset() == dt.timedelta(hours=8)


def test_urrbmi_today_fixes_the_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URRBMI_TODAY", "2022-10-15")
    assert clock.today() == dt.date(2022, 10, 15)
