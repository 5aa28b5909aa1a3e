"""Progress follow-up (issue 18 items 3-6): ``task_table_versions`` (every upload of a county's own
task table), ``bulletin_issues`` (bulletins as issued: figures, Excel, HTML) and ``funding_payments``
(a level of government's share paid in, with its date).

Revision ID: 0019
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0015"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "bulletin_issues",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("xlsx", sa.LargeBinary(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("issued_by", sa.String(length=100), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_bulletin_issues_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin_issues")),
        sa.UniqueConstraint(
            "campaign_id", "as_of", "level", "scope", name="uq_bulletin_issues_date_level_scope"
        ),
    )
    with op.batch_alter_table("bulletin_issues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulletin_issues_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "funding_payments",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=400), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('central', 'provincial', 'regional', 'prefecture', 'county', 'district')",
            name=op.f("ck_funding_payments_level"),
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_funding_payments_amount")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_funding_payments_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_payments")),
        sa.UniqueConstraint("campaign_id", "reference", name="uq_funding_payments_campaign_reference"),
    )
    with op.batch_alter_table("funding_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_funding_payments_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "task_table_versions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("task_total", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('current', 'replaced')", name=op.f("ck_task_table_versions_status")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_task_table_versions_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_table_versions")),
        sa.UniqueConstraint("campaign_id", "name", "version", name="uq_task_table_versions_name_version"),
    )
    with op.batch_alter_table("task_table_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_table_versions_campaign_id"), ["campaign_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_table_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_table_versions_campaign_id"))

    op.drop_table("task_table_versions")
    with op.batch_alter_table("funding_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_payments_campaign_id"))

    op.drop_table("funding_payments")
    with op.batch_alter_table("bulletin_issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_issues_campaign_id"))

    op.drop_table("bulletin_issues")
