"""Phone numbers from department lists and the registry import (issue 15: the reminder list and the
township's lists had an empty phone column): checked, bad ones reported as row problems and not
loaded, stored in ``resident_contacts`` with source and date, audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dbfixtures import ACTOR, setup_regions
from import_helpers import write_csv
from sqlalchemy import Engine, select

from urrbmi import clock, ids
from urrbmi.db.models import AuditLog, Resident
from urrbmi.db.models_fieldwork import ResidentContact
from urrbmi.db.session import session_scope
from urrbmi.imports import phones
from urrbmi.imports.load import load_list
from urrbmi.registry.residents import NewResident, add_resident, find_resident

TOWN = "340621100"
M1 = dt.date(2021, 9, 30)
M2 = dt.date(2021, 10, 31)


def _sex(number: str) -> str:
    return "男" if int(number[16]) % 2 else "女"


@pytest.fixture
def people(engine: Engine) -> list[str]:
    setup_regions(engine)
    out = [ids.make("340621", dt.date(1960 + i, 1 + i, 1 + i), 2 * i + 1) for i in range(5)]
    with session_scope(engine) as s:
        for number, name in zip(out[:4], ["张伟", "李芳", "王敏", "赵静"], strict=True):
            add_resident(s, NewResident(number, name, TOWN), actor=ACTOR)
    return out


def _contacts(engine: Engine) -> dict[str, tuple[str, str, dt.date]]:
    with session_scope(engine) as s:
        q = select(
            Resident.id_number, ResidentContact.phone, ResidentContact.source, ResidentContact.recorded_on
        )
        return {n: (p, src, day) for n, p, src, day in s.execute(q.join(Resident))}


def test_phone_numbers_are_checked_normalised_and_stored(
    engine: Engine, people: list[str], tmp_path: Path
) -> None:
    a, b, c, d, _ = people
    header = ["序号", "姓名", "性别", "身份证号码", "人员类别", "所属乡镇", "手机号码"]
    rows = [
        ["1", "张伟", _sex(a), a, "低保对象", "濉溪镇", "138 0000 1111"],
        ["2", "李芳", _sex(b), b, "低保对象", "濉溪镇", "0561-6012345"],
        ["3", "王敏", _sex(c), c, "低保对象", "濉溪镇", "12345"],  # not a phone number
        ["4", "赵静", _sex(d), d, "低保对象", "濉溪镇", ""],  # none given
    ]
    path = write_csv(tmp_path / "民政.csv", [header, *rows], "gb18030")
    with session_scope(engine) as s:
        r = load_list(s, path, "minzheng", M1, actor=ACTOR)
    # the row with the bad number still loads its identity; only the number is left out
    assert r.rows == {"loaded": 4}
    assert r.phones["column"] == "手机号码"
    assert (r.phones["recorded"], r.phones["problems_total"]) == (2, 1)
    (bad,) = r.phones["problems"]
    assert bad["row"] == 4 and bad["value"] == "12345" and "联系电话格式不对" in bad["reason"]
    assert r.as_dict()["phones"]["problems_total"] == 1
    assert _contacts(engine) == {a: ("13800001111", "minzheng", M1), b: ("0561-6012345", "minzheng", M1)}
    with session_scope(engine) as s:
        logged = s.scalars(
            select(AuditLog).where(AuditLog.table_name == "resident_contacts", AuditLog.action == "import")
        ).one()
        assert logged.new is not None and logged.new["recorded"] == 2 and logged.new["invalid"] == 1
        assert "13800001111" not in str(logged.new)  # counts, never the numbers


def test_an_older_list_does_not_replace_a_later_number(
    engine: Engine, people: list[str], tmp_path: Path
) -> None:
    a = people[0]
    with session_scope(engine) as s:
        r = find_resident(s, a)
        assert r is not None
        # an agent recorded a number at a visit after the list's date
        s.add(
            ResidentContact(
                resident_id=r.id,
                phone="13911112222",
                source="visit",
                recorded_on=M1 + dt.timedelta(days=5),
                updated_by="agent",
                updated_at=clock.now(),
            )
        )
    header = ["序号", "姓名", "性别", "身份证号码", "人员类别", "所属乡镇", "联系电话"]
    old = write_csv(
        tmp_path / "9月.csv", [header, ["1", "张伟", _sex(a), a, "低保对象", "濉溪镇", "13800001111"]]
    )
    with session_scope(engine) as s:
        assert load_list(s, old, "minzheng", M1, actor=ACTOR).phones["unchanged"] == 1
    assert _contacts(engine)[a] == ("13911112222", "visit", M1 + dt.timedelta(days=5))
    new = write_csv(
        tmp_path / "10月.csv", [header, ["1", "张伟", _sex(a), a, "低保对象", "濉溪镇", "13800003333"]]
    )
    with session_scope(engine) as s:
        assert load_list(s, new, "minzheng", M2, actor=ACTOR).phones["updated"] == 1
    assert _contacts(engine)[a] == ("13800003333", "minzheng", M2)


def test_the_registry_import_gives_phone_numbers_also_to_residents_it_adds(
    engine: Engine, people: list[str], tmp_path: Path
) -> None:
    a, *_, e = people
    header = ["姓名", "公民身份号码", "性别", "所属乡镇", "人口状态", "联系电话"]
    rows = [
        ["张伟", a, _sex(a), "濉溪镇", "正常", "13800001111"],
        ["刘强", e, _sex(e), "濉溪镇", "正常", "+86 139 0000 2222"],  # a new resident
    ]
    path = write_csv(tmp_path / "户籍人口.csv", [header, *rows], "gb18030")
    with session_scope(engine) as s:
        r = load_list(s, path, "hukou", M1, actor=ACTOR)
    assert r.phones["recorded"] == 2
    assert _contacts(engine) == {a: ("13800001111", "hukou", M1), e: ("13900002222", "hukou", M1)}


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("13800001111", "13800001111"),
        ("138-0000-1111", "13800001111"),
        ("+8613800001111", "13800001111"),
        ("13800001111.0", "13800001111"),
        ("(0561)6012345", "0561-6012345"),
        ("010-62345678", "010-62345678"),
        ("1380000111", None),  # ten digits
        ("12800001111", None),  # no mobile network 12x
        ("6012345", None),  # a landline without its area code
        ("无", None),
    ],
)
def test_phone_pattern(text: str, number: str | None) -> None:
    assert phones.normalize(text) == number


def test_phone_mask() -> None:
    assert phones.mask("13800001111") == "138****1111"
    assert phones.mask("0561-6012345") == "0561-*****45"
    assert phones.shown("13800001111", True) == "13800001111"
    assert phones.shown(None, False) == ""
