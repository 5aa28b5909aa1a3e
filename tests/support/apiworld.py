"""The API tests' world: a small Qianjiang (two towns), one account per role (see conftest.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dbfixtures import ACTOR, add_people, give_identity, setup_regions
from sqlalchemy import Engine

from urrbmi.access import accounts
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign
from urrbmi.db.session import session_scope
from urrbmi.registry.regions import add_region

AS_OF = dt.date(2021, 12, 15)
PASSWORD = "correct horse battery"
USERS = {
    # username: (role, region, sources)
    "admin": ("bureau_admin", "500114", ()),
    "officer": ("bureau_officer", "500114", ()),
    "town_a": ("township_officer", "500114001", ()),
    "town_b": ("township_officer", "500114002", ()),
    "agent_a": ("village_agent", "500114001001", ()),
    "agent_b": ("village_agent", "500114002001", ()),
    "uploader": ("dept_uploader", "500114", ("minzheng",)),
    "auditor": ("auditor", "500114", ()),
    "finance": ("finance", "500114", ()),
}


@dataclass
class World:
    engine: Engine
    url: str
    campaign_id: int
    people_a: list[str]  # village 500114001001 (town A)
    people_b: list[str]  # village 500114002001 (town B)
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def build_world(engine: Engine, url: str) -> World:
    setup_regions(engine)
    with session_scope(engine) as s:
        add_region(s, "500114002", "城东街道", "town", "500114", actor=ACTOR)
        add_region(s, "500114002001", "城东社区", "village", "500114002", actor=ACTOR)
    people_a = add_people(engine, "500114001001", "500114", 3)
    people_b = add_people(engine, "500114002001", "500114", 3, start_year=1970)
    give_identity(engine, people_a[0], "低保对象", dt.date(2021, 1, 1))
    with session_scope(engine) as s:
        c = create_campaign(s, "qianjiang-2022", "500114", actor=ACTOR)
        assess(s, c, AS_OF, actor=ACTOR)
        cid = c.id
    w = World(engine, url, cid, people_a, people_b)
    with session_scope(engine) as s:
        for name, (role, region, sources) in USERS.items():
            accounts.create_user(s, name, PASSWORD, role, region, sources=sources, actor=ACTOR)
    for name in USERS:
        w.tokens[name] = accounts.login(engine, name, PASSWORD, "token").token
    return w
