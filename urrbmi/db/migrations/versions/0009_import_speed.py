"""Loading a million-row department list well under a minute (issue #4):

- ``import_rows`` loses its foreign key on ``batch_id`` (checked by one query per inserted row on
  PostgreSQL; rows are written only by ``urrbmi.imports.load`` in the transaction that creates
  their batch, and batches are never deleted), and its ID-number index becomes a partial index
  over the ``unregistered`` rows, the only ones looked up by ID (conflicts across files);
- ``memberships.resident_id`` is checked per statement instead of per row: the foreign key is
  replaced by triggers (PostgreSQL: one set-based check of the statement's new rows against
  ``residents``; SQLite: a row trigger, as cheap as its key check) and ``ON DELETE CASCADE`` by a
  trigger on ``residents``. PostgreSQL's per-row key check locks every referenced resident row
  (FOR KEY SHARE): inserting a million memberships took 22 s with the key, 14 s with the check;
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

PG_TRIGGERS = [
    """
    CREATE FUNCTION memberships_resident_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (
        SELECT 1 FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM residents r WHERE r.id = n.resident_id)
      ) THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
          MESSAGE = 'memberships.resident_id is not a resident (memberships_resident_check)';
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER memberships_resident_insert AFTER INSERT ON memberships
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memberships_resident_check()
    """,
    """
    CREATE TRIGGER memberships_resident_update AFTER UPDATE ON memberships
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memberships_resident_check()
    """,
    """
    CREATE FUNCTION residents_delete_memberships() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM memberships m USING old_rows o WHERE m.resident_id = o.id;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER residents_delete_memberships AFTER DELETE ON residents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION residents_delete_memberships()
    """,
]
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER memberships_resident_insert BEFORE INSERT ON memberships
    WHEN NOT EXISTS (SELECT 1 FROM residents WHERE id = NEW.resident_id)
    BEGIN SELECT RAISE(ABORT, 'memberships.resident_id is not a resident (memberships_resident_check)'); END
    """,
    """
    CREATE TRIGGER memberships_resident_update BEFORE UPDATE OF resident_id ON memberships
    WHEN NOT EXISTS (SELECT 1 FROM residents WHERE id = NEW.resident_id)
    BEGIN SELECT RAISE(ABORT, 'memberships.resident_id is not a resident (memberships_resident_check)'); END
    """,
    """
    CREATE TRIGGER residents_delete_memberships AFTER DELETE ON residents
    BEGIN DELETE FROM memberships WHERE resident_id = OLD.id; END
    """,
]


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
    postgres = bind.dialect.name == "postgresql"
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_memberships_resident_id_residents"), type_="foreignkey")
    for ddl in PG_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(ddl)
    if postgres:
        op.execute("ALTER TABLE import_staging SET UNLOGGED")
        lz4 = bind.execute(
            sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        ).scalar()
        if lz4:
            op.execute("ALTER TABLE import_files ALTER COLUMN content SET COMPRESSION lz4")


def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE import_staging SET LOGGED")
        op.execute("DROP TRIGGER residents_delete_memberships ON residents")
        op.execute("DROP TRIGGER memberships_resident_update ON memberships")
        op.execute("DROP TRIGGER memberships_resident_insert ON memberships")
        op.execute("DROP FUNCTION residents_delete_memberships()")
        op.execute("DROP FUNCTION memberships_resident_check()")
    else:
        for name in (
            "residents_delete_memberships",
            "memberships_resident_update",
            "memberships_resident_insert",
        ):
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_memberships_resident_id_residents"),
            "residents",
            ["resident_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_import_rows_unregistered_id_number")
        batch_op.create_index("ix_import_rows_id_number", ["id_number"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_import_rows_batch_id_import_batches"), "import_batches", ["batch_id"], ["id"]
        )
