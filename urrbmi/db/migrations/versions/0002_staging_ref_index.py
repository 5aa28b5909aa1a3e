"""Index payment staging by (batch, reference): the benefit-period insert joins on it

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:15:21.644565
"""

from __future__ import annotations

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment_staging", schema=None) as batch_op:
        batch_op.create_index("ix_payment_staging_batch_ref", ["batch_id", "external_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment_staging", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_staging_batch_ref")
