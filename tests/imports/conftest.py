import sys
from pathlib import Path

# Make tests/imports/import_helpers.py importable (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "db"))

from dbfixtures import db_url, engine, pg_database, pg_engine  # noqa: F401
