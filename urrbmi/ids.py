"""Resident identity numbers (居民身份证号码, GB 11643-1999).

Validation is delegated to python-stdnum (``stdnum.cn.ric``), a maintained library that checks
length, digits, birth date and the ISO 7064 MOD 11-2 check digit. This module adds what urrbmi
needs around it: bilingual errors, masking for logs and lists, and generating valid numbers for
synthetic data.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from stdnum import exceptions as stdnum_exceptions
from stdnum import numdb
from stdnum.cn import ric

from urrbmi.errors import InvalidId

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The GB 11643 check digit for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalize(number: str) -> str:
    """Strip spaces and upper-case a trailing x; no validation."""
    return "".join(str(number).split()).upper()


def validate(number: str) -> str:
    """Return the normalized 18-digit ID or raise :class:`InvalidId` with a clear reason."""
    value = normalize(number)
    shown = mask(value)
    if len(value) != 18:
        raise InvalidId(
            f"身份证号码应为18位，实际为{len(value)}位（{shown}）",
            f"an ID number has 18 characters, got {len(value)} ({shown})",
        )
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidId(
            f"身份证号码含非法字符（{shown}）",
            f"the ID number has invalid characters ({shown})",
        )
    try:
        ric.get_birth_date(value)  # the birth date first: the more useful message
    except stdnum_exceptions.ValidationError:
        raise InvalidId(
            f"身份证号码中的出生日期无效（{shown}）",
            f"the ID number's birth date is invalid ({shown})",
        ) from None
    if ric.calc_check_digit(value) != value[17]:
        raise InvalidId(f"身份证号码校验位错误（{shown}）", f"the ID number's check digit is wrong ({shown})")
    if not known_region(value[:6]):
        raise InvalidId(
            f"身份证号码前6位不是已知的行政区划代码（{shown}）",
            f"the ID number's first 6 digits are not a known region code ({shown})",
        )
    return value


@cache
def known_region(code: str) -> bool:
    """Whether a 6-digit code is (or was, at any time) a GB/T 2260 division, per python-stdnum's
    region database. stdnum's own ``validate`` also requires the code to have existed in the
    birth year; we do not, because a person first registered after a division was created (or
    renamed) legitimately carries the new code with an earlier birth date."""
    if len(code) != 6 or not code.isdigit():
        return False
    parts = numdb.get("cn/loc").info(code)
    return "".join(p for p, _ in parts) == code and bool(parts[-1][1])


def is_valid(number: str) -> bool:
    try:
        validate(number)
    except InvalidId:
        return False
    return True


def birth_date(number: str) -> dt.date:
    """Birth date encoded in a (validated) ID number."""
    value = validate(number)
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def sex(number: str) -> str:
    """'M' or 'F' from the 17th digit (odd = male)."""
    value = validate(number)
    return "M" if int(value[16]) % 2 else "F"


def region_code(number: str) -> str:
    """The 6-digit administrative division code (GB/T 2260) of first registration."""
    return validate(number)[:6]


def mask(number: str) -> str:
    """Mask an ID for logs and lists: keep the first 4 and last 4 characters.

    >>> mask("11010519491231002X")
    '1101**********002X'
    """
    value = normalize(number)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


ID_PATTERN = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


def mask_text(text: str) -> str:
    """Every 18-character ID number in free text (an error message, a log line) masked."""
    return ID_PATTERN.sub(lambda m: mask(m.group(0)), text)


def make(region: str, born: dt.date, sequence: int) -> str:
    """Build a valid ID from a 6-digit region code, a birth date and a 3-digit sequence
    (odd for men, even for women). Used by the synthetic data generator and tests."""
    if len(region) != 6 or not region.isdigit():
        raise ValueError(f"region code must be 6 digits: {region!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0..999: {sequence}")
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
