"""The demo campaign: a synthetic Suixi-like county in an embedded SQLite database, assessed
under suixi-2022, paid through a channel file, reconciled, and reported in a town bulletin.

Everything is generated from a seed, so two runs give the same figures."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from decimal import Decimal
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
from urrbmi.targets.bulletin import Bulletin, write_html, write_xlsx
from urrbmi.targets.charts import progress_chart

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
            .where(
                Assessment.campaign_id == campaign_id,
                Assessment.status == "due",
                Assessment.total_due_fen > 0,  # the fully subsidised are enrolled by the bureau
            )
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
    """The town bulletin from the campaign database, by the same counts as every other report
    (``urrbmi targets progress``, the API): the demo has no task table, so the base is the
    residents required to enroll and the target the policy's 99%."""
    from urrbmi.targets.reports import bulletin_from_db

    with session_scope(engine) as s:  # type: ignore[arg-type]
        b, _report = bulletin_from_db(s, campaign_id, on=REPORT_DAY, level="town", target_rate=RATE)
    return replace(
        b,
        title=f"{county.tree.county.name}2022年度城乡居民医保参保缴费进度通报（演示数据）",
        notes=("演示：合成县的居民、身份与缴费均由程序按随机种子生成，非真实数据。", *b.notes),
    )


# Demo accounts, one per role, for the web UI on the demo database (a demo database only: the
# password is printed on the console).
DEMO_PASSWORD = "demo-urrbmi-2021"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    region_code: str
    region_name: str


@dataclass(frozen=True)
class DemoSetup:
    accounts: tuple[DemoAccount, ...]
    unpaid_id: str | None  # a synthetic resident of the agent's village who still owes (to try a payment)
    other_village_id: str | None  # a synthetic resident outside the agent's village (to see the refusal)


def create_demo_accounts(db_path: Path, campaign_id: int | None = None) -> DemoSetup:
    """Accounts for every role on the demo database: county-wide roles, the first town's officer,
    and an agent in the village of that town with the most residents still to pay."""
    from urrbmi.access.accounts import create_user
    from urrbmi.db.models import Region
    from urrbmi.imports.config import sources

    url = f"sqlite:///{db_path}"
    engine = get_engine(url)
    with session_scope(engine) as s:
        county = s.scalars(select(Region).where(Region.level == "county").order_by(Region.code)).first()
        if county is None:
            raise RuntimeError("the demo database has no county")
        cid = campaign_id if campaign_id is not None else s.scalar(select(func.max(Assessment.campaign_id)))
        unpaid = (
            select(Resident.region_code, Resident.id_number)
            .join(Assessment, Assessment.resident_id == Resident.id)
            .where(Assessment.campaign_id == cid, Assessment.status == "due")
            .where(
                ~select(Enrollment.id)
                .where(Enrollment.resident_id == Resident.id, Enrollment.campaign_id == cid)
                .exists()
            )
        )
        rows = s.execute(unpaid.order_by(Resident.region_code, Resident.id)).all()
        by_village: dict[str, list[str]] = {}
        for region, number in rows:
            by_village.setdefault(region, []).append(number)
        village_code = max(sorted(by_village), key=lambda v: len(by_village[v])) if by_village else None
        village = s.get(Region, village_code) if village_code else None
        if village is None:
            village = s.scalars(select(Region).where(Region.level == "village").order_by(Region.code)).first()
        assert village is not None and village.parent_code is not None
        town = s.get(Region, village.parent_code)
        assert town is not None
        other = next((n for r, n in rows if not r.startswith(town.code)), None)
        plan: list[tuple[str, str, Region, tuple[str, ...]]] = [
            ("admin", "bureau_admin", county, ()),
            ("officer", "bureau_officer", county, ()),
            ("town", "township_officer", town, ()),
            ("agent", "village_agent", village, ()),
            ("uploader", "dept_uploader", county, tuple(sources())),
            ("auditor", "auditor", county, ()),
            ("finance", "finance", county, ()),
        ]
        made = []
        for username, role, unit, srcs in plan:
            create_user(s, username, DEMO_PASSWORD, role, unit.code, sources=srcs, actor=ACTOR)
            made.append(DemoAccount(username, role, unit.code, unit.name))
        unpaid_id = by_village[village.code][0] if village.code in by_village else None
    engine.dispose()
    return DemoSetup(tuple(made), unpaid_id, other)
