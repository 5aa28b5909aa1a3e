"""Resident identity numbers (居民身份证号码, GB 11643-1999): the one home of the ID check.

One number is checked by python-stdnum (``stdnum.cn.ric``), a maintained library that checks
length, digits, birth date and the ISO 7064 MOD 11-2 check digit; a column of numbers (a
department list of a million rows) by :func:`error_codes`, the same checks as Polars expressions,
which agrees with :func:`error_code` (tested). This module adds what urrbmi needs around them:
bilingual errors, stable problem codes, masking for logs and lists, and generating valid numbers
for synthetic data.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from stdnum import exceptions as stdnum_exceptions
from stdnum import numdb
from stdnum.cn import ric

from urrbmi.errors import InvalidId


def check_digit(first17: str) -> str:
    """The GB 11643 check digit for the first 17 digits (python-stdnum's)."""
    return str(ric.calc_check_digit(first17 + "0"))  # stdnum drops the last character


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


# --- stable problem codes, one number and a column --------------------------------------------


@cache
def _date_ok(yyyymmdd: str) -> bool:
    try:
        dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return True


def error_code(value: str) -> str | None:
    """The problem code of a normalised ID (``id_length``, ``id_chars``, ``id_birth_date``,
    ``id_check_digit``, ``id_region``; the order of :func:`validate`), or None when valid."""
    if len(value) != 18:
        return "id_length"
    if not (value[:17].isascii() and value[:17].isdigit() and value[17] in "0123456789X"):
        return "id_chars"
    if not _date_ok(value[6:14]):
        return "id_birth_date"
    if check_digit(value[:17]) != value[17]:
        return "id_check_digit"
    if not known_region(value[:6]):
        return "id_region"
    return None


def error_codes(numbers: list[str]) -> list[str | None]:
    """:func:`error_code` of many normalised IDs at once (the same checks in the same order), with
    the per-character work done column-wise by Polars: the check digit of a million IDs in Python
    was the largest single cost of a list check. Birth dates and region codes repeat, so each
    distinct one is checked once in Python. Agrees with :func:`error_code` (tested)."""
    import polars as pl  # only list checks need it; a quote does not pay for the import

    if not numbers:
        return []
    frame = pl.DataFrame({"id": pl.Series("id", numbers, dtype=pl.String)}).with_columns(
        length_ok=pl.col("id").str.len_chars() == 18,
        chars_ok=pl.col("id").str.contains(r"^[0-9]{17}[0-9X]$"),
    )
    ok = frame.filter(pl.col("length_ok") & pl.col("chars_ok"))
    bad_dates = {d for d in ok["id"].str.slice(6, 8).unique().to_list() if not _date_ok(d)}
    bad_regions = {r for r in ok["id"].str.slice(0, 6).unique().to_list() if not known_region(r)}
    # ISO 7064 MOD 11-2: digit i (0-based, of 17) weighs 2^(17-i) mod 11; the check character
    # makes the weighted sum with it ≡ 1 (mod 11), i.e. (12 - sum mod 11) mod 11, 10 written X
    total = pl.lit(0, dtype=pl.Int64)
    for i in range(17):
        digit = pl.col("id").str.slice(i, 1).cast(pl.Int64, strict=False).fill_null(0)
        total = total + digit * pow(2, 17 - i, 11)
    value = (12 - total % 11) % 11
    check = pl.when(value == 10).then(pl.lit("X")).otherwise(value.cast(pl.String))
    out = frame.with_columns(check_ok=check == pl.col("id").str.slice(17, 1)).select(
        pl.when(~pl.col("length_ok"))
        .then(pl.lit("id_length"))
        .when(~pl.col("chars_ok"))
        .then(pl.lit("id_chars"))
        .when(pl.col("id").str.slice(6, 8).is_in(sorted(bad_dates)))
        .then(pl.lit("id_birth_date"))
        .when(~pl.col("check_ok"))
        .then(pl.lit("id_check_digit"))
        .when(pl.col("id").str.slice(0, 6).is_in(sorted(bad_regions)))
        .then(pl.lit("id_region"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("code")
    )
    return list(out["code"].to_list())
