"""One applier per kind of list, behind one interface (:class:`~urrbmi.imports.apply.base.Applier`):

- ``list`` (:mod:`.identities`): memberships gained, and in ``replace`` mode ended; the 教育 and
  人社 lists also set or clear a resident attribute (:mod:`.attributes`);
- ``population`` (:mod:`.population`): hukou/公安 residents added, deceased, moved;
- ``enrollment`` (:mod:`.enrollments`): last year's enrollment through the ledger.

``applier_for(kind)`` picks one from :data:`APPLIERS`; a new kind of list is a new module here and
one entry in the registry.
"""

from __future__ import annotations

from urrbmi.imports.apply.base import Applier
from urrbmi.imports.apply.enrollments import EnrollmentApplier
from urrbmi.imports.apply.identities import IdentityApplier, source_categories
from urrbmi.imports.apply.population import PopulationApplier
from urrbmi.imports.staging import Staging

APPLIERS: dict[str, Applier] = {
    a.kind: a for a in (IdentityApplier(), PopulationApplier(), EnrollmentApplier())
}


def applier_for(kind: str) -> Applier:
    return APPLIERS[kind]


def apply(stg: Staging) -> None:
    """Apply the staged batch by the applier of its kind."""
    applier_for(stg.batch.kind).apply(stg)


__all__ = ["APPLIERS", "Applier", "applier_for", "apply", "source_categories"]
