"""Targets: population bases, target rates, task numbers and reductions per region (issue #5).

Tables share :class:`urrbmi.db.models.Base` (same naming conventions); :mod:`urrbmi.db.models`
imports this module so Alembic and the schema test see every table.
"""

from __future__ import annotations

from urrbmi.db.models import Base

__all__ = ["Base"]
