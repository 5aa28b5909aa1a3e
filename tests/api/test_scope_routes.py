"""Every route of the API × a user outside the data's region × a user whose role lacks the route's
permission: nothing out of scope is returned or changed.

The routes come from the app's route table. Each needs an entry in ``CASES`` (how to call it with
the ids of real rows of town B, 城东街道 500114002) or in ``EXEMPT`` (public, with the reason);
a route in neither fails ``test_every_route_has_a_scope_case`` ("new endpoint without a scope
case"). For every case the test calls the route as

- ``admin_a``: a bureau administrator (every permission) whose region is town A (500114001);
- ``admin_shetan``: a bureau administrator of 社坛镇 (another county), with its own 2023 campaign
  (so whole-campaign listings such as duplicates are reached);
- a county-wide user whose role lacks the route's permission (read from the route's ``need``
  dependency): always 403;

and checks that the answer has the expected status, that its body holds none of town B's names,
ID numbers (full or masked), region code or user names, and that town B's rows are unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from apiworld import AS_OF, PASSWORD, World
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from urrbmi import ids
from urrbmi.access import accounts
from urrbmi.access.roles import PERMISSIONS, ROLE_PERMISSIONS
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign
from urrbmi.campaign.changes import record_external_enrollment
from urrbmi.campaign.schools import register_school, upload_roster
from urrbmi.db.models import Campaign, Enrollment, Membership, Payment, Refund, Region, Resident
from urrbmi.db.models_access import ROLES, ApiSession, User
from urrbmi.db.models_fieldwork import CredentialActivation, ResidentContact, VisitOutcome
from urrbmi.db.models_handover import CashHandover
from urrbmi.db.models_imports import ReviewItem
from urrbmi.db.models_schools import School, SchoolPupil
from urrbmi.db.session import session_scope
from urrbmi.imports.load import load_list
from urrbmi.interfaces.api import create_app
from urrbmi.registry.residents import NewResident, add_resident

TOWN_B = "500114002"
VILLAGE_B = "500114002001"
SECRET_NAMES = ("乙镇秘甲", "乙镇秘乙", "乙镇秘丙")
OUTSIDERS = {"admin_a": ("bureau_admin", "500114001001"), "admin_shetan": ("bureau_admin", "500230108")}
OWN_VILLAGE = {"admin_a": "500114001001", "admin_shetan": "500230108"}

# Routes that need no user, or carry no data of anyone: exempt, with the reason.
EXEMPT: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): "the API's description, no data",
    ("GET", "/docs"): "the API's documentation page",
    ("GET", "/docs/oauth2-redirect"): "the documentation page's login helper",
    ("GET", "/redoc"): "the API's documentation page",
    ("GET", "/api/v1/policies"): "public: the published policies, no personal data",
    ("GET", "/api/v1/policies/{policy_id}"): "public: one published policy",
    ("POST", "/api/v1/policies/{policy_id}/quote"): "public: prices the facts sent, reads no registry",
    ("GET", "/api/v1/policy-comparisons"): "public: two published policies compared",
    ("POST", "/api/v1/auth/login"): "public: login (tests/api/test_auth.py)",
    ("POST", "/api/v1/public/lookup"): "public self-service lookup, ID + name, discloses only the amount "
    "(test_public_channels_audit.py)",
    ("POST", "/api/v1/channels/{channel}/payments"): "webhook: HMAC-signed by a payment channel, not a user "
    "(test_public_channels_audit.py)",
    ("GET", "/"): "the static web UI (its data comes from the routes above)",
    ("MOUNT", "/static"): "the static web UI's files",
}


@dataclass
class Ctx:
    world: World
    client: TestClient
    campaign: int  # the county campaign (黔江 2022): town B's payments are in it
    shetan_campaign: int  # 社坛镇 2023, where town B's residents are enrolled twice
    b_numbers: list[str]
    b_resident: int
    b_payment_held: int
    b_review_item: int
    hukou_batch: int
    b_check_token: str
    a_numbers: list[str]
    b_handover: int
    b_refund: int = 0  # a pending refund of a town B resident
    b_school: int = 0  # a school of town B with town B's pupils on its roster
    b_visit: int = 0  # a visit outcome (paid elsewhere, with a voucher) of a town B resident
    b_bulletin: int = 0  # a bulletin issued for town B (issue 18 item 5)


@dataclass(frozen=True)
class Call:
    """One request; ``expect``: the statuses an outsider may get (admin_shetan may also get 403)."""

    expect: frozenset[int]
    path: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] | None = None
    json: Any = None
    files: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    fresh_token: bool = False  # logout: on a token of its own


LIST = frozenset({200})
DENY = frozenset({403})
GONE = frozenset({404})


def c(ctx: Ctx) -> dict[str, Any]:
    return {"campaign_id": ctx.campaign}


def new_id(seq: int) -> str:
    return ids.make("500114", dt.date(1999, 9, 9), seq)


def payment_file(ctx: Ctx) -> dict[str, Any]:
    rows = "".join(f"SC-{i},{n},1.00,{AS_OF.isoformat()}\n" for i, n in enumerate(ctx.b_numbers))
    return {"file": ("pay.csv", ("交易流水号,身份证号码,金额,缴费日期\n" + rows).encode(), "text/csv")}


def minzheng(rows: list[tuple[str, str]], town: str) -> bytes:
    head = "序号,姓名,性别,身份证号码,人员类别,所属乡镇,认定时间\n"
    body = "".join(
        f"{i + 1},{name},{'男' if int(n[16]) % 2 else '女'},{n},低保对象,{town},2021-01-01\n"
        for i, (n, name) in enumerate(rows)
    )
    return (head + body).encode("gb18030")


def school_roster_bytes(numbers: list[str]) -> bytes:
    rows = "".join(f"{n},{name}\n" for n, name in zip(numbers, SECRET_NAMES, strict=True))
    return ("身份证号码,姓名\n" + rows).encode()


def school_roster(ctx: Ctx) -> dict[str, Any]:
    return {"file": ("名册.csv", school_roster_bytes(ctx.b_numbers), "text/csv")}


Builder = Callable[[Ctx, str], list[Call]]
ON = {"on": "2021-12-31"}

CASES: dict[tuple[str, str], Builder] = {
    # --- auth: the user's own session, nothing of anyone else
    ("POST", "/api/v1/auth/logout"): lambda x, u: [Call(frozenset({204}), fresh_token=True)],
    ("GET", "/api/v1/auth/me"): lambda x, u: [Call(LIST)],
    ("GET", "/api/v1/auth/csrf"): lambda x, u: [Call(frozenset({200, 404}))],
    # --- regions
    ("GET", "/api/v1/regions"): lambda x, u: [Call(LIST), Call(DENY, params={"under": TOWN_B})],
    ("POST", "/api/v1/regions"): lambda x, u: [
        Call(DENY, json={"code": "500114002009", "name": "新村", "level": "village", "parent_code": TOWN_B})
    ],
    # --- residents
    ("POST", "/api/v1/residents/lookup"): lambda x, u: [Call(DENY, json={"id_number": x.b_numbers[0]})],
    ("GET", "/api/v1/residents"): lambda x, u: [Call(LIST), Call(DENY, params={"region": TOWN_B})],
    ("POST", "/api/v1/residents"): lambda x, u: [
        # an ID registered in town B, registered again in one's own village: refused, nothing told
        Call(
            frozenset({409}),
            json={"id_number": x.b_numbers[0], "name": "某某", "region_code": OWN_VILLAGE[u]},
        ),
        Call(DENY, json={"id_number": new_id(11), "name": "某某", "region_code": VILLAGE_B}),
    ],
    ("GET", "/api/v1/residents/{resident_id}"): lambda x, u: [Call(DENY, path={"resident_id": x.b_resident})],
    ("PATCH", "/api/v1/residents/{resident_id}"): lambda x, u: [
        Call(DENY, path={"resident_id": x.b_resident}, json={"row_version": 1, "name": "改名"})
    ],
    ("POST", "/api/v1/residents/{resident_id}/identities"): lambda x, u: [
        Call(
            DENY,
            path={"resident_id": x.b_resident},
            json={"category": "低保对象", "valid_from": "2021-01-01"},
        )
    ],
    ("POST", "/api/v1/residents/{resident_id}/identities/end"): lambda x, u: [
        Call(
            DENY, path={"resident_id": x.b_resident}, json={"category": "特困人员", "valid_to": "2021-06-30"}
        )
    ],
    ("GET", "/api/v1/residents/{resident_id}/history"): lambda x, u: [
        Call(DENY, path={"resident_id": x.b_resident})
    ],
    ("POST", "/api/v1/residents/{resident_id}/external-enrollments"): lambda x, u: [
        Call(DENY, path={"resident_id": x.b_resident}, json={"benefit_year": 2022, "region_code": "500230"})
    ],
    # --- campaigns and payments
    ("GET", "/api/v1/campaigns"): lambda x, u: [Call(LIST)],
    ("POST", "/api/v1/campaigns"): lambda x, u: [
        Call(DENY, json={"policy_id": "qianjiang-2022", "region_code": TOWN_B})
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}"): lambda x, u: [Call(LIST, path=c(x))],
    ("POST", "/api/v1/campaigns/{campaign_id}/assess"): lambda x, u: [Call(DENY, path=c(x), json={})],
    ("GET", "/api/v1/campaigns/{campaign_id}/roster"): lambda x, u: [
        Call(LIST, path=c(x), params={"format": "csv", "include_paid": "true"})
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/reconcile"): lambda x, u: [Call(DENY, path=c(x))],
    ("POST", "/api/v1/campaigns/{campaign_id}/identity-changes"): lambda x, u: [
        Call(DENY, path=c(x), json={"on": "2021-12-31"})
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/duplicates"): lambda x, u: [
        Call(DENY, path=c(x)),
        Call(LIST if u == "admin_shetan" else DENY, path={"campaign_id": x.shetan_campaign}),
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/newborns"): lambda x, u: [
        Call(
            DENY,
            path=c(x),
            json={
                "id_number": ids.make("500114", dt.date(2021, 11, 1), 12),
                "name": "新生儿",
                "region_code": OWN_VILLAGE[u],
                "guardian_id_number": x.b_numbers[0],
            },
        )
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/payments"): lambda x, u: [
        Call(
            DENY,
            path=c(x),
            json={
                "id_number": x.b_numbers[1],
                "amount": "1.00",
                "external_ref": "SC-P",
                "paid_on": "2021-12-15",
            },
        )
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/payments/import"): lambda x, u: [
        Call(DENY, path=c(x), files=payment_file(x), data={"channel": "bank"})
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/payments/cancel"): lambda x, u: [
        Call(DENY, path=c(x), json={"channel": "cash", "external_ref": "B-PAID", "reason": "退费"})
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/payments/{payment_id}/accept"): lambda x, u: [
        Call(DENY, path=c(x) | {"payment_id": x.b_payment_held}, json={"reason": "复核"})
    ],
    # --- cash handover: town B's agent's batch (its agent's name must not show)
    ("GET", "/api/v1/campaigns/{campaign_id}/handovers/daily"): lambda x, u: [
        Call(LIST, path=c(x), params={"day": AS_OF.isoformat(), "agent": "api:admin_b"})
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/handovers/report"): lambda x, u: [
        Call(LIST, path=c(x), params={"older_than_days": 0})
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/handovers"): lambda x, u: [
        Call(frozenset({409}), path=c(x), json={"through": AS_OF.isoformat()})  # none of one's own
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/handovers"): lambda x, u: [
        Call(LIST, path=c(x)),
        Call(LIST, path=c(x), params={"agent": "api:admin_b"}),
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/handovers/{handover_id}"): lambda x, u: [
        Call(DENY, path=c(x) | {"handover_id": x.b_handover})
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/handovers/{handover_id}/confirm"): lambda x, u: [
        Call(DENY, path=c(x) | {"handover_id": x.b_handover}, json={"received": "1.00", "reason": "x"})
    ],
    # --- refunds and 补发 (town B's pending refund: never listed, decided, sent or paid by an outsider)
    ("GET", "/api/v1/campaigns/{campaign_id}/refunds"): lambda x, u: [
        Call(LIST, path=c(x)),
        Call(LIST, path=c(x), params={"status": "pending"}),
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/refunds/approve"): lambda x, u: [
        Call(DENY, path=c(x), json={"refund_ids": [x.b_refund]})
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/refunds/reject"): lambda x, u: [
        Call(DENY, path=c(x), json={"refund_ids": [x.b_refund], "reason": "驳回"})
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/refunds/file"): lambda x, u: [
        Call(DENY, path=c(x), params={"channel": "bank", "format": "csv"})
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/refunds/result"): lambda x, u: [
        Call(
            DENY,
            path=c(x),
            files={
                "file": (
                    "res.csv",
                    f"退费编号,结果,金额（元）,支付日期\n{x.b_refund},成功,1.00,2022-01-05\n".encode(),
                    "text/csv",
                )
            },
        )
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/refunds/reconcile"): lambda x, u: [
        Call(LIST, path=c(x), params={"days": "0"})
    ],
    # --- schools as payers: town B's school (its name, pupils and statement never shown)
    ("GET", "/api/v1/schools"): lambda x, u: [Call(LIST)],
    ("POST", "/api/v1/schools"): lambda x, u: [
        Call(DENY, json={"name": "城东二小", "region_code": VILLAGE_B})
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/schools/{school_id}/roster"): lambda x, u: [
        Call(DENY, path=c(x) | {"school_id": x.b_school}, files=school_roster(x))
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/schools/{school_id}/roster/confirm"): lambda x, u: [
        Call(DENY, path=c(x) | {"school_id": x.b_school})
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/schools/{school_id}/statement"): lambda x, u: [
        Call(DENY, path=c(x) | {"school_id": x.b_school}, params={"on": AS_OF.isoformat()})
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/schools/{school_id}/statement/file"): lambda x, u: [
        Call(DENY, path=c(x) | {"school_id": x.b_school}, params={"format": "csv"})
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/schools/{school_id}/payments"): lambda x, u: [
        Call(
            DENY,
            path=c(x) | {"school_id": x.b_school},
            json={"amount": "1.00", "external_ref": "SC-S", "paid_on": AS_OF.isoformat()},
        )
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/schools/{school_id}/payments/import"): lambda x, u: [
        Call(DENY, path=c(x) | {"school_id": x.b_school}, files=payment_file(x), data={"channel": "bank"})
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/schools/progress"): lambda x, u: [
        Call(LIST, path=c(x), params=ON)
    ],
    # --- targets, lists for action, funding
    ("GET", "/api/v1/campaigns/{campaign_id}/progress"): lambda x, u: [
        Call(LIST, path=c(x), params=ON | {"level": level, "rate": "0.95"})
        for level in ("county", "town", "village")
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/bulletin"): lambda x, u: [
        Call(LIST, path=c(x), params=ON | {"format": f, "rate": "0.95"}) for f in ("json", "html")
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/lists/not-enrolled"): lambda x, u: [
        Call(LIST, path=c(x), params=ON),
        Call(DENY, path=c(x), params=ON | {"region": TOWN_B}),
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/lists/not-enrolled/xlsx"): lambda x, u: [
        Call(LIST, path=c(x), params=ON),
        Call(DENY, path=c(x), params=ON | {"region": TOWN_B}),
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/lists/hardship"): lambda x, u: [
        Call(LIST, path=c(x), params=ON),
        Call(DENY, path=c(x), params=ON | {"region": TOWN_B}),
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/lists/identity-changed"): lambda x, u: [
        Call(DENY, path=c(x), params=ON)
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/funding"): lambda x, u: [Call(LIST, path=c(x), params=ON)],
    ("GET", "/api/v1/campaigns/{campaign_id}/incentive"): lambda x, u: [Call(DENY, path=c(x), params=ON)],
    ("GET", "/api/v1/campaigns/{campaign_id}/charts"): lambda x, u: [Call(LIST, path=c(x), params=ON)],
    # --- issue 18 items 2-6: group targets, task tables, list deadlines, bulletin archive, funding
    ("GET", "/api/v1/campaigns/{campaign_id}/group-targets"): lambda x, u: [Call(LIST, path=c(x), params=ON)],
    ("POST", "/api/v1/campaigns/{campaign_id}/task-tables/check"): lambda x, u: [
        Call(DENY, path=c(x), files={"file": ("t.csv", "乡镇,任务数\n城东街道,1\n".encode(), "text/csv")})
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/task-tables"): lambda x, u: [
        Call(
            DENY,
            path=c(x),
            files={"file": ("t.csv", "乡镇,任务数\n城东街道,1\n".encode(), "text/csv")},
            data={"name": "b-tasks", "level": "town"},
        )
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/task-tables/versions"): lambda x, u: [Call(DENY, path=c(x))],
    ("GET", "/api/v1/campaigns/{campaign_id}/task-tables/{name}/versions/{version}/file"): lambda x, u: [
        Call(DENY, path=c(x) | {"name": "b-tasks", "version": 1})
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/list-deadlines"): lambda x, u: [
        Call(DENY, path=c(x), params=ON)
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/bulletins"): lambda x, u: [
        Call(LIST, path=c(x), json={"on": "2021-12-30", "rate": "0.95"})
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/bulletins"): lambda x, u: [Call(LIST, path=c(x), params=ON)],
    ("GET", "/api/v1/campaigns/{campaign_id}/bulletins/{issue_id}"): lambda x, u: [
        Call(GONE, path=c(x) | {"issue_id": x.b_bulletin}, params={"format": f}) for f in ("json", "html")
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/bulletins/{issue_id}/recheck"): lambda x, u: [
        Call(GONE, path=c(x) | {"issue_id": x.b_bulletin})
    ],
    ("GET", "/api/v1/campaigns/{campaign_id}/funding/levels"): lambda x, u: [
        Call(DENY, path=c(x), params=ON)
    ],
    ("POST", "/api/v1/campaigns/{campaign_id}/funding/payments"): lambda x, u: [
        Call(
            DENY,
            path=c(x),
            json={"level": "county", "amount": "1.00", "paid_on": "2021-12-31", "reference": "B"},
        )
    ],
    # --- department lists and the review queue
    ("POST", "/api/v1/imports/lists"): lambda x, u: [
        # a list naming town B's residents otherwise: their rows are not loaded, no review item
        Call(
            LIST,
            files={
                "file": ("低保.csv", minzheng([(n, "别名") for n in x.b_numbers], "城东街道"), "text/csv")
            },
            data={"source": "minzheng", "as_of": "2021-11-30", "confirm_removals": "true"},
        )
    ],
    ("GET", "/api/v1/imports/reviews"): lambda x, u: [Call(LIST, params={"status": "all"})],
    ("GET", "/api/v1/imports/batches/{batch_id}/absent"): lambda x, u: [
        Call(LIST, path={"batch_id": x.hukou_batch})
    ],
    ("GET", "/api/v1/imports/reviews/{item_id}"): lambda x, u: [
        Call(DENY, path={"item_id": x.b_review_item})
    ],
    ("POST", "/api/v1/imports/reviews/{item_id}/decide"): lambda x, u: [
        Call(DENY, path={"item_id": x.b_review_item}, json={"decision": "take_file"})
    ],
    ("POST", "/api/v1/imports/lists/check"): lambda x, u: [
        Call(
            LIST,
            files={"file": ("低保.csv", minzheng([(x.a_numbers[0], "居民0")], "城西街道"), "text/csv")},
            data={"source": "minzheng"},
        )
    ],
    ("GET", "/api/v1/imports/lists/check/{token}/rows"): lambda x, u: [
        Call(GONE, path={"token": x.b_check_token})
    ],
    ("GET", "/api/v1/imports/lists/check/{token}/report"): lambda x, u: [
        Call(GONE, path={"token": x.b_check_token})
    ],
    # --- field work (issue 15): town B's residents, visit, phone and activation stay out of sight
    ("GET", "/api/v1/fieldwork/worklist"): lambda x, u: [
        Call(LIST),
        Call(LIST, params={"q": "乙镇", "state": "all"}),
        Call(LIST, params={"q": x.b_numbers[0][-6:], "state": "all"}),
        Call(DENY, params={"region": VILLAGE_B}),
    ],
    ("GET", "/api/v1/fieldwork/households/{resident_id}"): lambda x, u: [
        Call(DENY, path={"resident_id": x.b_resident})
    ],
    ("POST", "/api/v1/fieldwork/payments"): lambda x, u: [
        Call(
            DENY,
            json={"request_ref": "SCOPE-1", "members": [{"resident_id": x.b_resident, "amount": "1.00"}]},
        )
    ],
    ("POST", "/api/v1/fieldwork/visits"): lambda x, u: [
        Call(
            DENY,
            json={"resident_id": x.b_resident, "outcome": "refused", "reason": "x", "phone": "13900003333"},
        )
    ],
    ("POST", "/api/v1/fieldwork/visits/{visit_id}/reduction"): lambda x, u: [
        Call(DENY, path={"visit_id": x.b_visit}, json={"evidence_ref": "X-1"})
    ],
    ("GET", "/api/v1/fieldwork/reminders"): lambda x, u: [
        Call(LIST),
        Call(DENY, params={"region": VILLAGE_B}),
    ],
    ("GET", "/api/v1/fieldwork/reminders/export"): lambda x, u: [
        Call(LIST),
        Call(DENY, params={"region": VILLAGE_B}),
    ],
    ("GET", "/api/v1/fieldwork/not-activated"): lambda x, u: [
        Call(LIST),
        Call(DENY, params={"region": VILLAGE_B}),
    ],
    ("GET", "/api/v1/fieldwork/activation"): lambda x, u: [
        Call(LIST),
        Call(LIST, params={"level": "town"}),
        Call(DENY, params={"region": TOWN_B}),
    ],
    ("POST", "/api/v1/fieldwork/activations/import"): lambda x, u: [
        Call(
            LIST,
            files={
                "file": (
                    "激活.csv",
                    ("身份证号码,激活日期\n" + "".join(f"{n},2021-12-01\n" for n in x.b_numbers)).encode(),
                    "text/csv",
                )
            },
        )
    ],
    # --- the audit log and accounts
    ("GET", "/api/v1/audit"): lambda x, u: [
        Call(LIST, params={"limit": 500} | ({"table": t} if t else {}))
        for t in (
            None,
            "residents",
            "users",
            "payments",
            "memberships",
            "enrollments",
            "review_items",
            "cash_handovers",
            "schools",
            "school_pupils",
            "visit_outcomes",
            "resident_contacts",
            "credential_activations",
        )
    ],
    ("GET", "/api/v1/users"): lambda x, u: [Call(LIST, params={"limit": 500})],
    ("POST", "/api/v1/users"): lambda x, u: [
        Call(
            DENY,
            json={
                "username": "new_b",
                "password": PASSWORD,
                "role": "village_agent",
                "region_code": VILLAGE_B,
            },
        )
    ],
    ("POST", "/api/v1/users/{username}/disable"): lambda x, u: [Call(DENY, path={"username": "agent_b"})],
    ("POST", "/api/v1/users/{username}/password"): lambda x, u: [
        Call(DENY, path={"username": "agent_b"}, json={"password": "another long password"})
    ],
}


def route_table() -> Iterator[tuple[str, str, Any]]:
    """(method, path, route) for every route the app serves, routers included."""
    app = create_app("sqlite://")
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI ≥ 0.16x keeps included routers lazy

        routes: list[Any] = [(rc.original_route, rc.path) for rc in iter_route_contexts(app.routes)]
    except ImportError:  # pragma: no cover - older FastAPI: the routes are flat
        routes = [(r, getattr(r, "path", "")) for r in app.routes]
    for route, path in routes:
        methods = getattr(route, "methods", None)
        if not methods:
            yield "MOUNT", path, route
            continue
        for m in sorted(set(methods) - {"HEAD", "OPTIONS"}):
            yield m, path, route


ROUTES = sorted({(m, p): r for m, p, r in route_table()}.items())
SCOPED = [(key, route) for key, route in ROUTES if key not in EXEMPT]


def required_permission(route: Any) -> str | None:
    """The permission of the route's ``need(...)`` dependency, if any."""
    by_name = {f"need_{p.replace('.', '_')}": p for p in PERMISSIONS}
    if not isinstance(route, APIRoute):
        return None
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        name = getattr(dep.call, "__name__", "")
        if name in by_name:
            return by_name[name]
        stack.extend(dep.dependencies)
    return None


