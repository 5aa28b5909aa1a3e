"""The PostgreSQL pool: sized from the environment, no pre-ping by default, and a connection lost
mid-request is one bilingual 503 after which the next transaction reconnects."""

from __future__ import annotations

import pytest
from sqlalchemy import QueuePool, create_engine, text
from sqlalchemy.engine import make_url

from urrbmi.db.session import DatabaseError, get_engine, pool_options, session_scope


def _fresh(url: str, tag: str) -> str:
    """The same database under a URL of its own (get_engine caches one engine per URL)."""
    return make_url(url).update_query_dict({"application_name": tag}).render_as_string(hide_password=False)


@pytest.mark.postgres
def test_pool_is_sized_from_the_environment(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URRBMI_DB_POOL_SIZE", "3")
    monkeypatch.setenv("URRBMI_DB_MAX_OVERFLOW", "2")
    monkeypatch.setenv("URRBMI_DB_POOL_RECYCLE", "600")
    engine = get_engine(_fresh(pg_database, "urrbmi_pool_sized"))
    try:
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == 3 and pool._max_overflow == 2 and pool._recycle == 600
        assert pool._pre_ping is False
    finally:
        engine.dispose()


def test_defaults_and_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "URRBMI_DB_POOL_SIZE",
        "URRBMI_DB_MAX_OVERFLOW",
        "URRBMI_DB_POOL_RECYCLE",
        "URRBMI_DB_PRE_PING",
    ):
        monkeypatch.delenv(name, raising=False)
    assert pool_options() == {
        "pool_size": 10,
        "max_overflow": 10,
        "pool_recycle": 1800,
        "pool_pre_ping": False,
    }
    monkeypatch.setenv("URRBMI_DB_PRE_PING", "1")
    assert pool_options()["pool_pre_ping"] is True
    for bad in ("0", "ten", "-1"):
        monkeypatch.setenv("URRBMI_DB_POOL_SIZE", bad)
        with pytest.raises(DatabaseError) as err:
            pool_options()
        assert err.value.code == "database_settings" and "URRBMI_DB_POOL_SIZE" in err.value.zh


@pytest.mark.postgres
def test_a_connection_lost_mid_request_is_a_503_and_the_next_one_reconnects(
    pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("URRBMI_DB_PRE_PING", raising=False)
    engine = get_engine(_fresh(pg_database, "urrbmi_pool_lost"))
    admin = create_engine(make_url(pg_database), isolation_level="AUTOCOMMIT")
    try:
        with session_scope(engine) as s:  # a pooled connection, returned to the pool
            s.execute(text("SELECT 1"))
        with admin.connect() as conn:  # the server drops it (a restart, a firewall)
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'urrbmi_pool_lost'"
                )
            ).scalar()
        assert killed == 1
        with pytest.raises(DatabaseError) as err, session_scope(engine) as s:
            s.execute(text("SELECT 1"))
        assert err.value.code == "database_unavailable" and err.value.http_status == 503
        assert "请重试" in err.value.zh
        with session_scope(engine) as s:
            assert s.execute(text("SELECT 2")).scalar() == 2
    finally:
        engine.dispose()
        admin.dispose()
