"""The principal of a request and the region scope every read and write goes through.

A :class:`Principal` carries the user's role and the code prefix of the region subtree it may see
(a county 652301, a town 652301001, a village 652301001001). Helpers here are the only way the
API reads residents and campaigns:

- :func:`resident_clause` is the SQL condition ``residents.region_code LIKE '<prefix>%'`` added to
  every query over residents;
- :func:`scoped_resident` loads one resident *through* that condition: a resident outside the
  scope and a resident that does not exist give the same :func:`~urrbmi.access.errors.out_of_scope`
  error (403), before anything is changed;
- :func:`check_region` refuses a write that would put a row outside the scope (registering a
  resident in another village, moving one out);
- :func:`scoped_campaign` gives a campaign whose region overlaps the scope; ``whole=True``
  requires the campaign's region to lie inside the scope (assessing, importing a channel file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.access.errors import not_permitted, out_of_scope
from urrbmi.access.roles import allowed
from urrbmi.campaign.campaigns import list_campaigns
from urrbmi.db.models import Campaign, Payment, Resident
from urrbmi.db.models_access import User
from urrbmi.registry.regions import get_region, prefix


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: str
    region_code: str
    region_prefix: str
    sources: frozenset[str] = field(default_factory=frozenset)
    session_kind: str = "token"

    @property
    def actor(self) -> str:
        """The name written in the audit log."""
        return f"api:{self.username}"

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise not_permitted(permission)

    def covers(self, region_code: str | None) -> bool:
        return region_code is not None and region_code.startswith(self.region_prefix)

    def show_id(self, number: str) -> str:
        """The ID number as this principal may see it: full with ``resident.full_id``, else masked."""
        return number if self.can("resident.full_id") else ids.mask(number)


def resident_clause(p: Principal) -> Any:
    return Resident.region_code.startswith(p.region_prefix, autoescape=True)


def check_region(p: Principal, region_code: str) -> None:
    if not p.covers(region_code):
        raise out_of_scope()


def scoped_resident(
    session: Session,
    p: Principal,
    *,
    id_number: str | None = None,
    resident_id: int | None = None,
    for_update: bool = False,
) -> Resident:
    """The resident, read through the scope condition (one query)."""
    stmt = select(Resident).where(resident_clause(p))
    if id_number is not None:
        stmt = stmt.where(Resident.id_number == ids.validate(id_number))
    elif resident_id is not None:
        stmt = stmt.where(Resident.id == resident_id)
    else:
        raise ValueError("id_number or resident_id")
    if for_update:
        stmt = stmt.with_for_update()
    found = session.scalars(stmt).first()
    if found is None:
        raise out_of_scope()
    return found


def campaign_visible(session: Session, p: Principal, c: Campaign) -> bool:
    """Whether the campaign's region overlaps the scope: inside it, or containing the user's region."""
    if p.covers(c.region_code):
        return True
    region = get_region(session, c.region_code)
    return p.region_code.startswith(prefix(region))


def visible_campaigns(session: Session, p: Principal) -> list[Campaign]:
    """Campaigns are few (one per region and year): filtered here rather than in SQL."""
    return [c for c in list_campaigns(session) if campaign_visible(session, p, c)]


def scoped_campaign(session: Session, p: Principal, campaign_id: int, *, whole: bool = False) -> Campaign:
    c = session.get(Campaign, campaign_id)
    if c is None or not campaign_visible(session, p, c) or (whole and not p.covers(c.region_code)):
        raise out_of_scope()
    return c


def scoped_payment(
    session: Session,
    p: Principal,
    c: Campaign,
    *,
    payment_id: int | None = None,
    channel: str | None = None,
    external_ref: str | None = None,
) -> Payment | None:
    """A payment of the campaign (by id, or by channel and reference), if its resident is in the
    scope (an unmatched payment: if the campaign's region is); otherwise the uniform 403. A payment
    that does not exist is ``None`` when the campaign is in the scope (the caller names it), else 403."""
    if payment_id is not None:
        pay = session.get(Payment, payment_id)
        pay = pay if pay is not None and pay.campaign_id == c.id else None
    elif channel is not None and external_ref is not None:
        pay = session.scalars(
            select(Payment).where(
                Payment.campaign_id == c.id, Payment.channel == channel, Payment.external_ref == external_ref
            )
        ).first()
    else:
        raise ValueError("payment_id or channel and external_ref")
    if pay is None:
        if not p.covers(c.region_code):
            raise out_of_scope()
        return None
    region = None
    if pay.resident_id is not None:
        region = session.scalars(select(Resident.region_code).where(Resident.id == pay.resident_id)).first()
    if not p.covers(region if region is not None else c.region_code):
        raise out_of_scope()
    return pay


def scoped_user(session: Session, p: Principal, username: str) -> User:
    """An account whose region is inside the scope; another's or none: the uniform 403."""
    u = session.scalars(select(User).where(User.username == username)).first()
    if u is None or not p.covers(u.region_code):
        raise out_of_scope()
    return u
