"""A campaign under a notice with its own identities: the registry takes them, the assessment
prices them, and the roster shows the notice's Chinese names (never a code)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from dbfixtures import ACTOR, add_people, give_identity, setup_regions
from sqlalchemy import Engine

from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.reports import write_roster
from urrbmi.db.session import session_scope

LINGSHAN = Path(__file__).parents[1] / "policy" / "fixtures" / "lingshan-2025.yaml"
AS_OF = dt.date(2024, 10, 8)


def test_roster_names_a_notices_own_identities(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the fictional county's notice, placed in Qianjiang (a region the test registry has)
    text = LINGSHAN.read_text("utf-8").replace('code: "990101"', 'code: "500114"')
    (tmp_path / LINGSHAN.name).write_text(text, "utf-8")
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(tmp_path))
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 4)
    give_identity(engine, people[0], "烈士遗属", dt.date(2024, 1, 1))
    give_identity(engine, people[1], "三、四级残疾人", dt.date(2024, 1, 1))
    give_identity(engine, people[2], "低保对象", dt.date(2024, 1, 1))
    with session_scope(engine) as s:
        c = create_campaign(s, "lingshan-2025", "500114", actor=ACTOR)
        assess(s, c, AS_OF, actor=ACTOR)
        cid = c.id
    with session_scope(engine) as s:
        write_roster(s, get_campaign(s, cid), tmp_path / "r.csv", "csv", include_paid=True)
    rows = list(csv.reader((tmp_path / "r.csv").read_text("utf-8-sig").splitlines()))
    by_id = {r[2]: r for r in rows[1:]}
    assert by_id[people[0]][8] == "烈属" and Decimal(by_id[people[0]][13]) == 0
    assert by_id[people[1]][8] == "三、四级残疾人" and Decimal(by_id[people[1]][13]) == 300
    assert by_id[people[2]][8] == "最低生活保障对象和低收入人口"  # the rule's name in the notice
    assert Decimal(by_id[people[3]][13]) == 400
