"""Schools as payers (学校代缴, issue 14 item 4): ``schools`` (a school in a region) and
``school_pupils`` (its roster per campaign; a pupil on one school's roster per campaign).

Revision ID: 0016
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_schools_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools")),
        sa.UniqueConstraint("region_code", "name", name="uq_schools_region_name"),
    )
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schools_region_code"), ["region_code"], unique=False)
    op.create_table(
        "school_pupils",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("school_id", BIG, nullable=False),
        sa.Column("campaign_id", BIG, nullable=False),
        sa.Column("resident_id", BIG, nullable=False),
        sa.Column("class_name", sa.String(length=60), nullable=True),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_school_pupils_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_school_pupils_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_school_pupils_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_pupils")),
        sa.UniqueConstraint("campaign_id", "resident_id", name="uq_school_pupils_campaign_resident"),
    )
    with op.batch_alter_table("school_pupils", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_pupils_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_school_pupils_school_id"), ["school_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("school_pupils", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_pupils_school_id"))
        batch_op.drop_index(batch_op.f("ix_school_pupils_resident_id"))
    op.drop_table("school_pupils")
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schools_region_code"))
    op.drop_table("schools")
