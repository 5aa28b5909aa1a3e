"""A sample bulletin from ``data/demo-suixi-2022.yaml``: the real 濉溪 task table with made-up
enrolled counts. Used by ``urrbmi targets bulletin demo`` and as a worked example."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML

from urrbmi.errors import InvalidInput
from urrbmi.targets.bulletin import Bulletin, build_bulletin, write_html, write_xlsx
from urrbmi.targets.progress import UnitCounts, load_target_rules
from urrbmi.targets.tables import TaskTable, load_table


class DemoData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    title: str
    as_of: dt.date
    start: dt.date
    deadline: dt.date
    bottom_n: int = Field(ge=0)
    base_label: str
    enrolled: dict[str, tuple[int, int]]
    burnup: dict[dt.date, int]
    composition: dict[str, int]


def load_demo() -> DemoData:
    text = resources.files("urrbmi.targets").joinpath("data/demo-suixi-2022.yaml").read_text("utf-8")
    data = DemoData.model_validate(YAML(typ="safe", pure=True).load(text))
    total = sum(e for e, _ in data.enrolled.values())
    last = data.burnup.get(data.as_of)
    if last != total or sum(data.composition.values()) != total:
        raise InvalidInput(
            f"示例数据不一致：分镇合计{total}，进度{last}，构成{sum(data.composition.values())}",
            "demo data totals disagree (towns, burn-up at as_of, composition)",
        )
    return data


def demo_counts(table: TaskTable, data: DemoData) -> list[UnitCounts]:
    missing = [r for r in table.regions() if r not in data.enrolled]
    if missing or len(data.enrolled) != len(table.rows):
        raise InvalidInput(f"示例数据与任务表不对应：{missing}", f"demo data/table mismatch {missing}")
    return [
        UnitCounts(
            unit=row.region,
            base=row.base if row.base is not None else row.task,
            enrolled=data.enrolled[row.region][0],
            task=row.task,
            last_year_enrolled=data.enrolled[row.region][1],
        )
        for row in table.rows
    ]


@dataclass(frozen=True)
class DemoOutput:
    bulletin: Bulletin
    files: tuple[Path, ...]
    warnings: tuple[str, ...]


def build_demo(out: Path, *, charts: bool = True) -> DemoOutput:
    """Write 通报.xlsx, 通报.html and (with ``charts``) three PNG charts into ``out``."""
    import warnings

    data = load_demo()
    table = load_table(data.table)
    rule = load_target_rules()["suixi-2022-all"]
    src = table.meta.source
    bulletin = build_bulletin(
        demo_counts(table, data),
        rule.rate,
        title=data.title,
        as_of=data.as_of,
        unit_label=table.meta.region_label,
        base_label=data.base_label,
        bottom_n=data.bottom_n,
        notes=(
            f"任务数来源：{src.document}{src.annex}；户籍人口为{table.meta.population_base.source}"
            f"（{table.meta.population_base.as_of:%Y年末}）。",
            "参保任务数包括城乡居民医保和城镇职工医保参保人数（附件注2），已参保人数口径同此。",
            f"排名按任务完成率，完成率相同者名次并列；备注列出未达任务者及排名后{data.bottom_n}位。",
            "本表已参保人数为虚构示例数据。",
        ),
    )
    files = [write_xlsx(bulletin, out / "通报.xlsx"), write_html(bulletin, out / "通报.html")]
    caught: list[str] = []
    if charts:
        from urrbmi.targets.charts import burnup_chart, composition_chart, progress_chart

        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            files.append(progress_chart(bulletin, out / "进度-分镇.png"))
            files.append(
                burnup_chart(
                    sorted(data.burnup.items()),
                    table.total_task,
                    start=data.start,
                    deadline=data.deadline,
                    title=f"{table.meta.county}参保进度（累计）",
                    path=out / "进度-累计.png",
                )
            )
            files.append(
                composition_chart(data.composition, title="已参保人员构成", path=out / "构成-类别.png")
            )
        caught = sorted({str(w.message) for w in seen})
    return DemoOutput(bulletin, tuple(files), tuple(caught))
