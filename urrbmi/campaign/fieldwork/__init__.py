"""A village agent's round (入户动员, 督导排查; issue 15 item 1): the worklist of residents not yet
paid grouped by household, a household with every member's amount due, payment for several members
at once, the outcome of a visit, and the residents to remind.

Every function takes the :class:`~urrbmi.access.scope.Principal`: it checks the role's permission
and reads residents only through the region condition of :mod:`urrbmi.access.scope` (a resident
outside the region and one that does not exist give the same 403). Writes are audited.

A resident's state is **not** defined here: it is :func:`urrbmi.targets.counting.resident_state`
(the one definition every count and list reads), labelled by :func:`state_of`. Amounts due in the
household view are the statement's (:func:`urrbmi.campaign.lookup.fast_statement`); payments go one
by one through the counter payment :func:`urrbmi.campaign.payments.record_payment`.

Modules: :mod:`.members` (the rows every list reads, in SQL), :mod:`.worklist` (the worklist and a
household), :mod:`.payment` (several members at once), :mod:`.outcomes` (visit outcomes, task
reductions from them), :mod:`.reminders`.
"""

from __future__ import annotations

from urrbmi.campaign.fieldwork.members import (
    OUTCOME_ZH,
    STATE_ZH,
    STATES,
    HouseholdGroup,
    Member,
    MemberPage,
    Worklist,
    current_campaign,
    state_of,
)
from urrbmi.campaign.fieldwork.outcomes import REDUCIBLE, record_outcome, reduce_from_outcome
from urrbmi.campaign.fieldwork.payment import MAX_MEMBERS, HouseholdPayment, PaidMember, pay_members
from urrbmi.campaign.fieldwork.reminders import (
    REMINDER_HEADERS,
    ReminderFile,
    reminder_file,
    reminders,
    reminders_page,
    reminders_xlsx,
)
from urrbmi.campaign.fieldwork.worklist import household, worklist

__all__ = [
    "MAX_MEMBERS",
    "OUTCOME_ZH",
    "REDUCIBLE",
    "REMINDER_HEADERS",
    "STATES",
    "STATE_ZH",
    "HouseholdGroup",
    "HouseholdPayment",
    "Member",
    "MemberPage",
    "PaidMember",
    "ReminderFile",
    "Worklist",
    "current_campaign",
    "household",
    "pay_members",
    "record_outcome",
    "reduce_from_outcome",
    "reminder_file",
    "reminders",
    "reminders_page",
    "reminders_xlsx",
    "state_of",
    "worklist",
]
