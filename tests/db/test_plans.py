"""``dialect.custom_plans``: a statement run many times with other values in one transaction
(the reminder export reads a thousand residents at a time) is planned for its values every time,
never switched to PostgreSQL's generic plan; the setting ends with the transaction, so the API's
pooled connections keep their cached plans (the look-up's planning would cost 2.5 ms a request)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from urrbmi.db.dialect import custom_plans
from urrbmi.db.session import get_engine, session_scope

pytestmark = pytest.mark.postgres


def _run_twelve(s: Session, tag: str) -> list[tuple[int, int]]:
    """Run one statement (named by ``tag``) twelve times, past psycopg's prepare threshold and
    PostgreSQL's five custom plans; its generic and custom plans so far."""
    sql = f"SELECT CAST(:n AS int) + 1 AS {tag}"
    for n in range(12):
        assert s.execute(text(sql), {"n": n}).scalar() == n + 1
    plans = s.execute(
        text("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE :t"),
        {"t": f"% AS {tag}"},
    ).all()
    return [(int(g), int(c)) for g, c in plans]


def test_custom_plans_for_the_rest_of_the_transaction_only(pg_database: str) -> None:
    url = make_url(pg_database).update_query_dict({"application_name": "urrbmi_plans"})
    engine = get_engine(url.render_as_string(hide_password=False))
    try:
        with session_scope(engine) as s:
            assert any(g > 0 for g, _ in _run_twelve(s, "auto_mode"))  # without it: the generic plan
        with session_scope(engine) as s:
            custom_plans(s)
            plans = _run_twelve(s, "custom_mode")
            assert plans and all(g == 0 for g, _ in plans), plans
        with session_scope(engine) as s:  # the next transaction on the connection: as before
            assert s.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
    finally:
        engine.dispose()
