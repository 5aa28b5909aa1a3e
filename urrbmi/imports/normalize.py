"""Text normalisation of list cells: full-width to half-width, trimming, ID and header folding."""

from __future__ import annotations

import datetime as dt
import re

# Full-width ASCII (U+FF01-FF5E) to half-width, ideographic space to space, and invisible
# characters (zero-width space, BOM, non-breaking space) removed or made spaces.
_WIDTH: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: 0x20, 0xA0: 0x20, 0x200B: None, 0xFEFF: None, 0x200C: None, 0x200D: None})


def half_width(text: str) -> str:
    return text.translate(_WIDTH)


def clean(text: str) -> str:
    """Half-width and trimmed; inner runs of whitespace become one space."""
    return " ".join(text.translate(_WIDTH).split())


def id_number(text: str) -> str:
    """An ID as departments type it, made comparable: half-width, no spaces, upper-case X, no
    leading apostrophe (Excel's text marker). Not validated."""
    if text.isascii():
        value = text.strip().upper()
        if " " not in value and "\t" not in value:
            return value[1:] if value.startswith("'") else value
    value = "".join(text.translate(_WIDTH).split()).upper()
    return value[1:] if value.startswith("'") else value


def name(text: str) -> str:
    """Names lose all whitespace (Chinese names have none; stray spaces are typing noise); the
    middle dot of minority names is unified to U+00B7."""
    value = "".join(text.translate(_WIDTH).split())
    return value.replace("•", "·").replace("．", "·").replace("・", "·")


_HEADER_FOLD = str.maketrans(
    {"（": "(", "）": ")", "【": "(", "】": ")", "：": "", ":": "", "*": "", "＊": ""}
)


def header_key(text: str) -> str:
    """Fold a header cell for alias lookup: half-width, no whitespace, ASCII brackets, no '*'/':'."""
    return "".join(half_width(text).split()).translate(_HEADER_FOLD)


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(text: str) -> dt.date | None:
    """A date as lists write it: 2021-09-01, 2021/9/1, 2021.9.1, 2021年9月1日, 20210901, 2021-09
    (the first of the month), an Excel serial (44470) or an ISO datetime. None if not a date."""
    value = half_width(text).strip()
    if not value:
        return None
    if "T" in value or (" " in value and ":" in value):
        value = value.replace("T", " ").split(" ")[0]
    try:
        if value.isdigit():
            if len(value) == 8:
                return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
            if len(value) == 5 and 20000 <= int(value) <= 80000:
                return _EXCEL_EPOCH + dt.timedelta(days=int(value))
            return None
        m = _DATE_RE.match(value)
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
    except ValueError:
        return None
    return None
