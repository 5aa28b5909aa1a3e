"""A small campaign database with hand-chosen rows, for progress, lists and funding tests.

濉溪 2022 (all 12 annex towns as regions), residents in three villages:

village A (濉溪镇 340621100001): r1 paid 2021-11-01 (last year ours); r2 paid 2021-11-20 (last
year ours); r3 特困 enrolled by the bureau 2021-10-10 (subsidy 320); r4 employee-insured (last
year 310); r5 nothing.
village B (濉溪镇 340621100201): r6 paid 2021-11-05, cancelled and refunded 2021-12-01; r7 paid
2021-10-20, died 2021-11-10; r8 insured in another county (external 390).
village C (百善镇 340621102201): r9 student at 濉溪中学 paid 2021-10-15; r10 student at 濉溪中学,
not enrolled (last year ours).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from urrbmi import ids
from urrbmi.db.models import Assessment, Campaign, Enrollment, Payment, Refund, Region, Resident
from urrbmi.db.session import session_scope
from urrbmi.policy.categories import vocabulary
from urrbmi.policy.loader import load_policy
from urrbmi.synth.regions import SUIXI_TOWNS

CHINA = dt.timezone(dt.timedelta(hours=8))
VILLAGE_A, VILLAGE_B, VILLAGE_C = "340621100001", "340621100201", "340621102201"
TOWN_SUIXI, TOWN_BAISHAN = "340621100", "340621102"


def town_code(i: int) -> str:
    return f"340621{100 + i:03d}"


def stamp(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=CHINA)


def campaign(s: Any, policy_id: str, region: str) -> int:
    p = load_policy(policy_id)
    c = Campaign(
        region_code=region,
        benefit_year=p.benefit_year,
        policy_id=p.id,
        policy_version=p.version,
        created_at=stamp(dt.date(2021, 9, 1)),
    )
    s.add(c)
    s.flush()
    return c.id


class World:
    def __init__(self, s: Any, cid: int, year: int) -> None:
        self.s, self.cid, self.year = s, cid, year
        self.n = 0
        self.ref = 0
        self.numbers: dict[str, str] = {}

    def resident(self, key: str, village: str, assess: dict[str, Any] | None = None, **kw: Any) -> int:
        self.n += 1
        number = ids.make(village[:6], dt.date(1980, 1, 1) + dt.timedelta(days=self.n), self.n)
        r = Resident(
            id_number=number, name=f"居民{key}", sex="M", birth_date=ids.birth_date(number), region_code=village,
            updated_at=stamp(dt.date(2021, 9, 1)), **kw,
        )  # fmt: skip
        self.s.add(r)
        self.s.flush()
        self.numbers[key] = number
        self.assess(r.id, **(assess or {}))
        return r.id

    def assess(self, rid: int, *, subsidy_fen: int = 0, category: str | None = None, cats: str = "") -> None:
        self.s.add(
            Assessment(
                campaign_id=self.cid, resident_id=rid, policy_version="x", as_of=dt.date(2021, 9, 1),
                status="due", categories=cats, standard_fen=32000, subsidy_fen=subsidy_fen,
                # as the engine writes them: the notice's name, and the national code beside it
                subsidy_category=vocabulary().by_code[category].name if category else None,
                subsidy_category_code=category, individual_fen=32000 - subsidy_fen, fiscal_fen=0,
            )
        )  # fmt: skip

    def pay(self, rid: int, day: dt.date, amount_fen: int = 32000, status: str = "accepted") -> int:
        self.ref += 1
        p = Payment(
            campaign_id=self.cid, resident_id=rid, id_number="x", channel="bank", external_ref=f"R{self.ref}",
            amount_fen=amount_fen, due_fen=amount_fen, paid_on=day, status=status, recorded_by="t",
            recorded_at=stamp(day),
        )  # fmt: skip
        self.s.add(p)
        self.s.flush()
        return p.id

    def enroll(
        self, rid: int, day: dt.date, source: str = "payment", *, year: int | None = None, itype: str = "390",
        status: str = "enrolled", payment_id: int | None = None, village: str = VILLAGE_A,
    ) -> None:  # fmt: skip
        ours = source not in ("external",) and (year or self.year) == self.year
        self.s.add(
            Enrollment(
                campaign_id=self.cid if ours else None, resident_id=rid, benefit_year=year or self.year,
                region_code=village, insurance_type=itype, status=status, source=source, payment_id=payment_id,
                enrolled_on=day,
            )
        )  # fmt: skip
        self.s.flush()

    def paid_enrollment(self, rid: int, day: dt.date, village: str, **kw: Any) -> int:
        pid = self.pay(rid, day, **kw)
        self.enroll(rid, day, payment_id=pid, village=village)
        return pid


def regions(s: Any) -> None:
    s.add(Region(code="340000", name="安徽省", level="province", parent_code=None))
    s.flush()
    s.add(Region(code="340621", name="濉溪县", level="county", parent_code="340000"))
    s.flush()
    for i, (name, _) in enumerate(SUIXI_TOWNS):
        s.add(Region(code=town_code(i), name=name, level="town", parent_code="340621"))
    s.flush()
    for code, name, town in (
        (VILLAGE_A, "濉溪东社区", TOWN_SUIXI),
        (VILLAGE_B, "李庄村", TOWN_SUIXI),
        (VILLAGE_C, "百善村", TOWN_BAISHAN),
    ):
        s.add(Region(code=code, name=name, level="village", parent_code=town))
    s.flush()


def build_suixi(engine: Engine) -> tuple[int, dict[str, str]]:
    """The world above; returns the campaign id and the residents' ID numbers by key."""
    d = dt.date
    with session_scope(engine) as s:
        regions(s)
        cid = campaign(s, "suixi-2022", "340621")
        w = World(s, cid, 2022)
        r1 = w.resident("r1", VILLAGE_A)
        w.paid_enrollment(r1, d(2021, 11, 1), VILLAGE_A)
        w.enroll(r1, d(2020, 11, 1), "import", year=2021)
        r2 = w.resident("r2", VILLAGE_A)
        w.paid_enrollment(r2, d(2021, 11, 20), VILLAGE_A)
        w.enroll(r2, d(2020, 11, 1), "import", year=2021)
        r3 = w.resident("r3", VILLAGE_A, {"subsidy_fen": 32000, "category": "tekun", "cats": "tekun"})
        w.enroll(r3, d(2021, 10, 10), "subsidy")
        r4 = w.resident("r4", VILLAGE_A, employee_insured=True)
        w.enroll(r4, d(2020, 11, 1), "external", year=2021, itype="310")
        w.resident(
            "r5",
            VILLAGE_A,
        )
        r6 = w.resident("r6", VILLAGE_B)
        p6 = w.pay(r6, d(2021, 11, 5), status="refunded")
        w.enroll(r6, d(2021, 11, 5), payment_id=p6, status="cancelled", village=VILLAGE_B)
        s.add(
            Refund(
                campaign_id=cid, resident_id=r6, payment_id=p6, kind="cancellation", amount_fen=32000,
                reason="注销", status="paid", created_at=stamp(d(2021, 12, 1)),
            )
        )  # fmt: skip
        r7 = w.resident("r7", VILLAGE_B, status="deceased", died_on=d(2021, 11, 10))
        w.paid_enrollment(r7, d(2021, 10, 20), VILLAGE_B)
        r8 = w.resident("r8", VILLAGE_B)
        w.enroll(r8, d(2021, 10, 1), "external", village="341200")
        r9 = w.resident("r9", VILLAGE_C, student="school", school_name="濉溪中学")
        w.paid_enrollment(r9, d(2021, 10, 15), VILLAGE_C)
        r10 = w.resident("r10", VILLAGE_C, student="school", school_name="濉溪中学")
        w.enroll(r10, d(2020, 11, 1), "payment", year=2021)
        return cid, w.numbers


