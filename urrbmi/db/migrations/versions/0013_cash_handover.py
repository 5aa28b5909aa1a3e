"""Cash handover (现金解缴, issue 14 item 3): ``cash_handovers`` (an agent's batch of cash receipts
with the expected total, the amount counted and the difference's reason) and
``cash_handover_items`` (the payments of a batch; a payment is in at most one).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cash_handovers",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("campaign_id", BIG, nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("receipts", sa.Integer(), nullable=False),
        sa.Column("expected_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_fen", sa.BigInteger(), nullable=True),
        sa.Column("difference_reason", sa.String(length=400), nullable=True),
        sa.Column("confirmed_by", sa.String(length=100), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('submitted', 'confirmed')", name=op.f("ck_cash_handovers_status")),
        sa.CheckConstraint("expected_fen >= 0", name=op.f("ck_cash_handovers_expected")),
        sa.CheckConstraint(
            "received_fen IS NULL OR received_fen >= 0", name=op.f("ck_cash_handovers_received")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_cash_handovers_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_cash_handovers_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_handovers")),
    )
    with op.batch_alter_table("cash_handovers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cash_handovers_agent"), ["agent"], unique=False)
        batch_op.create_index(batch_op.f("ix_cash_handovers_campaign_id"), ["campaign_id"], unique=False)
    op.create_table(
        "cash_handover_items",
        sa.Column("payment_id", BIG, nullable=False),
        sa.Column("handover_id", BIG, nullable=False),
        sa.ForeignKeyConstraint(
            ["handover_id"],
            ["cash_handovers.id"],
            name=op.f("fk_cash_handover_items_handover_id_cash_handovers"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_cash_handover_items_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_cash_handover_items")),
    )
    with op.batch_alter_table("cash_handover_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cash_handover_items_handover_id"), ["handover_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cash_handover_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cash_handover_items_handover_id"))
    op.drop_table("cash_handover_items")
    with op.batch_alter_table("cash_handovers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cash_handovers_campaign_id"))
        batch_op.drop_index(batch_op.f("ix_cash_handovers_agent"))
    op.drop_table("cash_handovers")
