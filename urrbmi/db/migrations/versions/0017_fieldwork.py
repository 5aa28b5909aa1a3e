"""Field work (issue 15 items 1–2): ``visit_outcomes`` (a visit's outcome per resident, with reason,
date and, for proof of insurance elsewhere, the voucher and the task reduction it is evidence of),
``resident_contacts`` (phone numbers for reminders) and ``credential_activations`` (医保电子凭证).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | None = None
depends_on: str | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OUTCOMES = "outcome IN ('paid_elsewhere', 'employee', 'died', 'army', 'refused', 'unreachable', 'promised')"


def upgrade() -> None:
    op.create_table(
        "visit_outcomes",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("campaign_id", BIG, nullable=False),
        sa.Column("resident_id", BIG, nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("promised_on", sa.Date(), nullable=True),
        sa.Column("evidence_ref", sa.String(length=200), nullable=True),
        sa.Column("reduction_id", BIG, nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(OUTCOMES, name=op.f("ck_visit_outcomes_outcome")),
        sa.CheckConstraint(
            "outcome != 'promised' OR promised_on IS NOT NULL", name=op.f("ck_visit_outcomes_promise")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_visit_outcomes_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_visit_outcomes_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["reduction_id"],
            ["target_reductions.id"],
            name=op.f("fk_visit_outcomes_reduction_id_target_reductions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_outcomes")),
    )
    with op.batch_alter_table("visit_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visit_outcomes_campaign_resident", ["campaign_id", "resident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_visit_outcomes_resident_id"), ["resident_id"], unique=False)
    op.create_table(
        "resident_contacts",
        sa.Column("resident_id", BIG, nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_resident_contacts_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_resident_contacts")),
    )
    op.create_table(
        "credential_activations",
        sa.Column("resident_id", BIG, nullable=False),
        sa.Column("activated_on", sa.Date(), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_credential_activations_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_credential_activations")),
    )
    with op.batch_alter_table("credential_activations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_activations_batch_id"), ["batch_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credential_activations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_activations_batch_id"))
    op.drop_table("credential_activations")
    op.drop_table("resident_contacts")
    with op.batch_alter_table("visit_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_outcomes_resident_id"))
        batch_op.drop_index("ix_visit_outcomes_campaign_resident")
    op.drop_table("visit_outcomes")
