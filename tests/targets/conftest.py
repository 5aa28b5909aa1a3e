from dbfixtures import db_url, engine, pg_database  # noqa: F401
