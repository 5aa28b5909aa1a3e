"""A randomized campaign database for the tests of the resident's state (tests/targets): deaths,
moves, students, employee insurance, insurance elsewhere, cancellations and refunds before and
after the dates counted at, several enrollments per resident."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import Engine, update
from world import VILLAGE_A, VILLAGE_B, VILLAGE_C, World, campaign, regions, stamp

from urrbmi.db.models import Assessment, Refund
from urrbmi.db.session import session_scope

START = dt.date(2021, 10, 1)
DATES = (dt.date(2021, 9, 30), dt.date(2021, 10, 20), dt.date(2021, 11, 15), dt.date(2021, 12, 31))


def _day(rng: random.Random) -> dt.date:
    return START + dt.timedelta(days=rng.randrange(92))


def build_random(engine: Engine, seed: int, n: int = 160) -> int:
    rng = random.Random(seed)
    with session_scope(engine) as s:
        regions(s)
        cid = campaign(s, "suixi-2022", "340621")
        w = World(s, cid, 2022)
        for k in range(n):
            village = rng.choice((VILLAGE_A, VILLAGE_B, VILLAGE_C))
            kw: dict[str, object] = {}
            u = rng.random()
            if u < 0.1:
                kw.update(status="deceased", died_on=rng.choice((None, _day(rng))))
            elif u < 0.15:
                kw.update(status="moved_out")
            elif u < 0.18:
                kw.update(died_on=_day(rng))  # a death not yet recorded in the status
            if rng.random() < 0.2:
                kw.update(
                    student=rng.choice(("school", "college")),
                    school_name=rng.choice(("濉溪中学", "一中", None)),
                )
            if rng.random() < 0.1:
                kw.update(employee_insured=True)
            cat = rng.choice((None, None, None, "tekun", "dibao"))
            assess = {
                "subsidy_fen": rng.choice((0, 16000, 32000)) if cat else 0,
                "category": cat,
                "cats": cat or "",
            }
            rid = w.resident(f"x{k}", village, assess, **kw)
            s.execute(
                update(Assessment)
                .where(Assessment.resident_id == rid)
                .values(fiscal_fen=rng.choice((0, 0, 0, 58000)))
            )
            if rng.random() < 0.6:
                w.enroll(
                    rid,
                    dt.date(2020, 11, 1),
                    rng.choice(("import", "payment", "external")),
                    year=2021,
                    itype=rng.choice(("390", "390", "310")),
                    village=village,
                )
            accepted = False  # at most one accepted payment per resident and campaign
            for _ in range(rng.choice((0, 1, 1, 2))):  # cancelled payments, reversed on some day (or not yet)
                day = _day(rng)
                status = "refunded" if accepted or rng.random() < 0.7 else "accepted"
                accepted = accepted or status == "accepted"
                pid = w.pay(rid, day, status=status)
                w.enroll(rid, day, payment_id=pid, status="cancelled", village=village)
                for _ in range(rng.choice((0, 1, 1, 2))):
                    s.add(
                        Refund(
                            campaign_id=cid, resident_id=rid, payment_id=pid,
                            kind=rng.choice(("refund", "cancellation", "top_up")), amount_fen=rng.choice((100, 32000)),
                            reason="test", status=rng.choice(("paid", "pending", "void")),
                            created_at=stamp(day + dt.timedelta(days=rng.randrange(40))),
                        )
                    )  # fmt: skip
            v = rng.random()
            if v < 0.45 and not accepted:
                accepted = True
                w.paid_enrollment(rid, _day(rng), village)
            elif v < 0.55:
                w.enroll(rid, _day(rng), "subsidy", village=village)
            elif v < 0.65:
                w.enroll(rid, _day(rng), "external", itype=rng.choice(("390", "310")), village="341200")
            elif v < 0.7:
                w.enroll(rid, _day(rng), "external", itype="310", village="341200")
                w.enroll(rid, _day(rng), "external", itype="390", village="341200")
            if rng.random() < 0.05 and not accepted:
                w.pay(rid, _day(rng))  # a payment without an enrollment yet
        s.flush()
        return cid
