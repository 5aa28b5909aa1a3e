"""Bilingual errors of the registry and the campaign ledger."""

from __future__ import annotations

from urrbmi.errors import UrrbmiError


class NotFound(UrrbmiError):
    code = "not_found"
    http_status = 404


class Conflict(UrrbmiError):
    """The change contradicts what is recorded (a second live row for an ID, a reused payment
    reference with different data...)."""

    code = "conflict"
    http_status = 409


class PolicyChanged(UrrbmiError):
    """The campaign's policy file changed since the campaign was created."""

    code = "policy_changed"
    http_status = 409


class CampaignOverlap(Conflict):
    """A second campaign for a benefit year over a region that overlaps an existing one's."""

    code = "campaign_overlap"
    http_status = 409


class AlreadyEnrolled(Conflict):
    """The resident is already enrolled for the benefit year by a campaign (one per year)."""

    code = "already_enrolled"
    http_status = 409


class AmountMismatch(UrrbmiError):
    """A counter payment whose amount is not the amount due (refused, nothing written)."""

    code = "amount_mismatch"
    http_status = 422


class PaidInFuture(UrrbmiError):
    """A counter payment dated after today (China time)."""

    code = "paid_on_future"
    http_status = 422


class BackdateNotAllowed(UrrbmiError):
    """A counter payment dated earlier than the backdating window allows, without an officer."""

    code = "backdate_not_allowed"
    http_status = 403
