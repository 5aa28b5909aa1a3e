"""Charts for bulletins, as PNG (matplotlib, Agg backend: no display needed).

* ``progress_chart``: each unit's rate (or task completion) as a bar, the target as a line;
  laggards in red.
* ``burnup_chart``: cumulative enrolled toward the deadline, with the target and an even pace.
* ``composition_chart``: enrolled by category, as horizontal bars with counts and shares.

Chinese labels need a CJK font. ``find_cjk_font`` looks for one (``URRBMI_CJK_FONT`` naming a
font file first, then well-known families, then ``fc-list :lang=zh``). Without one the charts are
still drawn, with a :class:`CJKFontWarning` saying what to install: Debian's
``fonts-noto-cjk`` or ``fonts-wqy-microhei``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from urrbmi.errors import MissingComponent
from urrbmi.targets.progress import percent

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from urrbmi.targets.bulletin import Bulletin

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)

NO_FONT_MESSAGE = (
    "没有找到中文字体，图中汉字将显示为方框；请安装 fonts-noto-cjk 或 fonts-wqy-microhei"
    "（apt-get install -y fonts-wqy-microhei），或设置 URRBMI_CJK_FONT=字体文件路径。 / "
    "No CJK font found: Chinese text in charts will show as boxes. Install the Debian package "
    "fonts-noto-cjk or fonts-wqy-microhei, or set URRBMI_CJK_FONT to a font file."
)


class CJKFontWarning(UserWarning):
    pass


def _fc_list_files() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    try:
        done = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split(":")[0].strip() for line in done.stdout.splitlines() if line})


def _add_font(path: str) -> str | None:
    from matplotlib import font_manager

    try:
        font_manager.fontManager.addfont(path)
        return str(font_manager.FontProperties(fname=path).get_name())
    except (OSError, RuntimeError, ValueError):
        return None


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """The family name of a font that can draw Chinese, or None."""
    from matplotlib import font_manager

    chosen = os.environ.get("URRBMI_CJK_FONT")
    if chosen:
        name = _add_font(chosen)
        if name:
            return name
        warnings.warn(f"URRBMI_CJK_FONT={chosen} cannot be loaded", CJKFontWarning, stacklevel=2)
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    # fonts installed after matplotlib built its cache: ask fontconfig and add them
    for path in _fc_list_files():
        name = _add_font(path)
        if name:
            return name
    return None


def _matplotlib() -> None:
    """Fail with one clear message when the ``charts`` extra is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingComponent(
            "charts", "，或不要图表（--no-charts）", ", or leave the charts out (--no-charts)"
        ) from None


@contextmanager
def _style() -> Iterator[bool]:
    _matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import rc_context

    font = find_cjk_font()
    if font is None:
        warnings.warn(NO_FONT_MESSAGE, CJKFontWarning, stacklevel=3)
    params: dict[str, Any] = {"axes.unicode_minus": False, "figure.dpi": 100, "savefig.dpi": 150}
    if font is not None:
        params["font.family"] = "sans-serif"
        params["font.sans-serif"] = [font, "DejaVu Sans"]
    with rc_context(cast(Any, params)), warnings.catch_warnings():
        if font is None:  # one clear warning above instead of one per missing glyph
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from")
        yield font is not None


def _save(fig: Figure, path: Path) -> Path:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", bbox_inches="tight")
    plt.close(fig)
    return path


