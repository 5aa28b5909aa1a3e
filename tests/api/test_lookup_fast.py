"""The look-up's two-query statement (campaign/lookup.py) gives exactly what the ORM assembly
(campaign/changes.statement) gives, for residents enrolled, held, refunded, without identities,
and in two campaigns, on SQLite and PostgreSQL; through the API the JSON is the same too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from apiworld import AS_OF, World
from dbfixtures import ACTOR, give_identity
from fastapi.testclient import TestClient
from sqlalchemy import select

from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.changes import record_external_enrollment, statement
from urrbmi.campaign.lookup import fast_statement
from urrbmi.campaign.payments import PaymentLine, apply_payments, cancel_payment, record_payment
from urrbmi.db.models import Assessment, Resident
from urrbmi.db.session import session_scope
from urrbmi.interfaces.api.residents import StatementOut
from urrbmi.money import from_fen, to_fen
from urrbmi.registry.residents import update_resident

LOOKUP = "/api/v1/residents/lookup"


def _due(world: World, number: str, cid: int) -> Decimal:
    with session_scope(world.engine) as s:
        fen = s.scalar(
            select(Assessment.total_due_fen)
            .join(Resident, Resident.id == Assessment.resident_id)
            .where(Resident.id_number == number, Assessment.campaign_id == cid)
        )
    assert fen is not None
    return from_fen(fen)


def _pay(world: World, number: str, amount: Decimal, ref: str, cid: int | None = None) -> str:
    with session_scope(world.engine, write=True) as s:
        r = record_payment(
            s,
            get_campaign(s, cid or world.campaign_id),
            id_number=number,
            amount=amount,
            channel="cash",
            external_ref=ref,
            paid_on=AS_OF,
            actor=ACTOR,
            may_backdate=True,
        )
        return str(r.payment.status)


def _file_line(world: World, number: str, amount: Decimal, ref: str, cid: int | None = None) -> None:
    """A line of a channel's file: a wrong amount or a second payment is held, not refused."""
    with session_scope(world.engine, write=True) as s:
        line = PaymentLine(1, ref, number, to_fen(amount), AS_OF)
        apply_payments(s, get_campaign(s, cid or world.campaign_id), "bank", [line], actor=ACTOR)


def _varied(world: World) -> list[str]:
    """Residents in every state the statement shows; returns their ID numbers."""
    a0, a1, a2 = world.people_a
    b0, b1, _ = world.people_b
    # a0: 低保 (from the world), paid the exact amount (enrolled, receipt, benefit period), then
    # paid again (held: already paid) and that second payment refunded
    assert _pay(world, a0, _due(world, a0, world.campaign_id), "A0-1") == "accepted"
    _file_line(world, a0, _due(world, a0, world.campaign_id), "A0-2")
    with session_scope(world.engine, write=True) as s:
        cancel_payment(
            s,
            get_campaign(s, world.campaign_id),
            channel="bank",
            external_ref="A0-2",
            reason="重复缴费",
            actor=ACTOR,
        )
    # a1: a wrong amount (held), identities ended and current, several of them
    _file_line(world, a1, Decimal("1.00"), "A1-1")
    give_identity(world.engine, a1, "特困人员", dt.date(2020, 1, 1), dt.date(2021, 6, 30))
    give_identity(world.engine, a1, "低保对象", dt.date(2021, 7, 1))
    give_identity(world.engine, a1, "重度残疾人", dt.date(2022, 3, 1))
    # a2: enrolled elsewhere (no campaign line of its own), paid nothing
    with session_scope(world.engine, write=True) as s:
        record_external_enrollment(
            s, a2, 2022, "500230", insurance_type="310", enrolled_on=AS_OF, actor=ACTOR
        )
    # b0: paid in Qianjiang, then moved to Shetan and assessed in its 2023 campaign as well
    assert _pay(world, b0, _due(world, b0, world.campaign_id), "B0-1") == "accepted"
    with session_scope(world.engine, write=True) as s:
        update_resident(s, b0, {"region_code": "500230108"}, actor=ACTOR, reason="迁出")
        c2 = create_campaign(s, "fengdu-shetan-2023", "500230", actor=ACTOR)
        assess(s, c2, dt.date(2022, 11, 15), actor=ACTOR)
        c2id = c2.id
    _file_line(world, b0, Decimal("2.00"), "B0-2", c2id)
    # b1: nothing but the assessment
    return [a0, a1, a2, b0, b1]


def _old(world: World, number: str, on: dt.date) -> dict[str, Any]:
    with session_scope(world.engine) as s:
        out = statement(s, number, on)
        r = s.scalars(select(Resident).where(Resident.id_number == number)).one()
        return {**out, "resident_id": r.id, "row_version": r.row_version}


def test_fast_statement_equals_the_orm_assembly(world: World) -> None:
    numbers = _varied(world)
    seen_campaigns: set[int] = set()
    statuses: set[str] = set()
    enrolled: set[bool] = set()
    for number in numbers:
        for on in (dt.date(2021, 3, 1), AS_OF, dt.date(2023, 1, 1)):
            old = _old(world, number, on)
            with session_scope(world.engine) as s:
                new = fast_statement(s, [Resident.id_number == number], on)
            assert new == old, number
            seen_campaigns.add(len(old["campaigns"]))
            for line in old["campaigns"]:
                statuses.update(p["status"] for p in line["payments"])
                enrolled.add(line["enrolled"])
    # the world really has these cases
    assert seen_campaigns == {1, 2} and enrolled == {True, False}
    assert statuses >= {"accepted", "held", "refunded"}
    with session_scope(world.engine) as s:
        assert fast_statement(s, [Resident.id_number == "nobody"], AS_OF) is None


def test_lookup_json_is_the_old_statement_through_the_response_model(
    world: World, client: TestClient
) -> None:
    for number in _varied(world):
        old = _old(world, number, AS_OF)
        want = StatementOut.model_validate({**old, "id_number": number}).model_dump(mode="json")
        r = client.post(
            LOOKUP, json={"id_number": number, "on": AS_OF.isoformat()}, headers=world.auth("admin")
        )
        if old["region_code"].startswith("500114"):
            assert r.status_code == 200, r.text
            assert r.json() == want
            got = client.get(
                f"/api/v1/residents/{old['resident_id']}",
                params={"on": AS_OF.isoformat()},
                headers=world.auth("admin"),
            )
            assert got.json() == want
        else:  # moved out of the county: the same 403 as an unknown number
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
