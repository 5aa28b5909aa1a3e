"""The demo campaign: a synthetic Suixi-like county in an embedded SQLite database, assessed
under suixi-2022, paid through a channel file, reconciled, and reported in a town bulletin.

Everything is generated from a seed, so two runs give the same figures."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import func, select

from urrbmi.campaign.assess import AssessSummary, assess
from urrbmi.campaign.campaigns import create_campaign
from urrbmi.campaign.payments import PaymentSummary, apply_payments, read_payment_file
from urrbmi.db.models import Assessment, Enrollment, Resident
from urrbmi.db.session import get_engine, session_scope, upgrade
from urrbmi.money import fmt, from_fen
from urrbmi.synth import County
from urrbmi.synth.load import load_county
from urrbmi.targets.bulletin import Bulletin, build_bulletin, write_html, write_xlsx
from urrbmi.targets.charts import progress_chart
from urrbmi.targets.progress import UnitCounts

POLICY = "suixi-2022"
AS_OF = dt.date(2021, 11, 15)  # assessed as if paying inside the centralized window
REPORT_DAY = dt.date(2021, 12, 15)
RATE = Decimal("0.99")  # 一、目标任务: 参保率不低于99%
ACTOR = "demo"


@dataclass(frozen=True)
class DemoResult:
    residents: int
    assess: AssessSummary
    payments: PaymentSummary
    paid_lines: int
    bulletin: Bulletin
    files: tuple[Path, ...]


def run_demo_campaign(db_path: Path, out: Path, *, scale: float, seed: int) -> DemoResult:
    url = f"sqlite:///{db_path}"
    get_engine(url).dispose()  # engines are cached per URL: close the old file before removing it
    if db_path.exists():
        db_path.unlink()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    engine = get_engine(url)
    county = County.suixi(scale=scale, seed=seed)
    with session_scope(engine) as s:
        n = load_county(s, county, actor=ACTOR, province=("340000", "安徽省"))
        c = create_campaign(s, POLICY, county.tree.county.code, actor=ACTOR)
    with session_scope(engine) as s:
        c = s.merge(c)
        summary = assess(s, c, AS_OF, actor=ACTOR)
    pay_file = out / "微信缴费明细.csv"
    lines = _channel_file(engine, c.id, pay_file, seed)
    with session_scope(engine) as s:
        pay = apply_payments(s, s.merge(c), "wechat", read_payment_file(pay_file), actor=ACTOR)
    bulletin = _bulletin(engine, county, c.id)
    files = (
        pay_file,
        write_xlsx(bulletin, out / "通报.xlsx"),
        write_html(bulletin, out / "通报.html"),
        progress_chart(bulletin, out / "进度-分镇.png"),  # warns, not fails, without a CJK font
    )
    engine.dispose()
    return DemoResult(n, summary, pay, lines, bulletin, files)


def _channel_file(engine: object, campaign_id: int, path: Path, seed: int) -> int:
    """A WeChat channel file: most residents who owe something pay it, on days across the
    window; a few pay a wrong amount (held for review) and one line is reported twice."""
    rng = random.Random(seed)
    with engine.connect() as conn:  # type: ignore[attr-defined]
        due = conn.execute(
            select(Resident.id_number, Assessment.total_due_fen)
            .join(Assessment, Assessment.resident_id == Resident.id)
            .where(Assessment.campaign_id == campaign_id, Assessment.status == "due")
            .order_by(Resident.id)
        ).all()
    written = 0
    start = dt.date(2021, 10, 1)
    with path.open("w", encoding="utf-8-sig") as fh:
        fh.write("交易流水号,身份证号码,缴费金额,缴费日期\n")
        for i, (number, fen) in enumerate(due):
            if rng.random() > 0.93:
                continue  # not yet paid: on the lists for door-to-door visits
            wrong = rng.random() < 0.005
            amount = from_fen(fen + (1000 if wrong else 0))
            day = start + dt.timedelta(days=rng.randrange((REPORT_DAY - start).days))
            line = f"WX{seed:02d}{i:08d},{number},{fmt(amount)},{day.isoformat()}\n"
            fh.write(line)
            written += 1
            if written == 10:
                fh.write(line)  # the channel reported this payment twice
    return written


def _bulletin(engine: object, county: County, campaign_id: int) -> Bulletin:
    town_of = {v.code: v.parent for v in county.tree.villages}
    with engine.connect() as conn:  # type: ignore[attr-defined]
        enrolled = conn.execute(
            select(Enrollment.region_code, func.count())
            .where(Enrollment.campaign_id == campaign_id, Enrollment.status == "enrolled")
            .group_by(Enrollment.region_code)
        ).all()
    by_town: dict[str, int] = {}
    for region, count in enrolled:
        town = town_of.get(region, region[:9])
        by_town[town] = by_town.get(town, 0) + int(count)
    counts = [
        UnitCounts(
            unit=t.name,
            base=t.population,
            enrolled=by_town.get(t.code, 0),
            task=int((t.population * RATE).to_integral_value(ROUND_HALF_UP)),
        )
        for t in county.tree.towns
    ]
    return build_bulletin(
        counts,
        RATE,
        title=f"{county.tree.county.name}2022年度城乡居民医保参保缴费进度通报（演示数据）",
        as_of=REPORT_DAY,
        unit_label="镇（园区）",
        base_label="户籍人口",
        notes=(
            "演示：合成县的居民、身份与缴费均由程序按随机种子生成，非真实数据。",
            "已参保：本年度已登记参保（足额缴费或全额资助）的人数；任务数 = 户籍人口 × 99%（四舍五入）。",
        ),
    )
