"""Resident ID validation (GB 11643), masking and generation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urrbmi import ids
from urrbmi.errors import InvalidId


def test_valid_id_with_x_check_digit() -> None:
    assert ids.validate("11010519491231002x") == "11010519491231002X"
    assert ids.birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert ids.sex("11010519491231002X") == "F"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "校验位"),
        ("11010519491331002X", "出生日期"),
        ("1101051949123100", "18位"),
        ("11010519491231002Y", "非法字符"),
    ],
)
def test_invalid_ids_name_the_reason(number: str, reason: str) -> None:
    with pytest.raises(InvalidId) as exc:
        ids.validate(number)
    assert reason in exc.value.zh
    assert number not in exc.value.zh  # masked


def test_mask() -> None:
    assert ids.mask("340621199001011234") == "3406**********1234"


@given(st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)), st.integers(0, 999))
def test_make_builds_valid_ids(born: dt.date, seq: int) -> None:
    number = ids.make("340621", born, seq)
    assert ids.is_valid(number) and ids.birth_date(number) == born
    assert ids.sex(number) == ("M" if seq % 2 else "F")


def test_region_code_must_be_known_but_may_postdate_the_birth() -> None:
    # 黔江区 (500114) was created in 2000; someone born in 1980 first registered there later
    # carries that code. python-stdnum's own validate() would reject it; we accept it.
    assert ids.is_valid(ids.make("500114", dt.date(1980, 1, 1), 1))
    with pytest.raises(InvalidId) as exc:
        ids.validate(ids.make("501234", dt.date(1980, 1, 1), 1))
    assert "行政区划代码" in exc.value.zh


def test_the_check_digit_has_one_home() -> None:
    """Issue 16: the GB 11643 check was written three times (stdnum, ids, imports/validate.py).
    Now python-stdnum checks one number and ``ids.error_codes`` a column; no other module of the
    package or the tests spells the weights or the check characters again."""
    from pathlib import Path

    root = Path(__file__).parents[2]
    spelled = ("10X98765432", "7, 9, 10, 5, 8, 4, 2")
    found = [
        str(p.relative_to(root))
        for folder in ("urrbmi", "tests", "bench")
        for p in (root / folder).rglob("*.py")
        if p != Path(__file__) and any(s in p.read_text("utf-8") for s in spelled)
    ]
    assert found == []


@settings(deadline=None)  # no timed assertions: the first example imports Polars (0.4 s on a busy machine)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_column_check_agrees_with_stdnum_on_every_check_character(first17: str, last: str) -> None:
    number = "110105" + first17[6:] if not ids.known_region(first17[:6]) else first17
    number = number[:6] + "19900101" + number[14:17] + last
    assert ids.error_codes([number]) == [ids.error_code(number)]
    assert (ids.error_code(number) is None) == ids.is_valid(number)
