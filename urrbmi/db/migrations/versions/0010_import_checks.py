"""Checked-but-not-loaded lists in the database (``import_checks``), so that the web page's
check → confirm works whichever API worker answers (they were kept in one worker's memory).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "import_checks",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("report", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_import_checks")),
    )
    with op.batch_alter_table("import_checks", schema=None) as batch_op:
        batch_op.create_index("ix_import_checks_actor_created", ["actor", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_checks_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("import_checks")