def test_every_route_has_a_scope_case() -> None:
    missing = [key for key, _ in ROUTES if key not in CASES and key not in EXEMPT]
    assert not missing, f"new endpoint without a scope case (add it to CASES or EXEMPT): {missing}"
    stale = [key for key in list(CASES) + list(EXEMPT) if key not in dict(ROUTES)]
    assert not stale, f"scope cases for routes that no longer exist: {stale}"
    assert not set(CASES) & set(EXEMPT)


# --- the world: town B's data, and the users outside it ------------------------------------------


def fingerprint(world: World) -> list[Any]:
    """Town B's rows (residents, identities, payments, enrollments, refunds, review items, users and
    their sessions, regions) and the number of residents and campaigns: what no outsider may change."""
    with session_scope(world.engine) as s:
        b_ids = select(Resident.id).where(Resident.region_code.startswith(TOWN_B))
        out: list[Any] = [
            s.scalar(select(func.count()).select_from(Resident)),
            s.scalar(select(func.count()).select_from(Campaign)),
        ]
        for model, cond in (
            (Resident, Resident.region_code.startswith(TOWN_B)),
            (Membership, Membership.resident_id.in_(b_ids)),
            (Payment, Payment.resident_id.in_(b_ids)),
            (Enrollment, Enrollment.resident_id.in_(b_ids)),
            (Refund, Refund.resident_id.in_(b_ids)),
            (ReviewItem, ReviewItem.region_code.startswith(TOWN_B)),
            (User, User.region_code.startswith(TOWN_B)),
            (ApiSession, ApiSession.user_id.in_(select(User.id).where(User.region_code.startswith(TOWN_B)))),
            (Region, Region.code.startswith(TOWN_B)),
            (CashHandover, CashHandover.region_code.startswith(TOWN_B)),
            (School, School.region_code.startswith(TOWN_B)),
            (SchoolPupil, SchoolPupil.resident_id.in_(b_ids)),
            (VisitOutcome, VisitOutcome.region_code.startswith(TOWN_B)),
            (ResidentContact, ResidentContact.resident_id.in_(b_ids)),
            (CredentialActivation, CredentialActivation.resident_id.in_(b_ids)),
        ):
            cols = [col for col in model.__table__.columns if col.name not in ("last_seen_at",)]
            rows = s.execute(select(*cols).where(cond)).all()
            out.append(sorted(repr(tuple(r)) for r in rows))
        return out


