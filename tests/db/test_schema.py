"""The schema: migrations agree with the models, constraints hold in the database itself."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, insert, inspect, select, text
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.exc import IntegrityError

from urrbmi.db.models import Base, Receipt, Resident
from urrbmi.db.session import DatabaseError, head_revision, open_db, upgrade
from urrbmi.registry.audit import now


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert ctx.get_current_revision() == head_revision()
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_upgrade_is_repeatable(db_url: str) -> None:
    assert upgrade(db_url) == head_revision()
    assert upgrade(db_url) == head_revision()


def test_fresh_sqlite_file_is_migrated_on_open(tmp_path: object) -> None:
    path = f"{tmp_path}/sub/fresh.sqlite"
    eng = open_db(f"sqlite:///{path}")
    assert "residents" in inspect(eng).get_table_names()
    assert os.path.exists(path)


@pytest.mark.postgres
def test_unmigrated_postgres_is_an_error_not_a_silent_migration(pg_database: str) -> None:
    admin = create_engine(make_url(pg_database).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"urrbmi_test_{os.getpid()}_empty"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_database).set(database=name).render_as_string(hide_password=False)
    try:
        with pytest.raises(DatabaseError) as err:
            open_db(url)
        assert err.value.code == "database_not_migrated" and "urrbmi db upgrade" in err.value.en
        assert "residents" not in inspect(create_engine(url)).get_table_names()
    finally:
        from urrbmi.db.session import get_engine

        get_engine(url).dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pk(result: CursorResult[Any]) -> int:
    """The id an INSERT of one row gave it."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _resident(number: str) -> dict[str, object]:
    return {
        "id_number": number,
        "name": "甲",
        "sex": "M",
        "birth_date": dt.date(1980, 1, 1),
        "region_code": "500114",
        "residence": "hukou",
        "employee_insured": False,
        "status": "active",
        "row_version": 1,
        "updated_at": now(),
    }


def test_one_live_row_per_id_number_is_enforced_by_the_database(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO regions (code, name, level) VALUES ('500114', '黔江区', 'county')"))
        conn.execute(insert(Resident).values(_resident("500114198001010011")))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Resident).values(_resident("500114198001010011")))
    with engine.connect() as conn:
        assert conn.execute(select(Resident.id)).all() == [(1,)]


def test_check_constraints_reject_misspelt_codes(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO regions (code, name, level) VALUES ('500114', 'x', 'kounty')"))


def test_receipt_numbers_come_from_the_database_and_increase(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO regions (code, name, level) VALUES ('500114', '黔江区', 'county')"))
        conn.execute(
            text(
                "INSERT INTO campaigns (region_code, benefit_year, policy_id, policy_version, created_at) "
                "VALUES ('500114', 2022, 'p', 'v', :t)"
            ),
            {"t": now()},
        )
        for i in range(3):
            conn.execute(
                text(
                    "INSERT INTO payments (campaign_id, id_number, channel, external_ref, amount_fen, paid_on, "
                    "status, recorded_by, recorded_at) VALUES (1, 'x', 'cash', :r, 100, :d, 'unmatched', 't', :t)"
                ),
                {"r": f"R{i}", "d": dt.date(2021, 12, 1), "t": now()},
            )
        conn.execute(text("INSERT INTO receipts (payment_id) SELECT id FROM payments ORDER BY id"))
    with engine.connect() as conn:
        numbers = list(conn.scalars(select(Receipt.receipt_no).order_by(Receipt.payment_id)))
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def _membership(resident_id: int, category: str = "dibao") -> dict[str, object]:
    return {
        "resident_id": resident_id,
        "category_code": category,
        "source_department": "minzheng",
        "valid_from": dt.date(2022, 1, 1),
    }


def test_memberships_of_unknown_residents_are_refused_by_the_database(engine: Engine) -> None:
    """memberships.resident_id is checked by triggers, not a foreign key (migration 0009): a single
    row, a row among many in one statement, and an update are all refused; good rows pass."""
    from urrbmi.db.models import Membership

    with engine.begin() as conn:
        conn.execute(text("INSERT INTO regions (code, name, level) VALUES ('500114', '黔江区', 'county')"))
        rid = _pk(conn.execute(insert(Resident).values(_resident("500114198001010011"))))
        conn.execute(insert(Membership).values(_membership(rid)))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Membership).values(_membership(rid + 1000)))
    with pytest.raises(IntegrityError), engine.begin() as conn:  # one bad row in a multi-row statement
        conn.execute(insert(Membership), [_membership(rid, "tekun"), _membership(rid + 1000)])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE memberships SET resident_id = resident_id + 1000"))
    with engine.connect() as conn:
        assert conn.execute(select(Membership.resident_id, Membership.category_code)).all() == [
            (rid, "dibao")
        ]


def test_deleting_a_resident_deletes_its_memberships(engine: Engine) -> None:
    from urrbmi.db.models import Membership

    with engine.begin() as conn:
        conn.execute(text("INSERT INTO regions (code, name, level) VALUES ('500114', '黔江区', 'county')"))
        a = _pk(conn.execute(insert(Resident).values(_resident("500114198001010011"))))
        b = _pk(conn.execute(insert(Resident).values(_resident("50011419800101003X"))))
        conn.execute(insert(Membership), [_membership(a), _membership(a, "tekun"), _membership(b)])
        conn.execute(text("DELETE FROM residents WHERE id = :a"), {"a": a})
    with engine.connect() as conn:
        assert conn.execute(select(Membership.resident_id)).scalars().all() == [b]
