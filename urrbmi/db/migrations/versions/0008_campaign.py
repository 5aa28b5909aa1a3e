"""Campaign ledger changes of session 2 (issue #8 and gaps): a tier per resident
(resident_tiers, campaigns.default_tier), enrollment of fully subsidised residents at assessment
(campaigns.enroll_subsidised), the subsidy category's code on assessments; assessments lose
their foreign keys on campaign_id and explanation_hash (bulk COPY speed, see models.Assessment)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("default_tier", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("enroll_subsidised", sa.Boolean(), server_default=sa.text("true"), nullable=False)
        )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subsidy_category_code", sa.String(length=40), nullable=True))
        # one query per row per key under COPY on PostgreSQL (see models.Assessment)
        batch_op.drop_constraint(batch_op.f("fk_assessments_campaign_id_campaigns"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_assessments_explanation_hash_explanations"), type_="foreignkey"
        )
    op.create_table(
        "resident_tiers",
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("chosen_on", sa.Date(), nullable=False),
        sa.Column("chosen_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("tier IN (1, 2)", name=op.f("ck_resident_tiers_tier")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_resident_tiers_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_resident_tiers_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "resident_id", name=op.f("pk_resident_tiers")),
    )


def downgrade() -> None:
    op.drop_table("resident_tiers")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_assessments_explanation_hash_explanations"),
            "explanations",
            ["explanation_hash"],
            ["hash"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_assessments_campaign_id_campaigns"), "campaigns", ["campaign_id"], ["id"]
        )
        batch_op.drop_column("subsidy_category_code")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("enroll_subsidised")
        batch_op.drop_column("default_tier")
