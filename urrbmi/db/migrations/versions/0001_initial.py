"""registry and campaign ledger

Revision ID: 0001
Revises:
Create Date: 2026-11-23 14:01:05.232941
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_key", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "explanations",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_explanations")),
    )
    op.create_table(
        "payment_staging",
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("external_ref", sa.String(length=64), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=True),
        sa.Column("due_fen", sa.BigInteger(), nullable=True),
        sa.Column("benefit_start", sa.Date(), nullable=True),
        sa.Column("benefit_end", sa.Date(), nullable=True),
        sa.Column("hold_reason", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("batch_id", "line_no", name=op.f("pk_payment_staging")),
    )
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.CheckConstraint(
            "level IN ('province', 'prefecture', 'county', 'town', 'village')", name=op.f("ck_regions_level")
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["regions.code"], name=op.f("fk_regions_parent_code_regions")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regions_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "resident_history",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_history")),
    )
    with op.batch_alter_table("resident_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resident_history_id_number"), ["id_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_resident_history_resident_id"), ["resident_id"], unique=False)

    op.create_table(
        "campaigns",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=60), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_campaigns_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("region_code", "benefit_year", name="uq_campaigns_region_year"),
    )
    op.create_table(
        "residents",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("residence", sa.String(length=8), nullable=False),
        sa.Column("student", sa.String(length=8), nullable=True),
        sa.Column("school_name", sa.String(length=200), nullable=True),
        sa.Column("employee_insured", sa.Boolean(), nullable=False),
        sa.Column("employee_insurance_ended_on", sa.Date(), nullable=True),
        sa.Column("employee_insurance_years", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("died_on", sa.Date(), nullable=True),
        sa.Column("household_id", sa.String(length=40), nullable=True),
        sa.Column("guardian_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("residence IN ('hukou', 'permit', 'none')", name=op.f("ck_residents_residence")),
        sa.CheckConstraint("sex IN ('M', 'F')", name=op.f("ck_residents_sex")),
        sa.CheckConstraint("status IN ('active', 'deceased', 'moved_out')", name=op.f("ck_residents_status")),
        sa.CheckConstraint(
            "student IS NULL OR student IN ('school', 'college')", name=op.f("ck_residents_student")
        ),
        sa.ForeignKeyConstraint(
            ["guardian_id"], ["residents.id"], name=op.f("fk_residents_guardian_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_residents_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
        sa.UniqueConstraint("id_number", name=op.f("uq_residents_id_number")),
    )
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_residents_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_residents_region_code"), ["region_code"], unique=False)

    op.create_table(
        "assessments",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("message", sa.String(length=1000), nullable=True),
        sa.Column("categories", sa.String(length=400), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("person_class", sa.String(length=40), nullable=True),
        sa.Column("standard_fen", sa.BigInteger(), nullable=True),
        sa.Column("subsidy_fen", sa.BigInteger(), nullable=True),
        sa.Column("subsidy_category", sa.String(length=40), nullable=True),
        sa.Column("individual_fen", sa.BigInteger(), nullable=True),
        sa.Column("fiscal_fen", sa.BigInteger(), nullable=True),
        sa.Column("total_due_fen", sa.BigInteger(), nullable=True),
        sa.Column("benefit_start", sa.Date(), nullable=True),
        sa.Column("benefit_end", sa.Date(), nullable=True),
        sa.Column("window", sa.String(length=40), nullable=True),
        sa.Column("explanation_hash", sa.String(length=64), nullable=True),
        sa.CheckConstraint("status IN ('due', 'excluded', 'error')", name=op.f("ck_assessments_status")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_assessments_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["explanation_hash"],
            ["explanations.hash"],
            name=op.f("fk_assessments_explanation_hash_explanations"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_assessments_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("campaign_id", "resident_id", name="uq_assessments_campaign_resident"),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_resident_id"), ["resident_id"], unique=False)

    op.create_table(
        "memberships",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("source_department", sa.String(length=40), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("batch_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_memberships_period")),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_memberships_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memberships_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            "ix_memberships_resident_category", ["resident_id", "category_code"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("external_ref", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("due_fen", sa.BigInteger(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("hold_reason", sa.String(length=20), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "channel IN ('cash', 'pos', 'wechat', 'alipay', 'unionpay', 'bank', 'tax')",
            name=op.f("ck_payments_channel"),
        ),
        sa.CheckConstraint(
            "status IN ('accepted', 'held', 'unmatched', 'refunded')", name=op.f("ck_payments_status")
        ),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_payments_amount")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_payments_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_payments_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("channel", "external_ref", name="uq_payments_channel_ref"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_payments_resident", ["resident_id"], unique=False)
        batch_op.create_index(
            "uq_payments_campaign_resident_accepted",
            ["campaign_id", "resident_id"],
            unique=True,
            sqlite_where=sa.text("status = 'accepted'"),
            postgresql_where=sa.text("status = 'accepted'"),
        )

    op.create_table(
        "enrollments",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("insurance_type", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "source IN ('payment', 'guardian', 'external')", name=op.f("ck_enrollments_source")
        ),
        sa.CheckConstraint("status IN ('enrolled', 'cancelled')", name=op.f("ck_enrollments_status")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_enrollments_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_enrollments_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_enrollments_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
    )
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.create_index("ix_enrollments_resident_year", ["resident_id", "benefit_year"], unique=False)
        batch_op.create_index(
            "uq_enrollments_campaign_resident_live",
            ["campaign_id", "resident_id"],
            unique=True,
            sqlite_where=sa.text("status = 'enrolled'"),
            postgresql_where=sa.text("status = 'enrolled'"),
        )

    op.create_table(
        "receipts",
        sa.Column(
            "receipt_no",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_receipts_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("receipt_no", name=op.f("pk_receipts")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_receipts_payment_id")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "refunds",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('refund', 'top_up', 'cancellation')", name=op.f("ck_refunds_kind")),
        sa.CheckConstraint("status IN ('pending', 'done', 'void')", name=op.f("ck_refunds_status")),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_refunds_amount")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_refunds_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_refunds_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_resident_id"), ["resident_id"], unique=False)

    op.create_table(
        "benefit_periods",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("enrollment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.CheckConstraint("end_on >= start_on", name=op.f("ck_benefit_periods_period")),
        sa.ForeignKeyConstraint(
            ["enrollment_id"], ["enrollments.id"], name=op.f("fk_benefit_periods_enrollment_id_enrollments")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_benefit_periods_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_periods")),
        sa.UniqueConstraint("enrollment_id", name=op.f("uq_benefit_periods_enrollment_id")),
    )
    with op.batch_alter_table("benefit_periods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benefit_periods_resident_id"), ["resident_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("benefit_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benefit_periods_resident_id"))

    op.drop_table("benefit_periods")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_resident_id"))

    op.drop_table("refunds")
    op.drop_table("receipts")
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_enrollments_campaign_resident_live",
            sqlite_where=sa.text("status = 'enrolled'"),
            postgresql_where=sa.text("status = 'enrolled'"),
        )
        batch_op.drop_index("ix_enrollments_resident_year")

    op.drop_table("enrollments")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payments_campaign_resident_accepted",
            sqlite_where=sa.text("status = 'accepted'"),
            postgresql_where=sa.text("status = 'accepted'"),
        )
        batch_op.drop_index("ix_payments_resident")
        batch_op.drop_index(batch_op.f("ix_payments_batch_id"))

    op.drop_table("payments")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_memberships_resident_category")
        batch_op.drop_index(batch_op.f("ix_memberships_batch_id"))

    op.drop_table("memberships")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_resident_id"))

    op.drop_table("assessments")
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_residents_region_code"))
        batch_op.drop_index(batch_op.f("ix_residents_household_id"))

    op.drop_table("residents")
    op.drop_table("campaigns")
    with op.batch_alter_table("resident_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resident_history_resident_id"))
        batch_op.drop_index(batch_op.f("ix_resident_history_id_number"))

    op.drop_table("resident_history")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_parent_code"))

    op.drop_table("regions")
    op.drop_table("payment_staging")
    op.drop_table("explanations")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
