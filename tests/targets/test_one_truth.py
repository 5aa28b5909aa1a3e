"""One campaign on one date shows the same figures in every report (issue 18, item 1): the CLI
progress table, its Excel sheet, the bulletin as Excel and as HTML, and the API's progress and
bulletin. Each rendering is read back the way a user reads it (printed text, or the sheet's cell
formatted as printed) and every figure two renderings share is compared, unit by unit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from readback import SHARED, assert_agree, html_table, reports, xlsx_table
from sqlalchemy import delete
from world import build_suixi

from urrbmi.access import passwords
from urrbmi.db.models import Enrollment
from urrbmi.db.session import get_engine, session_scope, upgrade
from urrbmi.interfaces.cli import main
from urrbmi.targets.columns import UNKNOWN


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    monkeypatch.setenv("URRBMI_COOKIE_SECURE", "0")


def test_the_demo_campaign_shows_the_same_figures_everywhere(tmp_path: Path) -> None:
    from urrbmi.interfaces.demo_campaign import REPORT_DAY, run_demo_campaign

    db = tmp_path / "demo.sqlite"
    demo = run_demo_campaign(db, tmp_path / "out", scale=0.002, seed=3)
    url = f"sqlite:///{db}"
    tables = reports(url, 1, REPORT_DAY, tmp_path)
    # the bulletin the demo itself prints is one of them
    tables["demo 通报.xlsx"] = xlsx_table(tmp_path / "out" / "通报.xlsx", "通报")
    tables["demo 通报.html"] = html_table((tmp_path / "out" / "通报.html").read_text(encoding="utf-8"))
    assert_agree(tables, SHARED)
    total = tables["cli"]["合计"]
    assert total["enrolled"] == f"{demo.bulletin.total.enrolled:,}"
    # no enrollment of the year before was imported: last year is unknown, "—", never 0
    assert total["last_year"] == UNKNOWN and total["change"] == UNKNOWN
    assert all(row["last_year"] == UNKNOWN for row in tables["api"].values())
    assert "last_year" not in tables["bulletin.html"]["合计"]  # the printed bulletin leaves it out


@pytest.fixture
def suixi(tmp_path: Path) -> Iterator[tuple[str, int]]:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    upgrade(url)
    cid, _ = build_suixi(get_engine(url))
    yield url, cid
    get_engine(url).dispose()


def test_task_table_and_last_year_agree_everywhere(suixi: tuple[str, int], tmp_path: Path) -> None:
    url, cid = suixi
    assert CliRunner().invoke(main, ["targets", "load", "--table", "suixi-2022", "--db", url]).exit_code == 0
    tables = reports(url, cid, dt.date(2021, 11, 15), tmp_path)
    assert_agree(tables, (*SHARED, "task", "completion", "last_year", "change"))
    town = tables["cli"]["濉溪镇"]
    assert (town["task"], town["last_year"], town["registry"]) == ("93,954", "2", "7")  # r7 died 11-10
    assert tables["cli"]["合计"]["last_year"] == "3"  # r1, r2 and r10 were ours last year


def test_rate_only_and_last_year_unknown_agree_everywhere(suixi: tuple[str, int], tmp_path: Path) -> None:
    url, cid = suixi
    with session_scope(get_engine(url)) as s:
        s.execute(delete(Enrollment).where(Enrollment.benefit_year == 2021))
    tables = reports(url, cid, dt.date(2021, 12, 15), tmp_path, ("--rate", "95%"))
    assert_agree(tables, SHARED)
    assert {row["last_year"] for row in tables["cli"].values()} == {UNKNOWN}
    assert {row["last_year"] for row in tables["progress.xlsx"].values()} == {UNKNOWN}
