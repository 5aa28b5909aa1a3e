"""Department lists, import batches, the review queue and the population base (issue #4).

Tables share :class:`urrbmi.db.models.Base` (same naming conventions); :mod:`urrbmi.db.models`
imports this module so Alembic and the schema test see every table.
"""

from __future__ import annotations

from urrbmi.db.models import Base

__all__ = ["Base"]
