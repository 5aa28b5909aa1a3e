"""Residents, history, identities, regions and the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from dbfixtures import ACTOR, add_people, give_identity, person, setup_regions
from sqlalchemy import Engine, func, select

from urrbmi import ids
from urrbmi.db.models import AuditLog, Resident, ResidentHistory
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidId, InvalidInput, UnknownCategory
from urrbmi.registry.errors import Conflict, NotFound
from urrbmi.registry.regions import add_region, list_regions
from urrbmi.registry.residents import (
    NewResident,
    add_membership,
    add_resident,
    categories_on,
    end_membership,
    get_resident,
    history,
    update_resident,
)


def test_resident_sex_and_birth_date_come_from_the_id(engine: Engine) -> None:
    setup_regions(engine)
    number = person("500114", dt.date(1990, 5, 17), 24)
    with session_scope(engine) as s:
        add_resident(s, NewResident(number, "李四", "500114001"), actor=ACTOR)
    with session_scope(engine) as s:
        r = get_resident(s, number.lower())
        assert (r.sex, r.birth_date) == (ids.sex(number), dt.date(1990, 5, 17))


def test_second_registration_of_an_id_is_refused(engine: Engine) -> None:
    setup_regions(engine)
    [number] = add_people(engine, "500114001", "500114", 1)
    with pytest.raises(Conflict) as err, session_scope(engine) as s:
        add_resident(s, NewResident(number, "重复", "500114001"), actor=ACTOR)
    # one answer wherever the record lies (docs/api.md, Scope): it names no record, not even masked
    assert "已登记" in err.value.zh and ids.mask(number) not in err.value.zh and number not in err.value.zh
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 1


def test_invalid_id_and_unknown_region_are_refused(engine: Engine) -> None:
    setup_regions(engine)
    with pytest.raises(InvalidId), session_scope(engine) as s:
        add_resident(s, NewResident("500114199001010010", "x", "500114001"), actor=ACTOR)
    with pytest.raises(NotFound), session_scope(engine) as s:
        add_resident(s, NewResident(person("500114", dt.date(1990, 1, 1), 1), "x", "500114999"), actor=ACTOR)


def test_changes_keep_history_outside_the_live_table(engine: Engine) -> None:
    setup_regions(engine)
    [number] = add_people(engine, "500114001", "500114", 1)
    with session_scope(engine) as s:
        update_resident(s, number, {"student": "school", "school_name": "黔江中学"}, actor="a1")
        update_resident(s, number, {"died_on": dt.date(2022, 3, 1)}, actor="a2", reason="死亡注销")
    with session_scope(engine) as s:
        r = get_resident(s, number)
        assert (r.row_version, r.status, r.died_on) == (3, "deceased", dt.date(2022, 3, 1))
        h = history(s, number)
        assert [x.row_version for x in h] == [1, 2]
        assert h[0].data["student"] is None and h[1].data["student"] == "school"
        assert h[1].changed_by == "a2" and h[1].reason == "死亡注销"
        assert s.scalar(select(func.count()).select_from(Resident)) == 1
        assert s.scalar(select(func.count()).select_from(ResidentHistory)) == 2


def test_update_refuses_unknown_fields_and_values(engine: Engine) -> None:
    setup_regions(engine)
    [number] = add_people(engine, "500114001", "500114", 1)
    with pytest.raises(InvalidInput), session_scope(engine) as s:
        update_resident(s, number, {"id_number": "x"}, actor=ACTOR)
    with pytest.raises(InvalidInput), session_scope(engine) as s:
        update_resident(s, number, {"student": "kindergarten"}, actor=ACTOR)


def test_audit_log_records_changes_with_masked_ids(engine: Engine) -> None:
    setup_regions(engine)
    [number] = add_people(engine, "500114001", "500114", 1)
    with session_scope(engine) as s:
        update_resident(s, number, {"employee_insured": True}, actor="agent7")
    with session_scope(engine) as s:
        rows = s.scalars(
            select(AuditLog).where(AuditLog.table_name == "residents").order_by(AuditLog.id)
        ).all()
        assert [r.action for r in rows] == ["insert", "update"]
        assert rows[1].actor == "agent7"
        assert rows[1].old is not None and rows[1].new is not None
        assert rows[1].old["employee_insured"] is False and rows[1].new["employee_insured"] is True
        everything = json.dumps([(r.old, r.new) for r in s.scalars(select(AuditLog))], ensure_ascii=False)
    assert number not in everything and ids.mask(number) in everything


def test_identities_by_date_alias_and_end(engine: Engine) -> None:
    setup_regions(engine)
    [number] = add_people(engine, "500114001", "500114", 1)
    give_identity(engine, number, "城乡低保对象", dt.date(2021, 1, 1), dt.date(2021, 12, 31))
    give_identity(engine, number, "脱贫人口", dt.date(2021, 6, 1))
    with session_scope(engine) as s:
        rid = get_resident(s, number).id
        assert categories_on(s, rid, dt.date(2021, 3, 1)) == ("dibao",)
        assert categories_on(s, rid, dt.date(2021, 7, 1)) == ("dibao", "stable_out_of_poverty")
        assert categories_on(s, rid, dt.date(2022, 1, 1)) == ("stable_out_of_poverty",)
        assert end_membership(s, number, "稳定脱贫人口", dt.date(2021, 12, 31), actor=ACTOR) == 1
        assert categories_on(s, rid, dt.date(2022, 1, 1)) == ()
    with pytest.raises(UnknownCategory), session_scope(engine) as s:
        add_membership(s, number, "不存在的身份", dt.date(2021, 1, 1), actor=ACTOR)


def test_regions_hierarchy_is_checked(engine: Engine) -> None:
    setup_regions(engine)
    with pytest.raises(InvalidInput), session_scope(engine) as s:
        add_region(s, "500230109", "外县镇", "town", "500114", actor=ACTOR)  # not under Qianjiang
    with pytest.raises(InvalidInput), session_scope(engine) as s:
        add_region(s, "50011400", "短码", "town", "500114", actor=ACTOR)
    with session_scope(engine) as s:
        assert [r.code for r in list_regions(s, "500114")] == ["500114", "500114001", "500114001001"]
