"""A season replay (issue 18, item 8): a synthetic county driven through one collection season
through the API, day by day, with the season's invariants checked after each simulated day.

The replay plays every party of a season against a running API (FastAPI's ``TestClient`` in the
tests, an ``httpx.Client`` against uvicorn in ``bench/bench_season.py``):

- the bureau opens and assesses the campaign and uploads the 民政 list every month (new 低保
  identities: the campaign re-prices them);
- village agents take cash at the counter, each payment with the amount the look-up states;
  some type a wrong amount (refused, nothing written) and some send the same receipt twice
  (replayed, not charged twice);
- a bank sends a file each simulated day: new payments, lines already sent (skipped), a wrong
  amount (held), an ID that is not in the registry (unmatched), a second payment for someone
  already paid (held), and now and then a late file dated days before;
- officers cancel some payments; the refunds are approved by another officer, sent to the bank
  in a refund file and the bank's result imported;
- on bulletin days (the first, every half month, the last) ``check_reports`` compares
  every rendering of the progress report.

The replay keeps its own account of every line it sent — the **channel statements** — and of
whom it paid for. After each day, :meth:`Season.check` asserts:

1. **money**: for every channel, what the channel took (the replay's statement) = the ledger
   (the sum of the campaign's payments of that channel, whatever their status) = what
   reconciliation accounts for (accepted by channel + held + unmatched + given back); refunds
   paid = the bank's 成功 lines;
2. **one state per resident**: the ledger's residents enrolled by payment = the residents the
   replay paid for and did not cancel = the accepted payments reconciliation counts; the state
   definition has one row per resident; the living residents split exactly into enrolled,
   employee-insured, insured elsewhere and the not-enrolled list;
3. **every report agrees** (``check_reports``, on bulletin days).

Invariants 1 and 2 are :mod:`urrbmi.synth.season_checks`.

A violation raises :class:`SeasonViolation` naming the day, the invariant and both figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Engine, select

from urrbmi import ids
from urrbmi.db.models import Resident
from urrbmi.db.session import session_scope
from urrbmi.synth.season_checks import SeasonViolation, check_money, check_split, check_states, ledger_fen
from urrbmi.synth.writers import csv_bytes


class Response(Protocol):
    status_code: int

    @property
    def content(self) -> bytes: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class Client(Protocol):
    """What the replay needs of an HTTP client (``TestClient`` and ``httpx.Client`` both are)."""

    def get(self, url: str, **kw: Any) -> Any: ...

    def post(self, url: str, **kw: Any) -> Any: ...


@dataclass(frozen=True)
class SeasonPlan:
    """How busy the season is. Counts are per simulated day."""

    start: dt.date = dt.date(2021, 9, 15)
    end: dt.date = dt.date(2021, 12, 31)
    every: int = 7  # simulate one day in `every`
    counter: int = 6  # cash payments per village agent and day
    file_lines: int = 20  # new lines per bank file and day
    cancel_every: int = 3  # cancel one counter payment every N simulated days
    list_size: int = 5  # new 低保 identities in each monthly 民政 list
    bulletins: tuple[int, ...] = (1, 16)  # days of the month a bulletin is printed
    seed: int = 7


@dataclass
class Line:
    channel: str
    ref: str
    id_number: str
    amount_fen: int
    paid_on: dt.date
    expect: str  # accepted | held | unmatched


@dataclass
class Tally:
    days: int = 0
    counter_payments: int = 0
    refused_wrong_amount: int = 0
    replayed: int = 0
    file_lines: int = 0
    held: int = 0
    unmatched: int = 0
    cancelled: int = 0
    refunds_paid: int = 0
    lists: int = 0
    bulletins: int = 0
    checks: int = 0


@dataclass
class Season:
    """One campaign season over a registry already loaded (``urrbmi.synth.load.load_county``).

    ``users`` maps ``admin``, ``officer``, ``checker`` (a second officer who approves refunds),
    ``finance`` (sends the refund file and imports the bank's result) and
    ``agent:<village code>`` to bearer tokens; ``set_today`` fixes the server's "today"
    (``URRBMI_TODAY``) for a simulated day."""

    client: Client
    engine: Engine
    region: str
    policy: str
    users: Mapping[str, str]
    set_today: Callable[[dt.date], Any]
    plan: SeasonPlan = field(default_factory=SeasonPlan)
    check_reports: Callable[[int, dt.date], None] | None = None
    campaign_id: int = 0
    tally: Tally = field(default_factory=Tally)
    statement: dict[str, dict[str, Line]] = field(default_factory=dict)  # channel -> ref -> line
    paid: dict[str, Line] = field(default_factory=dict)  # id number -> its accepted payment
    refund_success_fen: int = 0
    _seq: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.plan.seed)

    # --- HTTP ------------------------------------------------------------------------------

    def _auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.users[user]}"}

    def _ok(self, r: Response, what: str, status: int = 200) -> Any:
        if r.status_code != status:
            raise SeasonViolation(f"{what}: HTTP {r.status_code} (expected {status}): {r.text[:400]}")
        return r.json() if r.content[:1] in (b"{", b"[") else None

    @property
    def _c(self) -> str:
        return f"/api/v1/campaigns/{self.campaign_id}"

    # --- the registry as the replay sees it ------------------------------------------------

    def _residents(self) -> list[tuple[str, str]]:
        with session_scope(self.engine) as s:
            rows = s.execute(
                select(Resident.id_number, Resident.region_code)
                .where(Resident.region_code.like(f"{self.region}%"), Resident.status == "active")
                .order_by(Resident.id)
            ).all()
        return [(n, r) for n, r in rows]

    def _due(self, id_number: str, user: str) -> Decimal | None:
        r = self.client.post(
            "/api/v1/residents/lookup", json={"id_number": id_number}, headers=self._auth(user)
        )
        body = self._ok(r, "look-up")
        line = next((c for c in body["campaigns"] if c["campaign"] == self.campaign_id), None)
        if line is None or line["enrolled"] or line["amount_due"] is None:
            return None
        due = Decimal(str(line["amount_due"]))
        return due if due > 0 else None

    # --- the season ---------------------------------------------------------------------

    def days(self) -> Iterator[dt.date]:
        day = self.plan.start
        while day <= self.plan.end:
            yield day
            day += dt.timedelta(days=self.plan.every)

    def open(self) -> None:
        self.set_today(self.plan.start)
        body = self._ok(
            self.client.post(
                "/api/v1/campaigns",
                json={"policy_id": self.policy, "region_code": self.region},
                headers=self._auth("admin"),
            ),
            "open the campaign",
            201,
        )
        self.campaign_id = int(body["id"])
        self._ok(
            self.client.post(f"{self._c}/assess", json={}, headers=self._auth("admin")), "assess the campaign"
        )

    def _bulletin_day(self, day: dt.date, last: dt.date | None) -> bool:
        """A bulletin on the first simulated day, on the first one on or after each bulletin date
        of a month (the 1st and 16th: 丰都 八（三） half-monthly), and on the last day."""
        if last is None or day + dt.timedelta(days=self.plan.every) > self.plan.end:
            return True
        due = (dt.date(d.year, d.month, n) for d in (last, day) for n in self.plan.bulletins)
        return any(last < d <= day for d in due)

    def run(self) -> Tally:
        if not self.campaign_id:
            self.open()
        month, last = None, None
        for day in self.days():
            self.set_today(day)
            if day.month != month:
                month = day.month
                self.department_list(day)
            self.counter_day(day)
            self.channel_day(day)
            if self.tally.days % self.plan.cancel_every == self.plan.cancel_every - 1:
                self.cancel_and_refund(day)
            self.tally.days += 1
            self.check(day)
            if self._bulletin_day(day, last):
                if self.check_reports is not None:
                    self.check_reports(self.campaign_id, day)
                self.tally.bulletins += 1
                last = day
        return self.tally

    def _unpaid(self, residents: list[tuple[str, str]], prefix: str = "") -> list[str]:
        return [n for n, r in residents if r.startswith(prefix) and n not in self.paid]

    def department_list(self, day: dt.date) -> None:
        """The month's 民政 list: a few residents become 低保对象 (the campaign re-prices them)."""
        residents = self._unpaid(self._residents())
        chosen = self._rng.sample(residents, min(self.plan.list_size, len(residents)))
        if not chosen:
            return
        listing = csv_bytes(
            ["姓名", "身份证号码", "救助类型"], ([f"居民{n[-4:]}", n, "低保对象"] for n in chosen)
        )
        r = self.client.post(
            "/api/v1/imports/lists",
            files={"file": (f"民政-{day:%Y%m}.csv", listing, "text/csv")},
            data={"source": "minzheng", "as_of": day.isoformat(), "mode": "add"},
            headers=self._auth("admin"),
        )
        self._ok(r, f"{day} 民政 list")
        self._ok(
            self.client.post(
                f"{self._c}/identity-changes", json={"on": day.isoformat()}, headers=self._auth("admin")
            ),
            f"{day} identity changes",
        )
        self.tally.lists += 1

    def counter_day(self, day: dt.date) -> None:
        residents = self._residents()
        for agent in sorted(u for u in self.users if u.startswith("agent:")):
            village = agent.split(":", 1)[1]
            taken = 0
            for n in self._unpaid(residents, village):
                if taken >= self.plan.counter:
                    break
                due = self._due(n, agent)
                if due is None:
                    continue
                taken += 1
                ref = self._ref("cash")
                pay = {"id_number": n, "amount": str(due), "channel": "cash", "external_ref": ref}
                if self._rng.random() < 0.15:  # a typing slip: 32 for 320
                    wrong = {**pay, "amount": str(max(Decimal("1.00"), (due / 10).quantize(Decimal("0.01"))))}
                    before = self._ledger_fen()
                    r = self.client.post(f"{self._c}/payments", json=wrong, headers=self._auth(agent))
                    if r.status_code != 422 or "amount_mismatch" not in r.text:
                        raise SeasonViolation(
                            f"{day}: a wrong counter amount was not refused: {r.text[:300]}"
                        )
                    if self._ledger_fen() != before:
                        raise SeasonViolation(f"{day}: a refused counter payment wrote to the ledger")
                    self.tally.refused_wrong_amount += 1
                body = self._ok(
                    self.client.post(f"{self._c}/payments", json=pay, headers=self._auth(agent)),
                    f"{day} counter payment",
                )
                if body["status"] != "accepted":
                    raise SeasonViolation(f"{day}: a counter payment of the amount due was {body['status']}")
                line = Line("cash", ref, n, int(due * 100), day, "accepted")
                self.statement.setdefault("cash", {})[ref] = line
                self.paid[n] = line
                self.tally.counter_payments += 1
                if self._rng.random() < 0.1:  # the same receipt sent twice (a double tap, a retry)
                    r = self.client.post(f"{self._c}/payments", json=pay, headers=self._auth(agent))
                    again = self._ok(r, f"{day} counter payment sent again", r.status_code)
                    if not again["replayed"] or again["payment_id"] != body["payment_id"]:
                        raise SeasonViolation(f"{day}: a repeated receipt was recorded twice")
                    self.tally.replayed += 1

    def _ref(self, channel: str) -> str:
        self._seq[channel] += 1
        return f"{channel[:2].upper()}{self.plan.seed:02d}{self._seq[channel]:07d}"

    def channel_day(self, day: dt.date) -> None:
        """One bank file: new payments with the right amounts, a wrong amount, an unknown ID, a
        second payment for someone already paid, the previous file's last lines again; now and
        then dated days before (a late file)."""
        residents = self._residents()
        late = self._rng.random() < 0.25
        paid_on = max(self.plan.start, day - dt.timedelta(days=3)) if late else day
        lines: list[Line] = []
        for n in reversed(self._unpaid(residents)):
            if len(lines) >= self.plan.file_lines:
                break
            due = self._due(n, "officer")
            if due is not None:
                lines.append(Line("bank", self._ref("bank"), n, int(due * 100), paid_on, "accepted"))
        if lines:  # the last one pays a yuan short
            v = lines[-1]
            lines[-1] = Line("bank", v.ref, v.id_number, v.amount_fen - 100, paid_on, "held")
        if self.paid:
            someone = self._rng.choice(sorted(self.paid))
            lines.append(
                Line("bank", self._ref("bank"), someone, self.paid[someone].amount_fen, paid_on, "held")
            )
        born = dt.date(1960, 1, 1) + dt.timedelta(days=self._seq["bank"])
        stranger = ids.make(self.region[:6], born, 999)
        lines.append(Line("bank", self._ref("bank"), stranger, 38000, paid_on, "unmatched"))
        again = list(self.statement.get("bank", {}).values())[-3:]
        body = self._post_file("bank", [*lines, *again], f"{day} bank file")
        if body["replayed"] != len(again):
            raise SeasonViolation(f"{day}: {len(again)} lines sent again, {body['replayed']} skipped")
        want = Counter(ln.expect for ln in lines)
        got = {k: v for k, v in body["status"].items() if v}
        if got != dict(want):
            raise SeasonViolation(
                f"{day}: the bank file's lines ended as {got}, the bank expects {dict(want)}"
            )
        for ln in lines:
            self.statement.setdefault("bank", {})[ln.ref] = ln
            if ln.expect == "accepted":
                self.paid[ln.id_number] = ln
        self.tally.file_lines += len(lines)
        self.tally.held += want["held"]
        self.tally.unmatched += want["unmatched"]

    def _post_file(self, channel: str, lines: list[Line], what: str) -> Any:
        data = csv_bytes(
            ["交易流水号", "身份证号码", "金额", "缴费日期"],
            (
                [ln.ref, ln.id_number, f"{Decimal(ln.amount_fen) / 100:.2f}", ln.paid_on.isoformat()]
                for ln in lines
            ),
        )
        r = self.client.post(
            f"{self._c}/payments/import",
            files={"file": ("payments.csv", data, "text/csv")},
            data={"channel": channel},
            headers=self._auth("officer"),
        )
        return self._ok(r, what)

    def cancel_and_refund(self, day: dt.date) -> None:
        """An officer cancels one counter payment (the resident turned out to be insured as an
        employee); a second officer approves the refund; the bank pays it and says so."""
        cash = [ln for ln in self.paid.values() if ln.channel == "cash"]
        if not cash:
            return
        ln = cash[0]
        body = self._ok(
            self.client.post(
                f"{self._c}/payments/cancel",
                json={"channel": "cash", "external_ref": ln.ref, "reason": "已参加职工医保"},
                headers=self._auth("officer"),
            ),
            f"{day} cancel",
        )
        if body["status"] != "refunded":
            raise SeasonViolation(f"{day}: a cancelled payment is {body['status']}")
        del self.paid[ln.id_number]
        self.tally.cancelled += 1
        page = self._ok(
            self.client.get(
                f"{self._c}/refunds", params={"status": "pending"}, headers=self._auth("checker")
            ),
            f"{day} pending refunds",
        )
        pending = [r["id"] for r in page["items"]]
        if not pending:
            raise SeasonViolation(f"{day}: a cancelled payment left no refund to approve")
        self._ok(
            self.client.post(
                f"{self._c}/refunds/approve", json={"refund_ids": pending}, headers=self._auth("checker")
            ),
            f"{day} approve refunds",
        )
        r = self.client.post(
            f"{self._c}/refunds/file",
            params={"channel": "bank", "format": "csv"},
            headers=self._auth("finance"),
        )
        if r.status_code != 200:
            raise SeasonViolation(f"{day} refund file: HTTP {r.status_code}: {r.text[:300]}")
        sent = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        header, rows = sent[0], sent[1:]
        ref_at = next(i for i, h in enumerate(header) if "编号" in h)
        amount_at = next(i for i, h in enumerate(header) if "金额" in h)
        answers = []
        for i, row in enumerate(rows):
            ref, amount = row[ref_at].lstrip("'"), row[amount_at].lstrip("'")
            answers.append([ref, "成功", amount, day.isoformat(), f"BK{day:%m%d}{i:04d}", ""])
            self.refund_success_fen += int(Decimal(amount) * 100)
        result = csv_bytes(["退费编号", "结果", "金额", "支付日期", "渠道流水号", "原因"], answers)
        body = self._ok(
            self.client.post(
                f"{self._c}/refunds/result",
                files={"file": ("result.csv", result, "text/csv")},
                params={"channel": "bank"},
                headers=self._auth("finance"),
            ),
            f"{day} refund result",
        )
        if body["problems"]:
            raise SeasonViolation(f"{day}: the bank's refund result was not applied: {body['problems']}")
        self.tally.refunds_paid += int(body["paid"])

    # --- invariants -------------------------------------------------------------------------

    def _ledger_fen(self) -> int:
        return ledger_fen(self.engine, self.campaign_id)

    def check(self, day: dt.date) -> None:
        """The invariants after ``day`` (see the module's docstring; :mod:`.season_checks`)."""
        rec = self._ok(
            self.client.get(f"{self._c}/reconcile", headers=self._auth("officer")), f"{day} reconcile"
        )
        check_money(
            self.engine,
            self.campaign_id,
            day,
            statement=self.statement,
            paid=len(self.paid),
            refund_success_fen=self.refund_success_fen,
            reconciliation=rec,
        )
        check_states(self.engine, self.campaign_id, self.region, day)
        on = {"on": day.isoformat()}
        total = self._ok(
            self.client.get(
                f"{self._c}/progress", params={**on, "level": "town"}, headers=self._auth("officer")
            ),
            f"{day} progress",
        )["total"]
        listed = self._ok(
            self.client.get(
                f"{self._c}/lists/not-enrolled", params={**on, "limit": 1}, headers=self._auth("officer")
            ),
            f"{day} not-enrolled list",
        )["total"]
        check_split(day, total, listed)
        self.tally.checks += 1


__all__ = ["Line", "Season", "SeasonPlan", "SeasonViolation", "Tally"]