def progress_chart(b: Bulletin, path: Path) -> Path:
    """Bars by unit in rank order: task completion when there are tasks (target line 100%),
    else the enrollment rate (target line at the target rate)."""
    _matplotlib()
    import matplotlib.pyplot as plt

    with _style():
        by_task = b.has_task
        values = [float((p.completion if by_task else p.rate) or 0) * 100 for p in b.rows]
        target = 100.0 if by_task else float(b.target_rate) * 100
        colors = ["#d9534f" if b.remarks.get(p.unit) else "#4a7ebb" for p in b.rows]
        fig, ax = plt.subplots(figsize=(max(6.0, 0.75 * len(b.rows) + 2), 4.8))
        bars = ax.bar([p.unit for p in b.rows], values, color=colors)
        ax.axhline(target, color="#333333", linestyle="--", linewidth=1)
        label = "任务（100%）" if by_task else f"目标参保率 {percent(b.target_rate, 1)}"
        ax.text(len(b.rows) - 0.5, target, label, ha="right", va="bottom", fontsize=9)
        for bar, p in zip(bars, b.rows, strict=True):
            shown = p.completion if by_task and p.completion is not None else p.rate
            ax.text(
                bar.get_x() + bar.get_width() / 2,
                bar.get_height(),
                percent(shown, 1),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        low = min([*values, target])
        ax.set_ylim(max(0.0, low - 5), max([*values, target]) + 2)
        ax.set_ylabel("任务完成率（%）" if by_task else "参保率（%）")
        ax.set_title(f"{b.title}\n截至{b.as_of:%Y-%m-%d}（红色：未达目标或排名靠后）")
        plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
        return _save(fig, path)


def burnup_chart(
    points: Sequence[tuple[dt.date, int]],
    target: int,
    *,
    start: dt.date,
    deadline: dt.date,
    title: str,
    path: Path,
) -> Path:
    """Cumulative enrolled at each date, the target as a line, and an even pace from ``start``
    (0 enrolled) to the target at ``deadline`` (dashed) to show whether the campaign is behind."""
    _matplotlib()
    import matplotlib.pyplot as plt
    from matplotlib import dates as mdates

    if not points:
        raise ValueError("burn-up chart needs at least one point")
    with _style():
        fig, ax = plt.subplots(figsize=(8, 4.8))
        num = cast("Callable[[dt.date], float]", mdates.date2num)
        x = [num(d) for d, _ in points]
        x0, x1 = num(start), num(deadline)
        ax.plot(x, [v for _, v in points], marker="o", color="#4a7ebb", label="累计参保人数")
        ax.axhline(target, color="#d9534f", linewidth=1, label=f"目标 {target:,}")
        ax.plot([x0, x1], [0, target], linestyle="--", color="#999999", label="均衡进度")
        ax.axvline(x1, color="#333333", linestyle=":", linewidth=1)
        ax.text(x1, 0, f" 截止 {deadline:%m-%d}", rotation=90, va="bottom", fontsize=8)
        last_day, last_value = x[-1], points[-1][1]
        ax.annotate(
            f"{last_value:,}（{percent(Decimal(last_value) / Decimal(target), 1)}）",
            (last_day, last_value),
            textcoords="offset points",
            xytext=(-10, 8),
            ha="right",
            fontsize=9,
        )
        ax.set_xlim(x0, x1 + 3)
        ax.set_ylim(0, max(target, *(v for _, v in points)) * 1.08)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))  # type: ignore[no-untyped-call]
        ax.yaxis.set_major_formatter(lambda v, _: f"{v / 10000:.0f}万")
        ax.set_title(title)
        ax.legend(loc="upper left")
        ax.grid(alpha=0.3)
        return _save(fig, path)


def composition_chart(counts: Mapping[str, int], *, title: str, path: Path) -> Path:
    """Enrolled by category, largest first, each bar labelled with its count and share."""
    _matplotlib()
    import matplotlib.pyplot as plt

    if not counts or sum(counts.values()) <= 0:
        raise ValueError("composition chart needs positive counts")
    total = sum(counts.values())
    items = sorted(counts.items(), key=lambda kv: kv[1])
    with _style():
        fig, ax = plt.subplots(figsize=(8, 0.5 * len(items) + 1.6))
        bars = ax.barh([k for k, _ in items], [v for _, v in items], color="#4a7ebb")
        for bar, (_, v) in zip(bars, items, strict=True):
            share = percent(Decimal(v) / Decimal(total), 1)
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v:,}（{share}）",
                    va="center", fontsize=9)  # fmt: skip
        ax.set_xlim(0, max(v for _, v in items) * 1.3)
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        ax.set_xlabel("人数")
        ax.set_title(f"{title}（合计 {total:,} 人）")
        return _save(fig, path)
