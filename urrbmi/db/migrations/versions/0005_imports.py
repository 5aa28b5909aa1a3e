"""Department-list imports: batches, rows, review queue, population base (issue #4)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "import_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_import_files")),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(length=12), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("data_rows", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.CheckConstraint(
            _in("kind", ("list", "population", "enrollment")), name=op.f("ck_import_batches_kind")
        ),
        sa.ForeignKeyConstraint(
            ["sha256"], ["import_files.sha256"], name=op.f("fk_import_batches_sha256_import_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
        sa.UniqueConstraint("source", "sha256", name="uq_import_batches_source_sha256"),
    )
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batches_source"), ["source"], unique=False)

    op.create_table(
        "import_rows",
        sa.Column("batch_id", BIG_ID, nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("category_code", sa.String(length=40), nullable=True),
        sa.Column("resident_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            _in(
                "status",
                ("loaded", "unchanged", "invalid", "duplicate", "conflict", "unregistered", "out_of_scope"),
            ),
            name=op.f("ck_import_rows_status"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_import_rows_batch_id_import_batches")
        ),
        sa.PrimaryKeyConstraint("batch_id", "row_no", name=op.f("pk_import_rows")),
    )
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.create_index("ix_import_rows_id_number", ["id_number"], unique=False)

    op.create_table(
        "import_staging",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("event", sa.String(length=20), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("benefit_year", sa.Integer(), nullable=True),
        sa.Column("insurance_type", sa.String(length=3), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("resident_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("batch_id", "row_no", name=op.f("pk_import_staging")),
    )
    with op.batch_alter_table("import_staging", schema=None) as batch_op:
        batch_op.create_index(
            "ix_import_staging_resident_category", ["resident_id", "category_code"], unique=False
        )

    op.create_table(
        "review_items",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("batch_id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("fields", sa.String(length=100), nullable=False),
        sa.Column("registry_version", sa.JSON(), nullable=True),
        sa.Column("file_versions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("chosen_row", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('keep_registry', 'take_file')",
            name=op.f("ck_review_items_decision"),
        ),
        sa.CheckConstraint("kind IN ('registry', 'file')", name=op.f("ck_review_items_kind")),
        sa.CheckConstraint("status IN ('open', 'decided')", name=op.f("ck_review_items_status")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_review_items_batch_id_import_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
    )
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_items_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_items_id_number"), ["id_number"], unique=False)
        batch_op.create_index("ix_review_items_status_region", ["status", "region_code"], unique=False)


def downgrade() -> None:
    op.drop_table("review_items")
    op.drop_table("import_staging")
    op.drop_table("import_rows")
    op.drop_table("import_batches")
    op.drop_table("import_files")
