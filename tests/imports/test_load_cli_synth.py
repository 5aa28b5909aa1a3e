"""`urrbmi list load` and `urrbmi review …` on a synthetic county's department lists: the row
outcomes match the faults the generator recorded (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from urrbmi.db.models import Membership
from urrbmi.db.session import get_engine, session_scope
from urrbmi.interfaces.cli import main
from urrbmi.synth import County
from urrbmi.synth.build import generate
from urrbmi.synth.deptlists import FAULTS
from urrbmi.synth.load import load_county

SCALE, SEED, RATE = 0.002, 5, 0.01


@pytest.fixture(scope="module")
def county_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("county")
    generate(out, scale=SCALE, seed=SEED, workers=1, fault_rate=RATE)
    return out


def run(db: str, *args: str) -> str:
    res = CliRunner().invoke(main, [*args, "--db", db])
    assert res.exit_code == 0, res.output
    return res.output


def test_load_minzheng_list_of_a_synthetic_county(db_url: str, county_dir: Path) -> None:
    county = County.suixi(SCALE, SEED)
    with session_scope(get_engine(db_url)) as s:
        load_county(s, county, actor="tester", province=("340000", "安徽省"))
    path = next(p for p in county_dir.iterdir() if p.name.startswith("民政_") and "错误报告" not in p.name)
    with (county_dir / "faults.csv").open(encoding="utf-8") as f:
        kinds = Counter(FAULTS[r["kind"]] for r in csv.DictReader(f) if r["file"] == path.name)
    as_of = county.as_of.isoformat()
    out = json.loads(
        run(db_url, "list", "load", str(path), "--source", "minzheng", "--as-of", as_of, "--json")
    )
    rows = out["rows"]
    assert rows.get("invalid", 0) == kinds["invalid"]
    assert rows.get("duplicate", 0) == kinds["duplicate"]
    assert rows.get("conflict", 0) == 2 * kinds["conflict"]
    # every other row gives an identity from the list's date (load_county's are from "synth")
    assert rows["loaded"] == sum(out["gained"].values()) > 0 and out["lost"] == {}
    assert sum(rows.values()) == out["data_rows"]
    assert Path(str(path) + ".错误报告.xlsx").exists()
    with session_scope(get_engine(db_url)) as s:
        loaded = s.scalar(
            select(func.count()).select_from(Membership).where(Membership.source_department == "minzheng")
        )
        assert loaded == rows["loaded"]
    # the same file again: nothing changes
    again = run(db_url, "list", "load", str(path), "--source", "minzheng", "--as-of", as_of)
    assert "nothing changed" in again
    # the within-file conflicts are in the review queue, masked
    listing = run(db_url, "review", "list")
    assert f"共 total: {kinds['conflict']}" in listing and "*" in listing
    first = listing.split("\t", 1)[0]
    shown = json.loads(run(db_url, "review", "show", first))
    assert len(shown["versions"]) == 2 and shown["registry"] is not None
    row = str(shown["versions"][0]["row"])
    assert "take_file" in run(
        db_url, "review", "decide", first, "take_file", "--row", row, "--actor", "officer"
    )
    assert f"共 total: {kinds['conflict'] - 1}" in run(db_url, "review", "list")
