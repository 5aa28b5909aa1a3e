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
