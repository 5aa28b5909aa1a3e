"""Assessment on the batch engine: subsidised enrollment, re-assessment after identity changes,
tiers per resident, held payments accepted after review. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from dbfixtures import ACTOR, add_people, give_identity, setup_regions
from sqlalchemy import Engine, select

from urrbmi.campaign.assess import assess, reassess_changed
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.changes import statement
from urrbmi.campaign.payments import accept_payment, apply_payments, read_lines, record_payment
from urrbmi.campaign.reports import roster_rows
from urrbmi.campaign.tiers import choose_tier, configure
from urrbmi.db.models import (
    Assessment,
    AuditLog,
    BenefitPeriod,
    Enrollment,
    Explanation,
    Payment,
    Receipt,
    Refund,
    Resident,
)
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidInput
from urrbmi.money import from_fen, to_fen
from urrbmi.policy import ResidentInput, load_policy, quote
from urrbmi.registry.errors import Conflict, NotFound
from urrbmi.registry.residents import end_membership

SUIXI_DAY = dt.date(2021, 11, 15)  # Suixi's centralized window
FENGDU_DAY = dt.date(2022, 11, 15)
QIANJIANG_DAY = dt.date(2021, 12, 15)


def _campaign(engine: Engine, policy: str, region: str) -> int:
    with session_scope(engine) as s:
        return create_campaign(s, policy, region, actor=ACTOR).id


def _rows(engine: Engine, cid: int) -> dict[str, Assessment]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Resident.id_number, Assessment)
            .join(Assessment, Assessment.resident_id == Resident.id)
            .where(Assessment.campaign_id == cid)
        ).all()
        return {n: a for n, a in rows}


def _enrollments(
    engine: Engine, cid: int, number: str
) -> list[tuple[str, str, tuple[dt.date, dt.date] | None]]:
    with session_scope(engine) as s:
        out = []
        for e in s.scalars(
            select(Enrollment)
            .join(Resident, Resident.id == Enrollment.resident_id)
            .where(Enrollment.campaign_id == cid, Resident.id_number == number)
            .order_by(Enrollment.id)
        ):
            bp = s.scalars(select(BenefitPeriod).where(BenefitPeriod.enrollment_id == e.id)).first()
            out.append((e.source, e.status, None if bp is None else (bp.start_on, bp.end_on)))
        return out


def _roster_numbers(engine: Engine, cid: int) -> set[str]:
    with session_scope(engine) as s:
        return {row[2] for row in roster_rows(s, get_campaign(s, cid))}


def test_fully_subsidised_residents_are_enrolled_and_unenrolled_when_they_owe(engine: Engine) -> None:
    """Suixi 六（三）: the bureau maintains the enrollment of fully subsidised residents (全额资助对象)."""
    setup_regions(engine)
    people = add_people(engine, "340621100", "340621", 4)
    give_identity(engine, people[0], "特困人员", dt.date(2021, 1, 1))
    give_identity(engine, people[1], "低保对象", dt.date(2021, 1, 1))
    cid = _campaign(engine, "suixi-2022", "340621")
    with session_scope(engine) as s:
        first = assess(s, get_campaign(s, cid), SUIXI_DAY, actor=ACTOR)
    assert (first.assessed, first.due, first.enrolled_subsidised) == (4, 4, 1)
    got = _rows(engine, cid)
    assert got[people[0]].total_due_fen == 0 and got[people[0]].subsidy_fen == got[people[0]].standard_fen
    assert (got[people[0]].subsidy_category, got[people[0]].subsidy_category_code) == ("特困人员", "tekun")
    assert got[people[1]].subsidy_category_code == "dibao" and got[people[1]].total_due_fen == 4000
    assert got[people[2]].subsidy_category_code is None
    span = (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert _enrollments(engine, cid, people[0]) == [("subsidy", "enrolled", span)]
    assert _enrollments(engine, cid, people[1]) == []
    assert people[0] not in _roster_numbers(engine, cid) and people[1] in _roster_numbers(engine, cid)
    with session_scope(engine) as s:  # idempotent: nothing new, nothing cancelled
        again = assess(s, get_campaign(s, cid), SUIXI_DAY, actor=ACTOR)
        assert statement(s, people[0], SUIXI_DAY)["campaigns"][0]["enrolled_by"] == "subsidy"
    assert (again.enrolled_subsidised, again.unenrolled_subsidised) == (0, 0)
    assert _enrollments(engine, cid, people[0]) == [("subsidy", "enrolled", span)]
    # the identity is withdrawn before the identity day: they now owe the full amount
    with session_scope(engine) as s:
        end_membership(s, people[0], "特困人员", dt.date(2021, 10, 31), actor=ACTOR)
    with session_scope(engine) as s:
        changed = reassess_changed(s, get_campaign(s, cid), SUIXI_DAY, actor=ACTOR)
    assert (changed.assessed, changed.unenrolled_subsidised, changed.enrolled_subsidised) == (1, 1, 0)
    assert _rows(engine, cid)[people[0]].total_due_fen == 32000
    assert _enrollments(engine, cid, people[0]) == [("subsidy", "cancelled", None)]
    assert people[0] in _roster_numbers(engine, cid)
    with session_scope(engine) as s:
        assert s.scalars(select(AuditLog).where(AuditLog.action == "subsidy_sync")).all()


def test_subsidised_enrollment_can_be_switched_off(engine: Engine) -> None:
    setup_regions(engine)
    people = add_people(engine, "340621100", "340621", 1)
    give_identity(engine, people[0], "特困人员", dt.date(2021, 1, 1))
    cid = _campaign(engine, "suixi-2022", "340621")
    with session_scope(engine) as s:
        configure(s, get_campaign(s, cid), enroll_subsidised=False, actor=ACTOR)
        summary = assess(s, get_campaign(s, cid), SUIXI_DAY, actor=ACTOR)
    assert summary.enrolled_subsidised == 0 and _enrollments(engine, cid, people[0]) == []


def test_reassess_only_changed_identities_and_explanations_match(engine: Engine) -> None:
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 5)
    give_identity(engine, people[0], "低保对象", dt.date(2021, 1, 1))
    cid = _campaign(engine, "qianjiang-2022", "500114")
    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), QIANJIANG_DAY, actor=ACTOR)
    give_identity(engine, people[3], "特困人员", dt.date(2021, 6, 1))
    with session_scope(engine) as s:
        summary = reassess_changed(s, get_campaign(s, cid), QIANJIANG_DAY, actor=ACTOR)
        nothing = reassess_changed(s, get_campaign(s, cid), QIANJIANG_DAY, actor=ACTOR)
    assert summary.assessed == 1 and nothing.assessed == 0
    got = _rows(engine, cid)
    assert got[people[3]].categories == "tekun" and got[people[3]].total_due_fen == 0
    policy = load_policy("qianjiang-2022")
    with session_scope(engine) as s:
        for number, a in got.items():
            cats = [x for x in a.categories.split(",") if x]
            q = quote(
                policy, ResidentInput.parse({"id_number": number, "categories": cats, "paid_on": a.as_of})
            )
            assert (a.total_due_fen, a.subsidy_fen, a.benefit_start) == (
                to_fen(q.total_due),
                to_fen(q.subsidy),
                q.benefit_start,
            )
            # the stored explanation (scalar engine, same inputs, pinned version) shows the same figures
            expl = s.get(Explanation, a.explanation_hash)
            assert expl is not None
            values = {step["step"]: step["value"] for step in expl.steps}
            assert Decimal(values["total_due"]) == from_fen(a.total_due_fen or 0)
            assert Decimal(values["standard"]) == from_fen(a.standard_fen or 0)
            assert a.policy_version == policy.version


def test_tier_per_resident_drives_assessment_and_payment(engine: Engine) -> None:
    setup_regions(engine)
    people = add_people(engine, "500230108", "500230", 3)
    cid = _campaign(engine, "fengdu-shetan-2023", "500230")
    policy = load_policy("fengdu-shetan-2023")

    def due(number: str, tier: int) -> int:
        q = quote(policy, ResidentInput.parse({"id_number": number, "tier": tier, "paid_on": FENGDU_DAY}))
        return to_fen(q.total_due)

    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), FENGDU_DAY, actor=ACTOR)
        one = choose_tier(s, get_campaign(s, cid), people[1], 2, actor=ACTOR)
        with pytest.raises(InvalidInput):
            choose_tier(s, get_campaign(s, cid), people[1], 3, actor=ACTOR)
        with pytest.raises(NotFound):  # outside the actor's scope
            choose_tier(s, get_campaign(s, cid), people[1], 2, actor=ACTOR, scope="500114")
    assert one.assessed == 1
    got = _rows(engine, cid)
    assert (got[people[0]].tier, got[people[1]].tier) == (1, 2)
    assert got[people[1]].total_due_fen == due(people[1], 2) != due(people[1], 1)
    with session_scope(engine) as s:
        configure(s, get_campaign(s, cid), default_tier=2, actor=ACTOR)
        assess(s, get_campaign(s, cid), FENGDU_DAY, actor=ACTOR)
    got = _rows(engine, cid)
    assert [got[p].tier for p in people] == [2, 2, 2]
    with session_scope(engine) as s:
        configure(s, get_campaign(s, cid), default_tier=1, actor=ACTOR)
        assess(s, get_campaign(s, cid), FENGDU_DAY, actor=ACTOR)  # the choice outlives the default
        paid = record_payment(
            s,
            get_campaign(s, cid),
            id_number=people[1],
            amount=from_fen(due(people[1], 2)),
            channel="cash",
            external_ref="T2",
            paid_on=FENGDU_DAY,
            actor=ACTOR,
            may_backdate=True,
        )
        assert paid.payment.status == "accepted"
        with pytest.raises(Conflict):
            choose_tier(s, get_campaign(s, cid), people[1], 1, actor=ACTOR)
    assert [_rows(engine, cid)[p].tier for p in people] == [1, 2, 1]


def test_held_payment_accepted_after_review(engine: Engine) -> None:
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 2)
    cid = _campaign(engine, "qianjiang-2022", "500114")
    policy = load_policy("qianjiang-2022")
    dibao = quote(
        policy,
        ResidentInput.parse({"id_number": people[0], "categories": ["低保对象"], "paid_on": QIANJIANG_DAY}),
    )
    full = quote(policy, ResidentInput.parse({"id_number": people[1], "paid_on": QIANJIANG_DAY}))
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        assess(s, c, QIANJIANG_DAY, actor=ACTOR)
        # people[0] pays the 低保 amount at the bank before the civil affairs list arrives; people[1]
        # pays 1 yuan too much (a channel's file: its wrong amounts wait in the held queue)
        day = QIANJIANG_DAY.isoformat()
        apply_payments(s, c, "bank", read_lines([
            {"external_ref": "H1", "id_number": people[0], "amount": str(dibao.total_due), "paid_on": day},
            {"external_ref": "H2", "id_number": people[1], "amount": str(full.total_due + 1), "paid_on": day},
        ]), actor=ACTOR)  # fmt: skip
        a, b = s.scalars(select(Payment).order_by(Payment.external_ref)).all()
        assert (a.status, a.hold_reason, b.status) == ("held", "amount_mismatch", "held")
        aid, bid = a.id, b.id
    give_identity(engine, people[0], "低保对象", dt.date(2021, 1, 1))
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        reassess_changed(s, c, QIANJIANG_DAY, actor=ACTOR)
        with pytest.raises(InvalidInput):
            accept_payment(s, c, payment_id=aid, reason=" ", actor=ACTOR)
        with pytest.raises(NotFound):
            accept_payment(s, c, payment_id=aid, reason="ok", actor=ACTOR, scope="500230")
        out = accept_payment(s, c, payment_id=aid, reason="低保名单已到，金额相符", actor=ACTOR)
        assert out.payment.status == "accepted" and out.receipt_no is not None
        assert out.payment.due_fen == to_fen(dibao.total_due)
        with pytest.raises(Conflict):
            accept_payment(s, c, payment_id=aid, reason="again", actor=ACTOR)
        over = accept_payment(s, c, payment_id=bid, reason="多缴1元，先参保后退", actor=ACTOR)
        assert over.payment.status == "accepted"
        refunds = s.execute(select(Refund.payment_id, Refund.kind, Refund.amount_fen)).all()
        assert refunds == [(bid, "refund", 100)]
        assert s.scalar(select(Receipt.receipt_no).where(Receipt.payment_id == bid)) is not None
        assert (
            s.scalars(select(AuditLog.action).where(AuditLog.table_name == "payments")).all().count("accept")
            == 2
        )
        statuses = dict(s.execute(select(Payment.id, Payment.status)).all())
    assert statuses == {aid: "accepted", bid: "accepted"}
    assert _enrollments(engine, cid, people[0]) == [
        ("payment", "enrolled", (dt.date(2022, 1, 1), dt.date(2022, 12, 31)))
    ]
    assert people[0] not in _roster_numbers(engine, cid)


def test_identity_reference_date_fixes_the_identity_day(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notice that fixes identities on a given day (multiple_identities.as_of: reference_date):
    a fixture copy of Qianjiang's file with a reference date of 2021-09-30."""
    src = Path(load_policy("qianjiang-2022").path).read_text("utf-8")
    assert "multiple_identities: {rule: highest, as_of: payment, cite: 二（四）}" in src
    text_ = src.replace("id: qianjiang-2022", "id: refday-2022").replace(
        "multiple_identities: {rule: highest, as_of: payment, cite: 二（四）}",
        "multiple_identities: {rule: highest, as_of: reference_date, reference_date: 2021-09-30, cite: 二（四）}",
    )
    (tmp_path / "refday-2022.yaml").write_text(text_, "utf-8")
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(tmp_path))
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 2)
    give_identity(engine, people[0], "低保对象", dt.date(2021, 1, 1), dt.date(2021, 10, 31))  # held on 09-30
    give_identity(engine, people[1], "低保对象", dt.date(2021, 11, 1))  # only after the reference date
    cid = _campaign(engine, "refday-2022", "500114")
    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), QIANJIANG_DAY, actor=ACTOR)
    got = _rows(engine, cid)
    assert (got[people[0]].categories, got[people[1]].categories) == ("dibao", "")
    first, second = got[people[0]].total_due_fen, got[people[1]].total_due_fen
    assert first is not None and second is not None
    assert first < second


