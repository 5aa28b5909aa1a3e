"""Bounds on input files (issue 13, class 4): replaces that end too much ask for confirmation
(service and CLI, SQLite and PostgreSQL); list dates; lines, rows, columns and cells of list files;
payment files and officers' CSV files (``urrbmi.limits``)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from dbfixtures import ACTOR, setup_regions
from import_helpers import write_csv
from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from urrbmi import ids, limits
from urrbmi.campaign.payments import read_payment_file
from urrbmi.db.models import Membership
from urrbmi.db.models_imports import ImportBatch
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidInput
from urrbmi.imports.check import check_file
from urrbmi.imports.load import load_list
from urrbmi.imports.reader import read
from urrbmi.interfaces.cli import main
from urrbmi.registry.residents import NewResident, add_resident, find_resident

HEADER = ["序号", "姓名", "性别", "身份证号码", "人员类别", "所属乡镇", "认定时间"]
TOWN = "340621100"  # 濉溪镇 (dbfixtures.setup_regions)
NAMES = ["张伟", "李芳", "王敏", "赵静", "刘强", "陈磊"]
M1, M2, M3 = dt.date(2021, 8, 31), dt.date(2021, 9, 30), dt.date(2021, 10, 31)


@pytest.fixture
def people(engine: Engine) -> list[str]:
    setup_regions(engine)
    out = []
    with session_scope(engine) as s:
        for i, name in enumerate(NAMES):
            number = ids.make("340621", dt.date(1960 + i, 1 + i, 1 + i), 2 * i + 1)
            add_resident(s, NewResident(number, name, TOWN), actor=ACTOR)
            out.append(number)
    return out


def dibao(path: Path, people: list[str]) -> Path:
    rows = [HEADER] + [
        [str(i + 1), NAMES[i], "男" if int(n[16]) % 2 else "女", n, "低保对象", "濉溪镇", "2021-01-01"]
        for i, n in enumerate(people)
    ]
    return write_csv(path, rows, "gb18030")


def open_count(engine: Engine, on: dt.date) -> int:
    with session_scope(engine) as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Membership)
                .where(
                    Membership.valid_from <= on, Membership.valid_to.is_(None) | (Membership.valid_to >= on)
                )
            )
            or 0
        )


def batches(engine: Engine) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(ImportBatch)) or 0)


# --- destructive replaces -----------------------------------------------------------------------


def test_a_replace_over_the_share_asks_for_confirmation(
    engine: Engine, people: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_REPLACE_FREE_REMOVALS", "0")  # six people: the share alone decides
    with session_scope(engine) as s:
        assert load_list(s, dibao(tmp_path / "8月.csv", people), "minzheng", M1, actor=ACTOR).gained == {
            "dibao": 6
        }
    # 1 of 6 (17 %) is under the share (20 %): it goes through
    with session_scope(engine) as s:
        r = load_list(s, dibao(tmp_path / "9月.csv", people[:5]), "minzheng", M2, actor=ACTOR)
    assert r.lost == {"dibao": 1} and open_count(engine, M2) == 5
    # 2 of 5 (40 %): refused, nothing changed
    october = dibao(tmp_path / "10月.csv", people[:3])
    with pytest.raises(limits.ConfirmRemovals) as exc, session_scope(engine) as s:
        load_list(s, october, "minzheng", M3, actor=ACTOR)
    assert "2/5" in exc.value.zh and "2 of 5" in exc.value.en and exc.value.code == "confirm_removals"
    assert open_count(engine, M3) == 5 and batches(engine) == 2
    with session_scope(engine) as s:
        r = load_list(s, october, "minzheng", M3, actor=ACTOR, confirm_removals=True)
    assert r.lost == {"dibao": 2} and open_count(engine, M3) == 3


def test_a_header_only_replace_ends_nothing_unless_confirmed(
    engine: Engine, people: list[str], tmp_path: Path, db_url: str
) -> None:
    with session_scope(engine) as s:
        load_list(s, dibao(tmp_path / "8月.csv", people), "minzheng", M1, actor=ACTOR)
    empty = dibao(tmp_path / "空.csv", [])
    with pytest.raises(limits.ConfirmRemovals), session_scope(engine) as s:
        load_list(s, empty, "minzheng", M2, actor=ACTOR)
    assert open_count(engine, M2) == 6
    # the same through the CLI: one bilingual line, exit 2; then confirmed
    args = ["list", "load", str(empty), "--source", "minzheng", "--as-of", "2021-09-30", "--db", db_url]
    r = CliRunner().invoke(main, [*args, "--no-progress"])
    assert r.exit_code == 2 and "confirm_removals" in r.output and "6/6" in r.output, r.output
    assert "Traceback" not in r.output and open_count(engine, M2) == 6 and batches(engine) == 1
    r = CliRunner().invoke(main, [*args, "--no-progress", "--confirm-removals"])
    assert r.exit_code == 0, r.output
    assert open_count(engine, M2) == 0


def test_a_header_only_attribute_list_clears_nothing_unless_confirmed(
    engine: Engine, people: list[str], tmp_path: Path
) -> None:
    head = ["姓名", "身份证号码", "参保状态"]
    first = write_csv(
        tmp_path / "人社9月.csv", [head, [NAMES[0], people[0], "正常参保"], [NAMES[1], people[1], "正常参保"]]
    )
    empty = write_csv(tmp_path / "人社10月.csv", [head])
    with session_scope(engine) as s:
        assert load_list(s, first, "renshe", M2, actor=ACTOR).population == {"updated": 2, "cleared": 0}
    with pytest.raises(limits.ConfirmRemovals) as exc, session_scope(engine) as s:
        load_list(s, empty, "renshe", M3, actor=ACTOR)
    assert "2/2" in exc.value.zh
    with session_scope(engine) as s:
        assert [find_resident(s, n).employee_insured for n in people[:2]] == [True, True]  # type: ignore[union-attr]
        r = load_list(s, empty, "renshe", M3, actor=ACTOR, confirm_removals=True)
    assert r.population == {"updated": 0, "cleared": 2}


# --- the list date ------------------------------------------------------------------------------


def test_a_far_future_list_is_refused_and_does_not_block_its_source(
    engine: Engine, people: list[str], tmp_path: Path
) -> None:
    f = dibao(tmp_path / "低保.csv", people[:2])
    with pytest.raises(InvalidInput) as exc, session_scope(engine) as s:
        load_list(s, f, "minzheng", dt.date(2099, 12, 31), actor=ACTOR)
    assert exc.value.code == "list_date_out_of_range" and "2099-12-31" in exc.value.zh
    with pytest.raises(InvalidInput):
        check_file(f, "minzheng", as_of=dt.date(2099, 12, 31))
    with session_scope(engine) as s:  # the source is not blocked: an ordinary list still replaces
        assert load_list(s, f, "minzheng", M1, actor=ACTOR).gained == {"dibao": 2}


def test_a_far_future_list_loaded_before_the_window_existed_blocks_nothing(
    engine: Engine, people: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_LIST_FUTURE_DAYS", "40000")  # as the old code: any date
    with session_scope(engine) as s:
        load_list(s, dibao(tmp_path / "2099.csv", people[:3]), "minzheng", dt.date(2099, 12, 31), actor=ACTOR)
    monkeypatch.delenv("URRBMI_LIST_FUTURE_DAYS")
    with session_scope(engine) as s:  # not list_out_of_order: the 2099 list is outside today's window
        r = load_list(s, dibao(tmp_path / "10月.csv", people[:4]), "minzheng", M3, actor=ACTOR)
    assert r.gained == {"dibao": 4}  # the 2099 identities start in 2099: not held on M3


def test_the_list_date_window_follows_today_in_china(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URRBMI_TODAY", "2024-03-01")
    limits.check_list_date(dt.date(2024, 3, 31))  # next month's list, prepared late this month
    with pytest.raises(InvalidInput):
        limits.check_list_date(dt.date(2024, 4, 2))
    monkeypatch.setenv("URRBMI_LIST_FUTURE_DAYS", "0")
    with pytest.raises(InvalidInput):
        limits.check_list_date(dt.date(2024, 3, 2))
    limits.check_list_date(dt.date(2016, 1, 1))
    with pytest.raises(InvalidInput):
        limits.check_list_date(dt.date(2015, 12, 31))


# --- lines, rows, columns, cells ----------------------------------------------------------------


def test_long_line_agrees_with_splitting_the_lines() -> None:
    rng = random.Random(7)
    for _ in range(300):
        text = "\n".join("x" * rng.choice((0, 1, 5, 9, 10, 11, 30)) for _ in range(rng.randint(0, 12)))
        cap = rng.choice((1, 5, 10, 29))
        naive = next((i + 1 for i, line in enumerate(text.split("\n")) if len(line) > cap), None)
        assert limits.long_line(text, cap) == naive, (text, cap)


def test_a_file_with_an_over_long_line_is_refused_before_parsing(tmp_path: Path) -> None:
    f = tmp_path / "one-line.csv"
    f.write_text(",".join(HEADER) + "\n1," + "张" * 70_000 + "\n", encoding="utf-8")
    with pytest.raises(limits.TooLarge) as exc:
        read(f)
    assert "第2行" in exc.value.zh and "line 2" in exc.value.en
    r = CliRunner().invoke(main, ["list", "check", str(f), "--source", "minzheng", "--no-progress"])
    assert r.exit_code == 2 and "too_large" in r.output and "Traceback" not in r.output


def test_a_quoted_field_over_the_csv_module_limit_is_a_bilingual_error(tmp_path: Path) -> None:
    f = tmp_path / "quoted.csv"
    field = '"' + "\n".join(["张" * 1000] * 200) + '"'  # short lines, one field of 200,000 characters
    f.write_text(",".join(HEADER) + "\n1," + field + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        read(f)
    assert "引号" in exc.value.zh


def test_spreadsheets_and_html_tables_are_bounded_before_their_cells_are_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_MAX_ROWS", "3")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for i in range(5):
        ws.append([i, "张伟"])
    wb.save(tmp_path / "rows.xlsx")
    with pytest.raises(limits.TooLarge) as exc:
        read(tmp_path / "rows.xlsx")
    assert "URRBMI_MAX_ROWS" in exc.value.en
    html = '<html><table><tr><td colspan="99999">x</td></tr></table></html>'
    (tmp_path / "wide.xls").write_text(html, encoding="utf-8")
    with pytest.raises(limits.TooLarge) as exc:
        read(tmp_path / "wide.xls")
    assert "URRBMI_MAX_COLUMNS" in exc.value.en


def test_an_over_long_cell_is_a_row_problem_and_the_row_is_not_loaded(
    engine: Engine, people: list[str], tmp_path: Path
) -> None:
    f = dibao(tmp_path / "低保.csv", people[:2])
    with f.open("ab") as fh:
        fh.write(f"3,{'王' * 600},男,{people[2]},低保对象,濉溪镇,2021-01-01\r\n".encode("gb18030"))
    batch = check_file(f, "minzheng", as_of=M1)
    assert (batch.counts.data_rows, batch.counts.valid, batch.counts.invalid) == (3, 2, 1)
    (bad,) = batch.invalid
    assert bad.row == 4 and [p.code for p in bad.problems] == ["cell_too_long"]
    assert bad.problems[0].column == "姓名" and len(bad.problems[0].value) == limits.SHOWN_CHARS + 1
    assert all(len(v) <= limits.SHOWN_CHARS + 1 for v in bad.raw.values())
    with session_scope(engine) as s:
        r = load_list(s, f, "minzheng", M1, actor=ACTOR)
    assert r.gained == {"dibao": 2} and r.rows == {"loaded": 2, "invalid": 1}


# --- payment files and officers' CSV files ------------------------------------------------------


def test_payment_files_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n = ids.make("340621", dt.date(1980, 1, 1), 1)
    f = tmp_path / "pay.csv"
    f.write_text(f"交易流水号,身份证号码,金额,缴费日期\n{'R' * 65},{n},380.00,2021-10-01\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        read_payment_file(f)
    assert "交易流水号超过64个字符" in exc.value.zh
    f.write_text(
        "交易流水号,身份证号码,金额,缴费日期\nR1," + "1" * 70_000 + ",380.00,2021-10-01\n", encoding="utf-8"
    )
    with pytest.raises(limits.TooLarge):
        read_payment_file(f)
    monkeypatch.setenv("URRBMI_MAX_UPLOAD_MB", "0")
    with pytest.raises(limits.TooLarge) as exc:
        read_payment_file(f)
    assert "URRBMI_MAX_UPLOAD_MB" in exc.value.en


def test_officers_csv_files_are_bounded(tmp_path: Path) -> None:
    f = tmp_path / "reductions.csv"
    f.write_text("region,reduction\n" + "x" * 70_000 + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["targets", "tasks", "--table", "suixi-2022", "--reductions", str(f)])
    assert r.exit_code == 2 and "too_large" in r.output and "Traceback" not in r.output, r.output
