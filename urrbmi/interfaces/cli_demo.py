"""`urrbmi demo`: the main job of a fresh checkout — quote sample residents under every seed
notice, showing amounts, benefit periods, citations and the gaps the notices leave."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from urrbmi.errors import CODE_ZH, UrrbmiError
from urrbmi.money import fmt
from urrbmi.policy import load_policy, quote
from urrbmi.policy.resident import ResidentInput

if TYPE_CHECKING:
    from urrbmi.campaign.assess import AssessSummary

SAMPLES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "changji-2023": [
        ("成年居民，集中期缴费", {"paid_on": "2022-11-15", "birth_date": "1975-03-02"}),
        (
            "低保、稳定脱贫双重身份的成年人",
            {"paid_on": "2022-11-15", "birth_date": "1968-07-01", "categories": ["低保对象", "稳定脱贫人口"]},
        ),
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


def _counts(counts: Mapping[str, int], names: Mapping[str, str]) -> str:
    """``已参加职工医保730人、已死亡44人`` (largest first), or ``无``."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return "、".join(f"{names.get(k, k)}{n:,}人" for k, n in ordered) or "无"


def assess_line(a: AssessSummary) -> str:
    """The demo's assessment line, in Chinese (reasons by name, never by code)."""
    from urrbmi.campaign.campaigns import EXCLUSION_ZH

    return (
        f"  · 核定：{a.assessed:,}人，应缴{a.due:,}人；不征缴：{_counts(a.excluded, EXCLUSION_ZH)}；"
        f"无法核定：{_counts(a.errors, CODE_ZH)}（见 urrbmi policy show suixi-2022）；"
        f"全额资助直接参保{a.enrolled_subsidised:,}人"
    )


@click.command("demo")
@click.option(
    "--scale",
    default=0.01,
    show_default=True,
    type=float,
    help="合成县规模（相对濉溪县114万人）/ county size relative to Suixi",
)
@click.option("--seed", default=1, show_default=True, type=int)
@click.option(
    "--db",
    "db_path",
    default="var/demo.sqlite",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="演示数据库（每次重建）",
)
@click.option(
    "--out",
    default="var/demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="通报等输出目录",
)
@click.option("--quotes-only", is_flag=True, help="只演示测算，不建演示征缴")
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="建好演示征缴后启动网页服务 / then start the web server on the demo database",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="网页服务监听地址 / bind address")
@click.option("--port", default=8000, show_default=True, type=int, help="网页服务端口 / port")
def demo(
    scale: float, seed: int, db_path: Path, out: Path, quotes_only: bool, serve: bool, host: str, port: int
) -> None:
    """演示：测算、合成县征缴，并启动网页服务 / demo: quotes, a demo campaign, the web UI."""
    click.secho("urrbmi 演示：五份地方通知下的示例居民应缴金额与待遇期", bold=True)
    quote_samples()
    if quotes_only:
        return
    from urrbmi.interfaces.demo_campaign import run_demo_campaign
    from urrbmi.targets.progress import percent

    click.secho(f"\n■ 演示征缴：合成濉溪县（规模{scale}），政策 suixi-2022，数据库 {db_path}", bold=True)
    r = run_demo_campaign(db_path, out, scale=scale, seed=seed)
    a, p, total = r.assess, r.payments, r.bulletin.total
    click.echo(f"  · 全民参保库：{r.residents:,}人（区划、户籍、身份名单由合成器生成）")
    click.echo(assess_line(a))
    click.echo(
        f"  · 微信渠道缴费文件{p.lines:,}行：入账{p.status.get('accepted', 0):,}，"
        f"金额不符待核{p.status.get('held', 0):,}，重复报送已忽略{p.replayed:,}"
    )
    click.echo(
        f"  · 截至{r.bulletin.as_of}：应参保{total.base:,}人，已参保{total.enrolled:,}人，"
        f"参保率{percent(total.rate)}，距目标{percent(total.target_rate, 0)}尚差{total.remaining:,}人"
        "（与 urrbmi targets progress、通报、接口同一口径）"
    )
    for f in r.files:
        click.echo(f"  · 输出：{f}")
    click.echo(f"  · 查询示例：urrbmi resident show <身份证号> --db {db_path}")
    if serve:
        serve_demo(db_path, host, port)


def serve_demo(db_path: Path, host: str, port: int) -> None:
    """Demo accounts for every role, then the API and web UI on the demo database until Ctrl-C."""
    import os

    import uvicorn

    from urrbmi.access.roles import ROLE_ZH
    from urrbmi.interfaces.api import create_app
    from urrbmi.interfaces.demo_campaign import DEMO_PASSWORD, REPORT_DAY, create_demo_accounts

    setup = create_demo_accounts(db_path)
    # Plain HTTP on loopback: the session cookie cannot be HTTPS-only here (production keeps the default).
    os.environ.setdefault("URRBMI_COOKIE_SECURE", "0")
    # The demo campaign is a 2021 one: the server's "today" is its report day, so counter payments
    # fall inside the window (URRBMI_TODAY, see urrbmi.clock; set it yourself to override).
    os.environ.setdefault("URRBMI_TODAY", REPORT_DAY.isoformat())
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    click.secho(f"\n■ 网页服务 / web UI: http://{shown}:{port}/  （Ctrl-C 停止 / to stop）", bold=True)
    click.echo(f"  演示账号（密码均为 {DEMO_PASSWORD}，仅限演示库）/ demo accounts, password as shown:")
    for a in setup.accounts:
        click.echo(f"  · {a.username:<9} {ROLE_ZH.get(a.role, a.role)}，{a.region_name}（{a.region_code}）")
    if setup.unpaid_id:
        click.echo(f"  · 代办员村里尚未缴费的合成居民 / a synthetic resident still to pay: {setup.unpaid_id}")
    uvicorn.run(create_app(f"sqlite:///{db_path}"), host=host, port=port, log_level="warning")
