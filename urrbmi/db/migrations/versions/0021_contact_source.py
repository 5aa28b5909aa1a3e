"""Phone numbers from department lists and the registry import (issue 15, gap 1): each
``resident_contacts`` row says where its number came from (``source``: ``visit`` for an agent's
visit, else the import source such as ``minzheng`` or ``hukou``) and as of which day
(``recorded_on``: the visit's recording day or the list's date). Existing rows were all recorded at
visits.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("resident_contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=20), nullable=False, server_default="visit"))
        batch_op.add_column(sa.Column("recorded_on", sa.Date(), nullable=True))
    op.execute("UPDATE resident_contacts SET recorded_on = CAST(updated_at AS DATE)")
    with op.batch_alter_table("resident_contacts", schema=None) as batch_op:
        batch_op.alter_column("recorded_on", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("resident_contacts", schema=None) as batch_op:
        batch_op.drop_column("recorded_on")
        batch_op.drop_column("source")
