"""Charts: PNG files, and a clear warning (not a crash) when no CJK font is installed."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from urrbmi.targets import charts
from urrbmi.targets.bulletin import Bulletin, build_bulletin
from urrbmi.targets.progress import UnitCounts

PNG = b"\x89PNG\r\n\x1a\n"


def _bulletin() -> Bulletin:
    counts = [UnitCounts("甲镇", 1000, 990, task=990), UnitCounts("乙镇", 1000, 950, task=990)]
    return build_bulletin(counts, Decimal("0.99"), title="示例", as_of=dt.date(2021, 12, 15))


def test_progress_burnup_and_composition_charts_are_png(tmp_path: Path) -> None:
    b = _bulletin()
    paths = [
        charts.progress_chart(b, tmp_path / "a.png"),
        charts.burnup_chart(
            [(dt.date(2021, 11, 15), 500), (dt.date(2021, 12, 15), 1940)],
            1980,
            start=dt.date(2021, 10, 29),
            deadline=dt.date(2021, 12, 31),
            title="累计",
            path=tmp_path / "b.png",
        ),
        charts.composition_chart({"一般居民": 1800, "低保对象": 140}, title="构成", path=tmp_path / "c.png"),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == PNG
        assert path.stat().st_size > 5000


def test_charts_fall_back_with_a_clear_warning_without_cjk_font(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts, "find_cjk_font", lambda: None)
    with pytest.warns(charts.CJKFontWarning, match="fonts-noto-cjk"):
        path = charts.composition_chart({"甲": 1}, title="构成", path=tmp_path / "c.png")
    assert path.read_bytes()[:8] == PNG


def test_bad_chart_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        charts.composition_chart({}, title="t", path=tmp_path / "x.png")
    with pytest.raises(ValueError):
        charts.burnup_chart(
            [], 1, start=dt.date(2021, 1, 1), deadline=dt.date(2021, 2, 1), title="t",
            path=tmp_path / "y.png",
        )  # fmt: skip


def _fontconfig_has_chinese() -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(out.stdout.strip())


@pytest.mark.skipif(not _fontconfig_has_chinese(), reason="no CJK font installed (fc-list :lang=zh)")
def test_an_installed_cjk_font_is_found() -> None:
    charts.find_cjk_font.cache_clear()
    assert charts.find_cjk_font() is not None


def test_unloadable_font_named_by_env_warns_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URRBMI_CJK_FONT", "/nonexistent/font.ttf")
    charts.find_cjk_font.cache_clear()
    try:
        with pytest.warns(charts.CJKFontWarning, match="cannot be loaded"):
            charts.find_cjk_font()
    finally:
        charts.find_cjk_font.cache_clear()