def test_a_resident_who_moved_away_loses_the_unpaid_assessment(engine: Engine) -> None:
    from urrbmi.registry.residents import update_resident

    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 2)
    cid = _campaign(engine, "qianjiang-2022", "500114")
    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), QIANJIANG_DAY, actor=ACTOR)
        update_resident(s, people[1], {"region_code": "500230108"}, actor=ACTOR)
    with session_scope(engine) as s:
        summary = assess(s, get_campaign(s, cid), QIANJIANG_DAY, actor=ACTOR)
    assert summary.assessed == 1 and set(_rows(engine, cid)) == {people[0]}


def test_every_resident_takes_the_scalar_quote_of_their_profile(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One engine (issue 17 item 5): the assessment is the scalar engine's answer for each
    profile, joined to the residents; a changed quote shows in every row of its profile."""
    import dataclasses

    from urrbmi.campaign import campaigns

    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 3)
    cid = _campaign(engine, "qianjiang-2022", "500114")
    real = campaigns.Pricer._price

    def off_by_one_fen(self: campaigns.Pricer, p: campaigns.Profile) -> campaigns.Priced:
        got = real(self, p)
        return dataclasses.replace(got, total_due_fen=(got.total_due_fen or 0) + 1)

    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), QIANJIANG_DAY, actor=ACTOR)
    before = _rows(engine, cid)
    monkeypatch.setattr(campaigns.Pricer, "_price", off_by_one_fen)
    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), QIANJIANG_DAY, actor=ACTOR)
    after = _rows(engine, cid)
    assert set(after) == set(people)
    for rid in people:
        assert after[rid].total_due_fen == (before[rid].total_due_fen or 0) + 1
