"""`urrbmi demo`: the main job of a fresh checkout — quote sample residents under every seed
notice, showing amounts, benefit periods, citations and the gaps the notices leave."""

from __future__ import annotations

from typing import Any

import click

from urrbmi.errors import UrrbmiError
from urrbmi.money import fmt
from urrbmi.policy import load_policy, quote
from urrbmi.policy.resident import ResidentInput

SAMPLES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "changji-2023": [
        ("成年居民，集中期缴费", {"paid_on": "2022-11-15", "birth_date": "1975-03-02"}),
        ("低保、稳定脱贫双重身份的成年人", {"paid_on": "2022-11-15", "birth_date": "1968-07-01",
                                  "categories": ["低保对象", "稳定脱贫人口"]}),
        ("集中期后缴费（通知未规定）", {"paid_on": "2023-02-10", "birth_date": "1975-03-02"}),
    ],
    "fengdu-shetan-2023": [
        ("低保对象参加二档", {"paid_on": "2022-11-20", "tier": 2, "categories": ["低保对象"]}),
        ("2023年3月10日缴费的普通居民", {"paid_on": "2023-03-10"}),
        ("应届毕业大学生", {"paid_on": "2022-11-20", "student": "college", "graduating": True}),
    ],
    "taixing-2022": [
        ("2004年1月1日出生的未成年人", {"paid_on": "2021-10-08", "birth_date": "2004-01-01"}),
        ("困境儿童", {"paid_on": "2021-10-08", "birth_date": "2012-05-01", "categories": ["困境儿童"]}),
    ],
    "suixi-2022": [
        ("返贫致贫人口", {"paid_on": "2021-11-01", "categories": ["返贫致贫人口"]}),
        ("春节返乡农民工", {"paid_on": "2022-02-10", "returning_migrant_worker": True}),
        ("重点优抚对象（按有关文件规定执行）", {"paid_on": "2021-11-01", "categories": ["重点优抚对象"]}),
    ],
    "qianjiang-2022": [
        ("2022年7月后缴费的普通居民", {"paid_on": "2022-07-05"}),
        ("2022年7月后缴费的低保边缘户", {"paid_on": "2022-07-05", "categories": ["低保边缘户"]}),
    ],
}


def quote_samples() -> None:
    for pid, samples in SAMPLES.items():
        p = load_policy(pid)
        click.secho(f"\n■ {p.model.jurisdiction.name} {p.benefit_year}年度（{pid}）", bold=True)
        for label, data in samples:
            try:
                r = quote(p, ResidentInput.parse(data))
            except UrrbmiError as exc:
                click.echo(f"  · {label}：无法计算 — {exc.zh}")
                continue
            extra = f"（含应补缴财政补助部分{fmt(r.fiscal_portion_due)}元）" if r.fiscal_portion_due else ""
            who = f"（{r.subsidy_category}资助{fmt(r.subsidy)}）" if r.subsidy else ""
            click.echo(
                f"  · {label}：标准{fmt(r.standard)}元{who}，应缴{fmt(r.total_due)}元{extra}；"
                f"待遇{r.benefit_start}至{r.benefit_end}"
            )


@click.command("demo")
def demo() -> None:
    """演示：按五份通知为示例居民计算应缴金额 / demo: quote sample residents under each notice."""
    click.secho("urrbmi 演示：五份地方通知下的示例居民应缴金额与待遇期", bold=True)
    quote_samples()
