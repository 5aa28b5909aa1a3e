"""What a department list's gains and losses change for the subsidy of residents already assessed
and paid in a campaign (the refund / top-up list, 退补名单).

The rule is the campaign policy's ``identity_change`` (Changji: 补发资助参保金; the Chongqing
notices: no refund, no top-up; silent notices: a :class:`urrbmi.errors.PolicyGap`), applied by
:func:`urrbmi.campaign.changes.identity_changes` (owned by the campaign part; called here, not
rewritten): it compares each paid resident's identities on ``on`` with those assessed and
records pending refunds once per payment.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi.campaign.campaigns import campaign_policy, get_campaign
from urrbmi.campaign.changes import IdentityChange, identity_changes
from urrbmi.db.models import Campaign
from urrbmi.export import Book
from urrbmi.imports.load import SourceNotAllowed
from urrbmi.policy.identities import all_identities
from urrbmi.registry.errors import PolicyChanged

EFFECT_HEADERS = (
    "身份证号码",
    "姓名",
    "已缴(元)",
    "原身份",
    "新身份",
    "按新身份应缴(元)",
    "处理",
    "金额(元)",
    "说明",
)
ACTION_ZH = {"refund": "退费（补发资助）", "top_up": "补缴", "none": "不退不补"}


def subsidy_effects(
    session: Session, campaign_id: int, on: dt.date, *, actor: str, scope: str = ""
) -> list[IdentityChange]:
    """The refund / top-up list of ``campaign_id`` for identities as on ``on`` (after the lists
    loaded up to then). The list covers the whole campaign: ``scope`` must contain the
    campaign's region (a county officer), otherwise :class:`SourceNotAllowed`."""
    c = get_campaign(session, campaign_id)
    if scope and not c.region_code.startswith(scope):
        raise SourceNotAllowed(
            "退补名单按整个征缴地区生成，需要覆盖该地区的权限",
            "the refund / top-up list covers the whole campaign region: a wider scope is needed",
        )
    return identity_changes(session, c, on, actor=actor)


def retro_subsidies(session: Session, residents: Any, on: dt.date, *, actor: str) -> int:
    """补发 as soon as an identity arrives after payment (昌吉 三: 对参保缴费后、动态新增的符合医疗
    救助资助参保的人员……补发资助参保金): for every campaign whose policy's ``identity_change`` is
    ``retro_subsidy`` and whose benefit year ``on`` falls in or before, the pending refunds of
    ``residents`` (ids, or a SELECT of ids) who paid more than their new identities owe, once per
    payment (:func:`urrbmi.campaign.changes.identity_changes`). Campaigns of other policies are
    left alone: listing changes under them stays the officer's `list changes`. Returns how many
    refunds the residents now have."""
    found = 0
    for c in session.scalars(select(Campaign).where(Campaign.benefit_year >= on.year)):
        if c.benefit_year > on.year + 1:
            continue  # a campaign of a later year: its payments are not made yet
        try:
            rule = campaign_policy(c).identity_change
        except PolicyChanged:  # re-pinned by an officer first; `list changes` then says so
            continue
        if rule != "retro_subsidy":
            continue
        changes = identity_changes(session, c, on, actor=actor, only=residents)
        found += sum(1 for x in changes if x.action == "refund")
    return found


def _names(codes: tuple[str, ...]) -> str:
    voc = all_identities()
    return "、".join(voc.by_code[c].name if c in voc.by_code else c for c in codes) or "（无）"


def write_effects(items: list[IdentityChange], path: Path) -> Path:
    """The list as an Excel workbook (Chinese headers; ID numbers masked as returned)."""
    book = Book(streaming=True)
    ws = book.sheet("退补名单")
    ws.append(list(EFFECT_HEADERS))
    for i in items:
        ws.append(
            [
                i.id_number,
                i.name,
                str(i.paid),
                _names(i.old_categories),
                _names(i.new_categories),
                "" if i.due_with_new is None else str(i.due_with_new),
                ACTION_ZH.get(i.action, i.action),
                str(i.amount),
                i.note,
            ]
        )
    return book.save(path)
