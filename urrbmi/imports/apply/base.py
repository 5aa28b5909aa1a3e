"""The one interface of the appliers: what a list of one kind does to the registry."""

from __future__ import annotations

from typing import ClassVar, Protocol

from urrbmi.imports.staging import Staging


class Applier(Protocol):
    """Applies the staged rows of one batch (their scope and conflicts already marked by
    :func:`urrbmi.imports.conflicts.match`) to the registry, in the caller's transaction: sets the
    status of the rows it decides (``stg.set_status``), ``stg.rest`` for the rows left without
    one, and fills ``stg.result`` with what changed."""

    kind: ClassVar[str]  # the batch kind it applies (urrbmi.imports.kinds.batch_kind)

    def apply(self, stg: Staging) -> None: ...
