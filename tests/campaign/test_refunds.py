"""Money after payment (issue 14, item 3): a refund from pending to reconciled, by the service and
by the CLI, on SQLite and PostgreSQL; refused transitions; a result file with unknown references,
wrong amounts and duplicates; the same result file imported twice."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from dbfixtures import ACTOR, add_people, add_people_at_old_revision, setup_regions
from sqlalchemy import Engine, func, select

from urrbmi import clock
from urrbmi.access.errors import Forbidden
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.payments import cancel_payment, record_payment
from urrbmi.campaign.refunds import (
    FourEyes,
    approve,
    export_refund_file,
    import_result,
    list_refunds,
    read_result_file,
    reconcile_refunds,
    reject,
)
from urrbmi.db.models import AuditLog, Refund
from urrbmi.db.session import session_scope
from urrbmi.interfaces.cli import main
from urrbmi.money import fmt
from urrbmi.policy import ResidentInput, load_policy, quote
from urrbmi.registry.errors import Conflict

AS_OF = dt.date(2021, 12, 15)
QJ = load_policy("qianjiang-2022")
CHECKER = "checker"  # another officer than ACTOR, who cancelled the payments


def world(engine: Engine) -> tuple[int, list[str], Decimal]:
    """Three residents paid and had their payment cancelled (ACTOR): three pending refunds."""
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 3)
    amount = quote(QJ, ResidentInput.parse({"id_number": people[0], "paid_on": AS_OF})).total_due
    with session_scope(engine) as s:
        c = create_campaign(s, "qianjiang-2022", "500114", actor=ACTOR)
        assess(s, c, AS_OF, actor=ACTOR)
        for i, number in enumerate(people):
            record_payment(
                s,
                c,
                id_number=number,
                amount=amount,
                channel="cash",
                external_ref=f"P-{i}",
                paid_on=AS_OF,
                actor=ACTOR,
                may_backdate=True,
            )
        for i in range(3):
            cancel_payment(s, c, channel="cash", external_ref=f"P-{i}", reason="已参加职工医保", actor=ACTOR)
        return c.id, people, amount


def result_csv(path: Path, rows: list[tuple[object, ...]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["退费编号", "结果", "金额（元）", "支付日期", "渠道流水号", "失败原因"])
        w.writerows(rows)
    return path


def statuses(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        return list(s.scalars(select(Refund.status).order_by(Refund.id)))


def test_refund_lifecycle_from_pending_to_reconciled(engine: Engine, tmp_path: Path) -> None:
    cid, people, amount = world(engine)
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        ids_ = [r.id for r in list_refunds(s, c)]
        assert len(ids_) == 3 and {r.created_by for r in list_refunds(s, c)} == {ACTOR}
        with pytest.raises(FourEyes):  # the officer who cancelled cannot approve
            approve(s, c, ids_[:1], actor=ACTOR)
        with pytest.raises(Forbidden):  # another town's officer: nothing is found
            approve(s, c, ids_[:1], actor=CHECKER, scope="500114002")
    assert statuses(engine) == ["pending"] * 3
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        assert [r.status for r in approve(s, c, ids_[:2], actor=CHECKER)] == ["approved", "approved"]
        reject(s, c, ids_[2:], actor=CHECKER, reason="已由职工医保退回")
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        with pytest.raises(Conflict):  # approved twice
            approve(s, c, ids_[:1], actor=CHECKER)
        with pytest.raises(Conflict):  # a rejected one is final
            approve(s, c, ids_[2:], actor=CHECKER)
    with session_scope(engine) as s:
        f = export_refund_file(s, get_campaign(s, cid), "bank", "csv", actor="payer")
    (tmp_path / "out.csv").write_bytes(f.content)
    assert f.count == 2 and f.total == 2 * amount and f.batch_id is not None
    lines = list(csv.reader((tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0][:5] == ["退费编号", "批次号", "身份证号码", "姓名", "金额（元）"]
    assert [(x[0], x[1], x[2], Decimal(x[4])) for x in lines[1:]] == [
        (str(ids_[0]), f.batch_id, people[0], amount),
        (str(ids_[1]), f.batch_id, people[1], amount),
    ]
    assert statuses(engine) == ["sent", "sent", "rejected"]
    with session_scope(engine) as s:  # nothing approved is left: a second file is empty
        assert export_refund_file(s, get_campaign(s, cid), "bank", "csv", actor="p").count == 0
    # sent but no result: listed after N days
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        assert reconcile_refunds(s, c, stale_days=7).stale == []
        late = clock.today() + dt.timedelta(days=9)
        assert [r.id for r in reconcile_refunds(s, c, stale_days=7, today=late).stale] == ids_[:2]
    # the channel's answer: one paid, one failed, an unknown reference, a rejected one "paid"
    res = result_csv(
        tmp_path / "res.csv",
        [
            (ids_[0], "成功", amount, "2022-01-05", "BK-1", ""),
            (ids_[1], "失败", amount, "", "BK-2", "账户已销户"),
            (99999, "成功", amount, "2022-01-05", "BK-3", ""),
            (ids_[2], "成功", amount, "2022-01-05", "BK-4", ""),
        ],
    )
    with session_scope(engine) as s:
        rep = import_result(s, get_campaign(s, cid), read_result_file(res.read_bytes()), actor="payer")
    assert (rep.paid, rep.failed, rep.unchanged, rep.paid_amount) == (1, 1, 0, amount)
    assert [(p.line, p.code) for p in rep.problems] == [(4, "unknown_ref"), (5, "not_sent")]
    assert statuses(engine) == ["paid", "failed", "rejected"]
    with session_scope(engine) as s:
        n_audit = s.scalar(select(func.count()).select_from(AuditLog))
        snapshot = s.execute(select(Refund.__table__)).all()
    with session_scope(engine) as s:  # the same file again changes nothing
        rep = import_result(s, get_campaign(s, cid), read_result_file(res.read_bytes()), actor="payer")
    assert (rep.paid, rep.failed, rep.unchanged) == (0, 0, 2)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == n_audit
        assert s.execute(select(Refund.__table__)).all() == snapshot
    # the failed one is sent again in a new batch; a wrong amount and a duplicate line are refused
    with session_scope(engine) as s:
        f2 = export_refund_file(s, get_campaign(s, cid), "bank", actor="payer")
    assert f2.count == 1 and f2.batch_id != f.batch_id
    bad = result_csv(
        tmp_path / "bad.csv",
        [
            (ids_[1], "成功", amount + Decimal("0.01"), "2022-01-09", "BK-5", ""),
        ],
    )
    dup = result_csv(
        tmp_path / "dup.csv",
        [
            (ids_[1], "成功", amount, "2022-01-09", "BK-5", ""),
            (ids_[1], "成功", amount, "2022-01-09", "BK-5", ""),
        ],
    )
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        assert [
            p.code for p in import_result(s, c, read_result_file(bad.read_bytes()), actor="payer").problems
        ] == ["amount_differs"]
        assert [
            p.code for p in import_result(s, c, read_result_file(dup.read_bytes()), actor="payer").problems
        ] == [
            "duplicate",
            "duplicate",
        ]
    assert statuses(engine) == ["paid", "sent", "rejected"]
    good = result_csv(tmp_path / "good.csv", [(ids_[1], "成功", amount, "2022-01-09", "BK-5", "")])
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        assert import_result(s, c, read_result_file(good.read_bytes()), actor="payer").paid == 1
        with pytest.raises(Conflict):  # a paid one cannot be rejected
            reject(s, c, ids_[1:2], actor=CHECKER, reason="x")
    with session_scope(engine) as s:
        rec = reconcile_refunds(s, get_campaign(s, cid))
        by = {(t.status, t.kind): (t.count, t.amount) for t in rec.totals}
        assert by == {("paid", "cancellation"): (2, 2 * amount), ("rejected", "cancellation"): (1, amount)}
        assert rec.outstanding == 0 and rec.stale == []
        r = s.get(Refund, ids_[1])
        assert r is not None and (r.paid_on, r.channel_ref, r.decided_by) == (
            dt.date(2022, 1, 9),
            "BK-5",
            CHECKER,
        )
        actions = s.execute(
            select(AuditLog.action, func.count())
            .where(AuditLog.table_name == "refunds")
            .group_by(AuditLog.action)
        ).all()
        assert dict(actions) == {"approved": 2, "rejected": 1, "send": 3, "result": 3}


def test_refund_lifecycle_by_cli(engine: Engine, tmp_path: Path) -> None:
    cid, people, amount = world(engine)
    db = engine.url.render_as_string(hide_password=False)
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        r = run(main, [*args, "--campaign", str(cid), "--db", db])
        assert r.exit_code == 0, r.output
        return r.output

    listed = ok("refund", "list")
    assert "待审批" in listed and people[0] not in listed and "共3笔" in listed
    r = run(main, ["refund", "approve", "1", "--campaign", str(cid), "--db", db, "--actor", ACTOR])
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "four_eyes" in r.output
    assert "已审批2笔" in ok("refund", "approve", "1", "2", "--actor", CHECKER)
    r = run(main, ["refund", "approve", "1", "--campaign", str(cid), "--db", db, "--actor", CHECKER])
    assert r.exit_code == 2 and "refund_state" in r.output and "Traceback" not in r.output
    assert "已驳回1笔" in ok("refund", "reject", "3", "--reason", "重复", "--actor", CHECKER)
    out = tmp_path / "file.csv"
    assert "2笔" in ok("refund", "file", "--channel", "bank", "--out", str(out), "--actor", "payer")
    assert people[0] in out.read_text(encoding="utf-8-sig")  # the bank needs the full ID number
    res = result_csv(
        tmp_path / "res.csv",
        [
            (1, "成功", amount, "2022-01-05", "BK-1", ""),
            (2, "成功", amount + 1, "2022-01-05", "BK-2", ""),
        ],
    )
    text = ok("refund", "result", str(res), "--actor", "payer")
    assert "支付成功1笔" in text and "金额与退费记录不符" in text
    assert "已导入过1笔" in ok("refund", "result", str(res), "--actor", "payer")
    rec = ok("refund", "reconcile", "--days", "0")
    assert f"已支付\t撤销缴费退款\t1\t{fmt(amount)}" in rec
    assert "已发送渠道" in rec and "已审批未支付合计" in rec
    assert statuses(engine) == ["paid", "sent", "rejected"]


def test_a_failed_refund_may_be_rejected_and_odd_result_lines_are_reported(
    engine: Engine, tmp_path: Path
) -> None:
    cid, people, amount = world(engine)
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        rid = list_refunds(s, c)[0].id
        approve(s, c, [rid], actor=CHECKER)
        f = export_refund_file(s, c, "wechat", actor="payer")
    (tmp_path / "f.xlsx").write_bytes(f.content)
    book = openpyxl.load_workbook(tmp_path / "f.xlsx")
    assert book.active is not None
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "退费编号" and rows[1][:3] == (str(rid), f.batch_id, people[0])
    res = result_csv(
        tmp_path / "r.csv",
        [
            (rid, "也许", amount, "", "", ""),
            (rid + 1000, "成功", "abc", "", "", ""),
            ("", "成功", amount, "", "", ""),
        ],
    )
    with session_scope(engine) as s:
        rep = import_result(s, get_campaign(s, cid), read_result_file(res.read_bytes()), actor="payer")
    assert [p.code for p in rep.problems] == ["invalid", "unknown_ref", "unknown_ref"] and rep.paid == 0
    res = result_csv(tmp_path / "r2.csv", [(rid, "失败", amount, "", "", "户名不符")])
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        assert import_result(s, c, read_result_file(res.read_bytes()), actor="payer").failed == 1
        assert [r.status for r in reject(s, c, [rid], actor=CHECKER, reason="居民改为现金领取")] == [
            "rejected"
        ]
    with session_scope(engine) as s:  # a rejected one is never sent again
        assert export_refund_file(s, get_campaign(s, cid), "bank", "csv", actor="p").count == 0


def test_migration_0012_keeps_old_rows(tmp_path: Path) -> None:
    """A refund marked ``done`` before 0012 is ``paid`` after it, and ``done`` again after a downgrade."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from urrbmi.db.session import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    upgrade(url, "0011")
    eng = create_engine(url)
    setup_regions(eng)
    people = add_people_at_old_revision(eng, "500114001", "500114", 1)
    with session_scope(eng) as s:
        cid = create_campaign(s, "qianjiang-2022", "500114", actor=ACTOR).id
        s.execute(
            text(
                "INSERT INTO refunds (campaign_id, resident_id, kind, amount_fen, reason, status, created_at) "
                "SELECT :c, id, 'refund', 100, 'old', 'done', '2022-01-01 00:00:00' FROM residents WHERE id_number = :n"
            ),
            {"c": cid, "n": people[0]},
        )
    upgrade(url)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT status, created_by FROM refunds")).one() == ("paid", None)
    cfg = alembic_config()
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")
    with eng.connect() as conn:
        assert conn.execute(text("SELECT status FROM refunds")).scalar_one() == "done"
    eng.dispose()
