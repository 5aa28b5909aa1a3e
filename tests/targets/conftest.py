from dbfixtures import db_url, engine, pg_database, pg_engine  # noqa: F401