@pytest.fixture
def ctx(world: World, client: TestClient) -> Ctx:
    actor = "test"
    b_numbers = [ids.make("500114", dt.date(1955, 5, 5), seq) for seq in (901, 903, 905)]
    logins: list[str] = []
    with session_scope(world.engine) as s:
        for n, name in zip(b_numbers, SECRET_NAMES, strict=True):
            add_resident(s, NewResident(n, name, VILLAGE_B), actor=actor)
        assess(s, s.get(Campaign, world.campaign_id), AS_OF, actor=actor)  # type: ignore[arg-type]
        shetan = create_campaign(s, "fengdu-shetan-2023", "500230108", actor=actor)
        for region in ("500114", "500230"):  # enrolled twice for 2023: a duplicate
            record_external_enrollment(s, b_numbers[0], 2023, region, enrolled_on=AS_OF, actor=actor)
        for name, (role, region) in OUTSIDERS.items():
            accounts.create_user(s, name, PASSWORD, role, region, actor=actor)
            logins.append(name)
        accounts.create_user(s, "admin_b", PASSWORD, "bureau_admin", TOWN_B, actor=actor)
        logins.append("admin_b")
        for role in ROLES:  # a county-wide user of every role, for the permission checks
            sources = ("minzheng",) if role == "dept_uploader" else ()
            accounts.create_user(s, f"role_{role}", PASSWORD, role, "500114", sources=sources, actor=actor)
            logins.append(f"role_{role}")
        hukou = f"姓名,公民身份号码,人口状态\n居民0,{world.people_a[0]},正常\n".encode("gb18030")
        hukou_batch = load_list(
            s, hukou, "hukou", dt.date(2021, 12, 1), actor=actor, file_name="户籍.csv"
        ).batch_id
        resident = s.scalars(select(Resident.id).where(Resident.id_number == b_numbers[0])).one()
    for name in logins:
        world.tokens[name] = accounts.login(world.engine, name, PASSWORD, "token").token
    hb = world.auth("admin_b")
    base = f"/api/v1/campaigns/{world.campaign_id}/payments"
    due = client.post("/api/v1/residents/lookup", json={"id_number": b_numbers[2]}, headers=hb).json()
    amount = str(due["campaigns"][0]["amount_due"])
    r = client.post(
        base,
        json={
            "id_number": b_numbers[2],
            "amount": amount,
            "external_ref": "B-PAID",
            "paid_on": AS_OF.isoformat(),
        },
        headers=hb,
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    # a bank's file keeps a wrong amount in the held queue (a counter payment is refused instead)
    data = f"交易流水号,身份证号码,金额,缴费日期\nB-HELD,{b_numbers[1]},1.00,{AS_OF.isoformat()}\n".encode()
    r = client.post(
        f"{base}/import",
        files={"file": ("bank.csv", data, "text/csv")},
        data={"channel": "bank"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200 and r.json()["held"] == {"amount_mismatch": 1}, r.text
    with session_scope(world.engine) as s:
        held = s.scalars(select(Payment.id).where(Payment.external_ref == "B-HELD")).one()
    r = client.post(
        f"/api/v1/campaigns/{world.campaign_id}/handovers", json={"through": AS_OF.isoformat()}, headers=hb
    )
    assert r.status_code == 200 and r.json()["receipts"] == 1, r.text
    handover = r.json()["id"]
    r = client.patch(
        f"/api/v1/residents/{resident}", json={"row_version": 1, "household_id": "HB-1"}, headers=hb
    )
    assert r.status_code == 200, r.text
    files = {"file": ("低保.csv", minzheng([(b_numbers[0], "乙镇秘丁")], "城东街道"), "text/csv")}
    r = client.post(
        "/api/v1/imports/lists",
        files=files,
        data={"source": "minzheng", "as_of": "2021-10-31", "confirm_removals": "true"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200 and r.json()["review_items"] == 1, r.text
    r = client.get("/api/v1/imports/reviews", headers=hb)
    item = r.json()["items"][0]["id"]
    r = client.post("/api/v1/imports/lists/check", files=files, data={"source": "minzheng"}, headers=hb)
    assert r.status_code == 200, r.text
    rb = client.post(
        f"/api/v1/campaigns/{world.campaign_id}/bulletins",
        json={"on": "2021-12-31", "rate": "0.95"},
        headers=hb,
    )
    assert rb.status_code == 200 and rb.json()["scope"] == TOWN_B, rb.text
    b_bulletin = rb.json()["id"]
    with session_scope(world.engine) as s:
        rf = Refund(
            campaign_id=world.campaign_id,
            resident_id=resident,
            kind="refund",
            amount_fen=100,
            reason="多缴",
            status="pending",
            created_at=dt.datetime.now(dt.UTC),
            created_by="api:admin_b",
        )
        s.add(rf)
        s.flush()
        b_refund = rf.id
        school = register_school(s, name="城东第一小学", region_code=VILLAGE_B, actor="api:admin_b")
        c_ = s.get(Campaign, world.campaign_id)
        assert c_ is not None
        got = upload_roster(s, school, c_, school_roster_bytes(b_numbers), actor="api:admin_b", on=AS_OF)
        assert got.pupils == 3, got.problems
        b_school = school.id
    rv = client.post(
        "/api/v1/fieldwork/visits",
        json={
            "resident_id": resident,
            "outcome": "paid_elsewhere",
            "reason": "在外地参保",
            "visited_on": AS_OF.isoformat(),
            "phone": "13900002222",
            "evidence_ref": "B-VOUCHER",
        },
        headers=hb,
    )
    assert rv.status_code == 201, rv.text
    b_visit = rv.json()["visit_id"]
    act = f"身份证号码,激活日期\n{b_numbers[1]},{AS_OF.isoformat()}\n".encode()
    rv = client.post(
        "/api/v1/fieldwork/activations/import", files={"file": ("激活.csv", act, "text/csv")}, headers=hb
    )
    assert rv.status_code == 200 and rv.json()["recorded"] == 1, rv.text
    return Ctx(
        world=world,
        client=client,
        campaign=world.campaign_id,
        shetan_campaign=shetan.id,
        b_numbers=b_numbers,
        b_resident=resident,
        b_payment_held=held,
        b_review_item=item,
        hukou_batch=hukou_batch,
        b_check_token=r.json()["token"],
        a_numbers=world.people_a,
        b_handover=handover,
        b_refund=b_refund,
        b_school=b_school,
        b_visit=b_visit,
        b_bulletin=b_bulletin,
    )


def secrets_of(ctx: Ctx) -> list[str]:
    out = [TOWN_B, "城东", "乙镇秘丁", "admin_b", "agent_b", "town_b", *SECRET_NAMES]
    for n in ctx.b_numbers:
        out += [n, ids.mask(n)]
    return out


def send(ctx: Ctx, method: str, path: str, call: Call, user: str) -> Any:
    url = path.format(**call.path)
    token = ctx.world.tokens[user]
    if call.fresh_token:
        token = accounts.login(ctx.world.engine, user, PASSWORD, "token").token
    return ctx.client.request(
        method,
        url,
        params=call.params,
        json=call.json,
        files=call.files,
        data=call.data,
        headers={"Authorization": f"Bearer {token}"},
    )


def lacking_role(permission: str) -> str:
    return next(r for r in ROLES if permission not in ROLE_PERMISSIONS[r])


def check_route(ctx: Ctx, key: tuple[str, str], route: Any, before: list[Any]) -> list[str]:
    """What went wrong calling one route as the outsiders and as a role lacking its permission."""
    method, path = key
    secrets = secrets_of(ctx)
    problems: list[str] = []
    permission = required_permission(route)
    for user in OUTSIDERS:
        for call in CASES[key](ctx, user):
            r = send(ctx, method, path, call, user)
            allowed = call.expect | ({403} if user == "admin_shetan" else set())
            if r.status_code not in allowed:
                problems.append(
                    f"{method} {path} as {user}: {r.status_code} not in {sorted(allowed)}: {r.text[:300]}"
                )
            leaked = [x for x in secrets if x in r.content.decode("utf-8", "replace")]
            if leaked:
                problems.append(f"{method} {path} as {user} {call.params or ''}: shows {leaked}")
            if fingerprint(ctx.world) != before:
                problems.append(f"{method} {path} as {user}: town B's data changed")
                before[:] = fingerprint(ctx.world)
        if permission is not None:
            role = lacking_role(permission)
            for call in CASES[key](ctx, user):
                r = send(ctx, method, path, call, f"role_{role}")
                if r.status_code != 403 or r.json()["error"]["code"] != "forbidden":
                    problems.append(f"{method} {path} as {role} (no {permission}): {r.status_code}")
                if fingerprint(ctx.world) != before:
                    problems.append(f"{method} {path} as {role}: town B's data changed")
                    before[:] = fingerprint(ctx.world)
    return problems


def test_no_route_shows_or_changes_anything_out_of_scope(ctx: Ctx) -> None:
    """One world per backend, every scoped route in turn; all problems are listed at the end."""
    before = fingerprint(ctx.world)
    problems = [p for key, route in SCOPED for p in check_route(ctx, key, route, before)]
    assert not problems, "\n".join(problems)
