"""Loading department lists into the database: batches, row outcomes, idempotence, atomicity,
monthly gains and losses, the review queue, scope and allowed sources (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dbfixtures import ACTOR, setup_regions
from import_helpers import write_csv
from sqlalchemy import Engine, func, select

from urrbmi import ids
from urrbmi.db.models import AuditLog, Membership, Resident, ResidentHistory
from urrbmi.db.models_imports import ImportBatch, ImportFile, ImportRow, ImportStaging, ReviewItem
from urrbmi.db.session import session_scope
from urrbmi.imports import load as load_mod
from urrbmi.imports.load import ListOutOfOrder, SourceNotAllowed, load_list
from urrbmi.imports.review import decide_review, list_reviews, show_review
from urrbmi.registry.residents import NewResident, add_resident, find_resident

HEADER = ["序号", "姓名", "性别", "身份证号码", "人员类别", "所属乡镇", "认定时间"]
TOWN = "340621100"  # 濉溪镇 (dbfixtures.setup_regions)
M1 = dt.date(2021, 9, 30)
M2 = dt.date(2021, 10, 31)


def _sex(number: str) -> str:
    return "男" if int(number[16]) % 2 else "女"


def minzheng(path: Path, people: list[tuple[str, str, str]], encoding: str = "gb18030") -> Path:
    rows = [HEADER] + [
        [str(i + 1), name, _sex(n), n, cat, "濉溪镇", "2021-01-01"] for i, (n, name, cat) in enumerate(people)
    ]
    return write_csv(path, rows, encoding)


NAMES = ["张伟", "李芳", "王敏", "赵静", "刘强", "陈磊"]


@pytest.fixture
def world(engine: Engine) -> list[str]:
    """Six residents of 濉溪镇 named NAMES."""
    setup_regions(engine)
    out = []
    with session_scope(engine) as s:
        for i, name in enumerate(NAMES):
            number = ids.make("340621", dt.date(1960 + i, 1 + i, 1 + i), 2 * i + 1)
            add_resident(s, NewResident(number, name, TOWN), actor=ACTOR)
            out.append(number)
    return out


def _open(engine: Engine, category: str, on: dt.date) -> set[int]:
    with session_scope(engine) as s:
        return set(
            s.scalars(
                select(Membership.resident_id).where(
                    Membership.category_code == category,
                    Membership.valid_from <= on,
                    (Membership.valid_to.is_(None)) | (Membership.valid_to >= on),
                )
            )
        )


def _rid(engine: Engine, number: str) -> int:
    with session_scope(engine) as s:
        r = find_resident(s, number)
        assert r is not None
        return r.id


def test_load_idempotent_and_provenance(engine: Engine, world: list[str], tmp_path: Path) -> None:
    people = [(n, NAMES[i], "低保对象") for i, n in enumerate(world[:4])]
    people.append(("340621197001010000", "坏号", "低保对象"))  # bad check digit
    people.append((world[0], "张伟", "低保对象"))  # exact repeat of row 1 except 序号
    f = minzheng(tmp_path / "民政9月.csv", people)
    with session_scope(engine) as s:
        r = load_list(s, f, "minzheng", M1, actor=ACTOR)
    assert not r.already_loaded
    assert r.rows == {"loaded": 4, "invalid": 1, "duplicate": 1}
    assert r.gained == {"dibao": 4}
    assert _open(engine, "dibao", M1) == {_rid(engine, n) for n in world[:4]}
    with session_scope(engine) as s:
        batch = s.get(ImportBatch, r.batch_id)
        assert batch is not None and batch.sha256 == r.sha256 and batch.encoding == "gb18030"
        stored = s.get(ImportFile, r.sha256)
        assert stored is not None and stored.content == f.read_bytes()
        # every membership links to its batch and, through import_rows, its row number
        ms = s.execute(select(Membership.resident_id, Membership.batch_id)).all()
        assert {b for _, b in ms} == {str(r.batch_id)}
        rows = {
            rid: row
            for rid, row in s.execute(
                select(ImportRow.resident_id, ImportRow.row_no).where(
                    ImportRow.batch_id == r.batch_id, ImportRow.status == "loaded"
                )
            )
        }
        assert rows == {_rid(engine, n): i + 2 for i, n in enumerate(world[:4])}
        bad = s.execute(select(ImportRow).where(ImportRow.status == "invalid")).scalar_one()
        assert bad.row_no == 6 and bad.reason == "id_check_digit"
        assert s.scalar(select(func.count()).select_from(ImportStaging)) == 0
    # the same file again: nothing changes, and it says so
    with session_scope(engine) as s:
        again = load_list(s, f, "minzheng", M1, actor=ACTOR)
        assert again.already_loaded and again.batch_id == r.batch_id
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 1
        assert s.scalar(select(func.count()).select_from(Membership)) == 4
    # the same bytes given as bytes (an upload) are the same file
    with session_scope(engine) as s:
        assert load_list(s, f.read_bytes(), "minzheng", M1, actor=ACTOR, file_name="x.csv").already_loaded


def test_failure_mid_file_leaves_nothing(
    engine: Engine, world: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = minzheng(tmp_path / "l.csv", [(n, NAMES[i], "低保对象") for i, n in enumerate(world)])

    def boom(self: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(load_mod._Loader, "finish", boom)  # after staging and memberships
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        load_list(s, f, "minzheng", M1, actor=ACTOR)
    with session_scope(engine) as s:
        for model in (ImportBatch, ImportFile, ImportRow, ImportStaging, Membership, ReviewItem):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model
    monkeypatch.undo()
    with session_scope(engine) as s:  # and the file loads afterwards
        assert load_list(s, f, "minzheng", M1, actor=ACTOR).rows == {"loaded": 6}


def test_monthly_dynamics_and_registry_conflict(engine: Engine, world: list[str], tmp_path: Path) -> None:
    a, b, c, d, e, _ = world
    f1 = minzheng(
        tmp_path / "9.csv", [(a, "张伟", "低保对象"), (b, "李芳", "低保对象"), (c, "王敏", "特困人员")]
    )
    with session_scope(engine) as s:
        load_list(s, f1, "minzheng", M1, actor=ACTOR)
    # October: a left 低保; b's name differs from the registry (held for review, keeps 低保);
    # c unchanged; d new 低保; e's name differs too (new, so nothing to keep)
    f2 = minzheng(
        tmp_path / "10.csv",
        [
            (b, "李方", "低保对象"),
            (c, "王敏", "特困人员"),
            (d, "赵静", "城乡低保对象"),
            (e, "某某", "低保对象"),
        ],
    )
    with session_scope(engine) as s:
        r = load_list(s, f2, "minzheng", M2, actor=ACTOR)
    assert r.gained == {"dibao": 1}
    assert r.lost == {"dibao": 1}
    assert r.rows == {"loaded": 1, "unchanged": 1, "conflict": 2}
    assert r.review_items == 2
    ra, rb, rd, re_ = (_rid(engine, x) for x in (a, b, d, e))
    assert _open(engine, "dibao", M2) == {rb, rd}
    assert _open(engine, "dibao", M2 - dt.timedelta(days=1)) == {ra, rb}
    with session_scope(engine) as s:
        ended = s.execute(select(Membership).where(Membership.resident_id == ra)).scalar_one()
        assert ended.valid_to == dt.date(2021, 10, 30)
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.table_name == "memberships", AuditLog.row_key == str(ended.id))
            )
            == 1
        )
        items = list_reviews(s)
        assert len(items) == 2 and all(i.kind == "registry" for i in items)
        item = next(i for i in items if i.versions[0]["name"] == "某某")
        assert item.registry is not None and item.registry["name"] == "刘强"
        assert "*" in item.id_number  # masked in lists
        assert show_review(s, item.id, full=True).id_number == e
    # decisions: keep the registry for e (nothing loaded), take the file's name for b
    with session_scope(engine) as s:
        decide_review(s, item.id, "keep_registry", actor="officer")
        other = next(i for i in list_reviews(s) if i.id != item.id)
        decide_review(s, other.id, "take_file", actor="officer")
        assert list_reviews(s) == []
        assert len(list_reviews(s, status="decided")) == 2
    with session_scope(engine) as s:
        rb_row = s.get(Resident, rb)
        assert rb_row is not None and rb_row.name == "李方"
        hist = s.scalars(select(ResidentHistory).where(ResidentHistory.resident_id == rb)).all()
        assert [h.data["name"] for h in hist] == ["李芳"]
        re_row = s.get(Resident, re_)
        assert re_row is not None and re_row.name == "刘强"
        row = s.execute(
            select(ImportRow).where(ImportRow.batch_id == r.batch_id, ImportRow.resident_id == rb)
        ).scalar_one()
        assert row.status == "loaded"
    assert _open(engine, "dibao", M2) == {rb, rd}  # re not added
    # an older list cannot replace a newer one
    f0 = minzheng(tmp_path / "8.csv", [(a, "张伟", "低保对象")])
    with pytest.raises(ListOutOfOrder), session_scope(engine) as s:
        load_list(s, f0, "minzheng", dt.date(2021, 8, 31), actor=ACTOR)


def test_conflicts_within_and_across_files(engine: Engine, world: list[str], tmp_path: Path) -> None:
    from import_helpers import person

    stranger = person(77, born=dt.date(1980, 2, 3))  # not in the registry
    a = world[0]
    f1 = minzheng(
        tmp_path / "1.csv", [(a, "张伟", "低保对象"), (a, "张玮", "低保对象"), (stranger, "王五", "低保对象")]
    )
    with session_scope(engine) as s:
        r1 = load_list(s, f1, "minzheng", M1, actor=ACTOR)
        assert r1.rows == {"conflict": 2, "unregistered": 1}
        (item,) = list_reviews(s)
        assert item.kind == "file" and item.registry is not None and len(item.versions) == 2
    f2 = minzheng(tmp_path / "2.csv", [(stranger, "王六", "低保对象")])
    with session_scope(engine) as s:
        r2 = load_list(s, f2, "minzheng", M1, actor=ACTOR, mode="add")
        assert r2.rows == {"conflict": 1}
        cross = next(i for i in list_reviews(s) if i.id != item.id)
        assert [v["name"] for v in cross.versions] == ["王五", "王六"] and cross.registry is None
        with pytest.raises(Exception, match="registry"):
            decide_review(s, cross.id, "keep_registry", actor="officer")
        with pytest.raises(Exception, match="--row"):
            decide_review(s, item.id, "take_file", actor="officer")
        decide_review(s, item.id, "take_file", actor="officer", row=3)
    assert _open(engine, "dibao", M1) == {_rid(engine, a)}
    with session_scope(engine) as s:
        res = find_resident(s, a)
        assert res is not None and res.name == "张玮"


def test_scope_and_allowed_sources(engine: Engine, world: list[str], tmp_path: Path) -> None:
    f = minzheng(tmp_path / "l.csv", [(n, NAMES[i], "低保对象") for i, n in enumerate(world[:2])])
    with pytest.raises(SourceNotAllowed), session_scope(engine) as s:
        load_list(s, f, "minzheng", M1, actor=ACTOR, allowed_sources={"canlian"})
    with session_scope(engine) as s:
        r = load_list(s, f, "minzheng", M1, actor=ACTOR, scope="500114", allowed_sources={"minzheng"})
        assert r.rows == {"out_of_scope": 2}
        assert s.scalar(select(func.count()).select_from(Membership)) == 0
    f2 = minzheng(tmp_path / "l2.csv", [(n, NAMES[i], "低保对象") for i, n in enumerate(world[:3])])
    # the same person and category twice (another 认定时间): one membership, the later row unchanged
    again = [str(9), NAMES[0], _sex(world[0]), world[0], "低保对象", "濉溪镇", "2021-02-01"]
    write_csv(f2, [*[line.split(",") for line in f2.read_text("gb18030").splitlines()], again], "gb18030")
    with session_scope(engine) as s:
        assert load_list(s, f2, "minzheng", M1, actor=ACTOR, scope=TOWN).rows == {"loaded": 3, "unchanged": 1}
        assert s.scalar(select(func.count()).select_from(Membership)) == 3
