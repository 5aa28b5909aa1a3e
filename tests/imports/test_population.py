"""The population base: the 公安 hukou list and births/deaths, last year's enrollment (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dbfixtures import ACTOR, setup_regions
from import_helpers import write_csv
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.db.models import Enrollment, Resident, ResidentHistory
from urrbmi.db.session import session_scope
from urrbmi.imports.load import load_list
from urrbmi.imports.review import decide_review, list_reviews
from urrbmi.registry.residents import NewResident, add_resident, find_resident

TOWN = "340621100"
AS_OF = dt.date(2021, 9, 30)


def found(s: Session, number: str) -> Resident:
    """The resident with this ID number, who must exist."""
    r = find_resident(s, number)
    assert r is not None, number
    return r


def _sex(number: str) -> str:
    return "男" if int(number[16]) % 2 else "女"


@pytest.fixture
def people(engine: Engine) -> list[str]:
    setup_regions(engine)
    out = [ids.make("340621", dt.date(1950 + i, 3, 4), 2 * i + 1) for i in range(6)]
    with session_scope(engine) as s:
        for number, name in zip(out[:3], ["张伟", "李芳", "王敏"], strict=True):
            add_resident(s, NewResident(number, name, TOWN), actor=ACTOR)
    return out


def test_hukou_population_adds_updates_and_conflicts(
    engine: Engine, people: list[str], tmp_path: Path
) -> None:
    a, b, c, d, e, f = people
    header = ["姓名", "公民身份号码", "性别", "所属乡镇", "人口状态", "变动日期"]
    rows = [
        ["张伟", a, _sex(a), "濉溪镇", "正常", ""],  # unchanged
        ["李芳芳", b, _sex(b), "濉溪镇", "正常", ""],  # name differs: review
        ["王敏", c, _sex(c), "濉溪镇", "死亡", "2021-08-02"],  # death
        ["赵静", d, _sex(d), "濉溪镇", "正常", ""],  # new resident
        ["刘强", e, _sex(e), "", "正常", ""],  # new, but no town: cannot be registered
        ["陈磊", f, _sex(f), "濉溪镇", "迁出", "2021-05-01"],  # moved out, never registered
    ]
    path = write_csv(tmp_path / "户籍人口.csv", [header, *rows], "gb18030")
    with session_scope(engine) as s:
        r = load_list(s, path, "hukou", AS_OF, actor=ACTOR)
    assert r.kind == "population"
    assert r.rows == {"unchanged": 1, "conflict": 1, "loaded": 2, "unregistered": 2}
    assert r.population == {"added": 1, "deceased": 1, "absent": 0}
    with session_scope(engine) as s:
        new = find_resident(s, d)
        assert new is not None and new.name == "赵静" and new.region_code == TOWN and new.sex == ids.sex(d)
        dead = find_resident(s, c)
        assert dead is not None and dead.status == "deceased" and dead.died_on == dt.date(2021, 8, 2)
        assert (
            s.scalar(select(func.count()).select_from(ResidentHistory).where(ResidentHistory.id_number == c))
            == 1
        )
        assert find_resident(s, e) is None and find_resident(s, f) is None
        (item,) = list_reviews(s)
        assert item.registry is not None and item.registry["name"] == "李芳"
        decide_review(s, item.id, "take_file", actor="officer")
    with session_scope(engine) as s:
        renamed = find_resident(s, b)
        assert renamed is not None and renamed.name == "李芳芳"


def test_gongan_births_and_deaths_csv(engine: Engine, people: list[str], tmp_path: Path) -> None:
    baby = ids.make("340621", dt.date(2021, 6, 1), 12)
    header = ["姓名", "公民身份号码", "性别", "变动类型", "变动日期", "派出所", "所属乡镇"]
    rows = [
        ["孙小宝", baby, _sex(baby), "出生", "2021-06-01", "濉溪派出所", "濉溪镇"],
        ["张伟", people[0], _sex(people[0]), "死亡", "2021-09-01", "濉溪派出所", "濉溪镇"],
        ["某人", people[4], _sex(people[4]), "户口迁移", "2021-09-01", "濉溪派出所", "濉溪镇"],
    ]
    path = write_csv(tmp_path / "公安.csv", [header, *rows], "gb18030")
    with session_scope(engine) as s:
        r = load_list(s, path, "gongan", AS_OF, actor=ACTOR)
    assert r.rows == {"loaded": 2, "invalid": 1}
    with session_scope(engine) as s:
        assert s.scalar(select(Resident.status).where(Resident.id_number == people[0])) == "deceased"
        assert s.scalar(select(Resident.birth_date).where(Resident.id_number == baby)) == dt.date(2021, 6, 1)


def test_last_year_enrollment(engine: Engine, people: list[str], tmp_path: Path) -> None:
    a, b, c, d, _, _ = people
    header = ["姓名", "身份证号码", "参保年度", "险种类型", "所属乡镇"]
    rows = [
        ["张伟", a, "2021", "390", "濉溪镇"],
        ["李芳", b, "2021年", "城乡居民基本医疗保险", "濉溪镇"],
        ["王敏", c, "二〇二一", "390", "濉溪镇"],  # bad year
        ["赵静", d, "2021", "390", "濉溪镇"],  # not in the registry
        ["张伟", a, "2021", "390", "濉溪镇"],  # exact repeat
    ]
    path = write_csv(tmp_path / "2021参保.csv", [header, *rows], "utf-8")
    with session_scope(engine) as s:
        r = load_list(s, path, "enrollment", dt.date(2021, 12, 31), actor=ACTOR)
    assert r.kind == "enrollment" and r.enrollments == 2
    assert r.rows == {"loaded": 2, "invalid": 1, "unregistered": 1, "duplicate": 1}
    with session_scope(engine) as s:
        en = s.scalars(select(Enrollment).order_by(Enrollment.id)).all()
        assert [(e.benefit_year, e.source, e.campaign_id, e.insurance_type, e.region_code) for e in en] == [
            (2021, "import", None, "390", TOWN)
        ] * 2
    # a second file with the same people adds nothing
    path2 = write_csv(tmp_path / "2021参保补.csv", [header, rows[0]], "utf-8")
    with session_scope(engine) as s:
        r2 = load_list(s, path2, "enrollment", dt.date(2021, 12, 31), actor=ACTOR)
        assert r2.rows == {"unchanged": 1} and r2.enrollments == 0


def test_school_roster_and_employee_insurance_set_attributes(
    engine: Engine, people: list[str], tmp_path: Path
) -> None:
    a, b, c = people[:3]
    roster = write_csv(
        tmp_path / "教育.csv",
        [
            ["学生姓名", "身份证号码", "学校名称", "学段"],
            ["张伟", a, "濉溪中学", "高中"],
            ["李芳", b, "濉溪中学", "初中"],
        ],
        "gb18030",
    )
    with session_scope(engine) as s:
        r = load_list(s, roster, "jiaoyu", AS_OF, actor=ACTOR)
    assert r.rows == {"loaded": 2} and r.population == {"updated": 2, "cleared": 0}
    renshe = write_csv(
        tmp_path / "人社.csv",
        [
            ["姓名", "身份证号码", "险种类型", "参保状态"],
            ["李芳", b, "310", "正常参保"],
            ["王敏", c, "310", "暂停缴费"],
        ],
        "utf-8",
    )
    with session_scope(engine) as s:
        r2 = load_list(s, renshe, "renshe", AS_OF, actor=ACTOR)
    assert r2.rows == {"loaded": 1, "unchanged": 1}  # 王敏 is already not insured
    with session_scope(engine) as s:
        ra, rb, rc = (find_resident(s, x) for x in (a, b, c))
        assert ra is not None and (ra.student, ra.school_name, ra.row_version) == ("school", "濉溪中学", 2)
        assert rb is not None and rb.employee_insured and rb.row_version == 3
        assert rc is not None and not rc.employee_insured and rc.row_version == 1
        hist = s.scalars(select(ResidentHistory).where(ResidentHistory.id_number == b)).all()
        assert [h.data["employee_insured"] for h in hist] == [False, False]


def test_replace_lists_clear_the_attribute_of_people_no_longer_listed(
    engine: Engine, people: list[str], tmp_path: Path
) -> None:
    """A school roster in replace mode covers the schools it names: a student of one of them who
    is no longer listed stops being a school student, a student of another school is untouched.
    A 人社 list in replace mode covers employee insurance: someone no longer listed is no longer
    insured. In add mode nothing is cleared."""
    a, b, c = people[:3]
    head = ["学生姓名", "身份证号码", "学校名称"]
    september = write_csv(
        tmp_path / "教育9月.csv", [head, ["张伟", a, "濉溪中学"], ["李芳", b, "濉溪中学"]], "gb18030"
    )
    other = write_csv(tmp_path / "临涣.csv", [head, ["王敏", c, "临涣中学"]], "gb18030")
    october = write_csv(tmp_path / "教育10月.csv", [head, ["张伟", a, "濉溪中学"]], "gb18030")
    with session_scope(engine) as s:
        load_list(s, september, "jiaoyu", AS_OF, actor=ACTOR)
        assert load_list(s, other, "jiaoyu", AS_OF, actor=ACTOR, mode="add").population == {"updated": 1}
        r = load_list(s, october, "jiaoyu", dt.date(2021, 10, 31), actor=ACTOR)
    assert r.rows == {"unchanged": 1} and r.population == {"updated": 0, "cleared": 1}
    with session_scope(engine) as s:
        ra, rb, rc = (find_resident(s, x) for x in (a, b, c))
        assert ra is not None and (ra.student, ra.school_name) == ("school", "濉溪中学")
        assert rb is not None and (rb.student, rb.school_name) == (None, None)
        assert rc is not None and (rc.student, rc.school_name) == ("school", "临涣中学")
        hist = s.scalars(select(ResidentHistory).where(ResidentHistory.id_number == b)).all()
        assert [h.data["student"] for h in hist] == [None, "school"]

    head2 = ["姓名", "身份证号码", "参保状态"]
    first = write_csv(
        tmp_path / "人社9月.csv", [head2, ["张伟", a, "正常参保"], ["李芳", b, "正常参保"]], "utf-8"
    )
    supplement = write_csv(tmp_path / "人社补充.csv", [head2, ["王敏", c, "正常参保"]], "utf-8")
    second = write_csv(
        tmp_path / "人社10月.csv", [head2, ["王敏", c, "参保缴费"]], "utf-8"
    )  # not the same bytes
    with session_scope(engine) as s:
        assert load_list(s, first, "renshe", AS_OF, actor=ACTOR).population == {"updated": 2, "cleared": 0}
        assert load_list(s, supplement, "renshe", AS_OF, actor=ACTOR, mode="add").population == {"updated": 1}
        r2 = load_list(s, second, "renshe", dt.date(2021, 10, 31), actor=ACTOR)
    assert r2.rows == {"unchanged": 1} and r2.population == {"updated": 0, "cleared": 2}
    with session_scope(engine) as s:
        assert [found(s, x).employee_insured for x in (a, b, c)] == [False, False, True]


def test_a_hukou_list_in_replace_mode_lists_who_is_missing_without_changing_them(
    engine: Engine, people: list[str], tmp_path: Path
) -> None:
    """Registered hukou residents absent from a replace-mode hukou list are counted and listed
    (``urrbmi list absent``) for a person to check; their records are not changed."""
    from click.testing import CliRunner

    from urrbmi.imports.load import absent_from_hukou
    from urrbmi.interfaces.cli import main

    a, b, c = people[:3]
    header = ["姓名", "公民身份号码", "所属乡镇", "人口状态"]
    path = write_csv(tmp_path / "户籍.csv", [header, ["张伟", a, "濉溪镇", "正常"]], "gb18030")
    with session_scope(engine) as s:
        r = load_list(s, path, "hukou", AS_OF, actor=ACTOR)
        assert r.population == {"added": 0, "absent": 2}
        absent = absent_from_hukou(s, r.batch_id)
        assert sorted(absent["id_number"].to_list()) == sorted([b, c])
        assert all(found(s, x).status == "active" for x in (b, c))
    out = CliRunner().invoke(
        main, ["list", "absent", str(r.batch_id), "--db", engine.url.render_as_string(False)]
    )
    assert out.exit_code == 0, out.output
    assert "共 total: 2" in out.output and ids.mask(b) in out.output and b not in out.output
    with session_scope(engine) as s:  # add mode: a supplement, nobody is missing
        r2 = load_list(
            s,
            write_csv(tmp_path / "补.csv", [header, ["李芳", b, "濉溪镇", "正常"]], "gb18030"),
            "hukou",
            AS_OF,
            actor=ACTOR,
            mode="add",
        )
        assert "absent" not in r2.population
