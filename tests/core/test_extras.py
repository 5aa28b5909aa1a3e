"""Optional extras (issue 16): a missing one is named by one bilingual error, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from urrbmi.db import session as db_session
from urrbmi.errors import MissingComponent
from urrbmi.targets import charts


def test_charts_without_matplotlib_name_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingComponent) as err:
        charts.composition_chart({"普通居民": 3}, title="构成", path=tmp_path / "c.png")
    assert err.value.code == "missing_component"
    assert "urrbmi[charts]" in err.value.zh and "--no-charts" in err.value.en
    assert not (tmp_path / "c.png").exists()


def test_postgres_url_without_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    db_session.get_engine.cache_clear()
    try:
        with pytest.raises(MissingComponent) as err:
            db_session.get_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    finally:
        db_session.get_engine.cache_clear()
    assert "urrbmi[postgres]" in err.value.zh
    assert "PostgreSQL" in err.value.en


def test_dev_extra_installs_every_optional_extra() -> None:
    import tomllib

    meta = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))
    core = " ".join(meta["project"]["dependencies"])
    extras = meta["project"]["optional-dependencies"]
    for name, heavy in (("charts", "matplotlib"), ("postgres", "psycopg"), ("spark", "pyspark")):
        assert heavy not in core
        assert any(heavy in dep for dep in extras[name])
    assert "urrbmi[charts,postgres,spark]" in extras["dev"]
