"""A monthly 民政 list loaded after payment: the refund list under the Changji 2023 policy
(补发资助参保金), through the campaign's identity_changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dbfixtures import ACTOR, setup_regions
from import_helpers import write_csv
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from urrbmi import ids
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.payments import record_payment
from urrbmi.db.models import Refund
from urrbmi.db.session import session_scope
from urrbmi.imports.effects import subsidy_effects, write_effects
from urrbmi.imports.load import SourceNotAllowed, load_list
from urrbmi.money import to_fen
from urrbmi.policy import ResidentInput, load_policy, quote
from urrbmi.registry.residents import NewResident, add_resident

TOWN = "652301001"  # 宁边路街道, 昌吉市
WINDOW = dt.date(2022, 11, 1)


def test_new_dibao_after_payment_is_refunded_in_changji(engine: Engine, tmp_path: Path) -> None:
    setup_regions(engine)
    people = [ids.make("652301", dt.date(1970 + i, 5, 6), 2 * i + 1) for i in range(2)]
    names = ["马强", "古丽"]
    policy = load_policy("changji-2023")
    paid = quote(policy, ResidentInput.parse({"id_number": people[0], "categories": [], "paid_on": WINDOW}))
    with session_scope(engine) as s:
        for n, name in zip(people, names, strict=True):
            add_resident(s, NewResident(n, name, TOWN), actor=ACTOR)
        c = create_campaign(s, "changji-2023", "652301", actor=ACTOR)
        assess(s, c, WINDOW, actor=ACTOR)
        cid = c.id
        for i, n in enumerate(people):
            record_payment(
                s,
                c,
                id_number=n,
                amount=paid.total_due,
                channel="cash",
                external_ref=f"P{i}",
                paid_on=WINDOW,
                actor=ACTOR,
                may_backdate=True,
            )
    header = ["姓名", "身份证号码", "人员类别", "所属乡镇"]
    path = write_csv(
        tmp_path / "民政12月.csv", [header, [names[0], people[0], "低保对象", "宁边路街道"]], "gb18030"
    )
    with session_scope(engine) as s:
        r = load_list(s, path, "minzheng", dt.date(2022, 12, 1), actor=ACTOR)
        assert r.gained == {"dibao": 1}
    with session_scope(engine) as s:
        with pytest.raises(SourceNotAllowed):
            subsidy_effects(s, cid, dt.date(2022, 12, 15), actor=ACTOR, scope="652301001")
        items = subsidy_effects(s, cid, dt.date(2022, 12, 15), actor=ACTOR, scope="652301")
        assert get_campaign(s, cid).policy_id == "changji-2023"
    new_due = quote(
        policy, ResidentInput.parse({"id_number": people[0], "categories": ["低保对象"], "paid_on": WINDOW})
    ).total_due
    assert [(i.action, i.amount, i.new_categories) for i in items] == [
        ("refund", paid.total_due - new_due, ("dibao",))
    ]
    assert paid.total_due - new_due > 0
    with session_scope(engine) as s:
        assert [x.amount_fen for x in s.scalars(select(Refund))] == [to_fen(paid.total_due - new_due)]
    out = write_effects(items, tmp_path / "退补.xlsx")
    ws = load_workbook(out)["退补名单"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == ids.mask(people[0]) and rows[1][4] == "低保对象" and rows[1][6] == "退费（补发资助）"
