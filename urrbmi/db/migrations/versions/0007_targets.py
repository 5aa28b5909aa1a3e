"""Targets per region and campaign (issue #5): target_sets, target_units, target_reductions

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "target_sets",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("target_group", sa.String(length=12), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("rate", sa.String(length=20), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("base_kind", sa.String(length=40), nullable=True),
        sa.Column("base_source", sa.String(length=400), nullable=True),
        sa.Column("base_as_of", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("task_scope", sa.String(length=400), nullable=True),
        sa.Column("includes_employee", sa.Boolean(), nullable=False),
        sa.Column("incentive_per_person_fen", sa.Integer(), nullable=True),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method IN ('base_times_rate', 'fixed', 'rate')", name=op.f("ck_target_sets_method")
        ),
        sa.CheckConstraint(
            "target_group IN ('all', 'general', 'students', 'low_income', 'hardship')",
            name=op.f("ck_target_sets_target_group"),
        ),
        sa.CheckConstraint(
            "unit IN ('county', 'town', 'village', 'school')", name=op.f("ck_target_sets_unit")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_target_sets_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_sets")),
        sa.UniqueConstraint("campaign_id", "name", name="uq_target_sets_campaign_name"),
    )
    op.create_index(op.f("ix_target_sets_campaign_id"), "target_sets", ["campaign_id"], unique=False)
    op.create_table(
        "target_units",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("target_set_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("base", sa.Integer(), nullable=True),
        sa.Column("rate", sa.String(length=20), nullable=True),
        sa.Column("stated_task", sa.Integer(), nullable=True),
        sa.Column("task", sa.Integer(), nullable=False),
        sa.CheckConstraint("task >= 0", name=op.f("ck_target_units_task")),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_target_units_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["target_set_id"],
            ["target_sets.id"],
            name=op.f("fk_target_units_target_set_id_target_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_units")),
        sa.UniqueConstraint("target_set_id", "unit_name", name="uq_target_units_set_name"),
    )
    op.create_index(op.f("ix_target_units_target_set_id"), "target_units", ["target_set_id"], unique=False)
    op.create_table(
        "target_reductions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("target_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.String(length=40), nullable=False),
        sa.Column("evidence_ref", sa.String(length=200), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("resident_ids", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=400), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("persons > 0", name=op.f("ck_target_reductions_persons")),
        sa.ForeignKeyConstraint(
            ["target_unit_id"],
            ["target_units.id"],
            name=op.f("fk_target_reductions_target_unit_id_target_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_reductions")),
        sa.UniqueConstraint("target_unit_id", "evidence_ref", name="uq_target_reductions_unit_ref"),
    )
    op.create_index(
        op.f("ix_target_reductions_target_unit_id"), "target_reductions", ["target_unit_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_target_reductions_target_unit_id"), table_name="target_reductions")
    op.drop_table("target_reductions")
    op.drop_index(op.f("ix_target_units_target_set_id"), table_name="target_units")
    op.drop_table("target_units")
    op.drop_index(op.f("ix_target_sets_campaign_id"), table_name="target_sets")
    op.drop_table("target_sets")
