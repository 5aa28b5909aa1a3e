"""Loading a million-row department list well under a minute (issue #4):

- ``import_rows`` loses its foreign key on ``batch_id`` (checked by one query per inserted row on
  PostgreSQL; rows are written only by ``urrbmi.imports.load`` in the transaction that creates
  their batch, and batches are never deleted), and its ID-number index becomes a partial index
  over the ``unregistered`` rows, the only ones looked up by ID (conflicts across files);
- on PostgreSQL, ``import_staging`` becomes UNLOGGED (its rows live inside one transaction and
  are deleted at its end: nothing to recover after a crash), and ``import_files.content`` is
  compressed with lz4 where the server supports it (pglz took 2.7 s for an 80 MB file, lz4 0.9 s).

See docs/imports.md (speed).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

UNREGISTERED = sa.text("status = 'unregistered'")


def upgrade() -> None:
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_import_rows_batch_id_import_batches"), type_="foreignkey")
        batch_op.drop_index("ix_import_rows_id_number")
        batch_op.create_index(
            "ix_import_rows_unregistered_id_number",
            ["id_number"],
            unique=False,
            postgresql_where=UNREGISTERED,
            sqlite_where=UNREGISTERED,
        )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE import_staging SET UNLOGGED")
        lz4 = bind.execute(
            sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        ).scalar()
        if lz4:
            op.execute("ALTER TABLE import_files ALTER COLUMN content SET COMPRESSION lz4")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE import_staging SET LOGGED")
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_import_rows_unregistered_id_number")
        batch_op.create_index("ix_import_rows_id_number", ["id_number"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_import_rows_batch_id_import_batches"), "import_batches", ["batch_id"], ["id"]
        )