def build_qianjiang(engine: Engine) -> int:
    """黔江 with the 30 units of its annex as towns (no residents)."""
    from urrbmi.targets.tables import load_table

    with session_scope(engine) as s:
        s.add(Region(code="500000", name="重庆市", level="province", parent_code=None))
        s.flush()
        s.add(Region(code="500114", name="黔江区", level="county", parent_code="500000"))
        s.flush()
        for i, name in enumerate(load_table("qianjiang-2022").regions()):
            s.add(Region(code=f"500114{i + 1:03d}", name=name, level="town", parent_code="500114"))
        s.flush()
        return campaign(s, "qianjiang-2022", "500114")


def build_changji(engine: Engine) -> tuple[int, dict[str, str]]:
    """昌吉市 2023: h1 特困 not enrolled; h2 低保 enrolled by subsidy (380 subsidised); g1 paid 380 on
    2022-11-01; g2 nothing; g3 paid on 2022-12-05 (after the date used in tests)."""
    d = dt.date
    with session_scope(engine) as s:
        s.add(Region(code="650000", name="新疆维吾尔自治区", level="province", parent_code=None))
        s.flush()
        s.add(Region(code="652300", name="昌吉回族自治州", level="prefecture", parent_code="650000"))
        s.flush()
        s.add(Region(code="652301", name="昌吉市", level="county", parent_code="652300"))
        s.flush()
        s.add(Region(code="652301001", name="宁边路街道", level="town", parent_code="652301"))
        s.flush()
        s.add(Region(code="652301001001", name="宁边社区", level="village", parent_code="652301001"))
        s.flush()
        cid = campaign(s, "changji-2023", "652301")
        w = World(s, cid, 2023)
        v = "652301001001"
        w.resident("h1", v, {"cats": "tekun", "subsidy_fen": 38000, "category": "tekun"})
        h2 = w.resident("h2", v, {"cats": "dibao", "subsidy_fen": 38000, "category": "dibao"})
        w.enroll(h2, d(2022, 10, 8), "subsidy", village=v)
        g1 = w.resident("g1", v)
        w.paid_enrollment(g1, d(2022, 11, 1), v, amount_fen=38000)
        w.resident("g2", v)
        g3 = w.resident("g3", v)
        w.paid_enrollment(g3, d(2022, 12, 5), v, amount_fen=38000)
        return cid, w.numbers
