import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "db"))
sys.path.insert(0, str(Path(__file__).parent))

from dbfixtures import db_url, engine, pg_database  # noqa: F401
