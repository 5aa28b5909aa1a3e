"""Enrollment sources 'subsidy' (fully subsidised, enrolled by the bureau) and 'import' (loaded
from another system, e.g. last year's enrollment)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

OLD = "source IN ('payment', 'guardian', 'external')"
NEW = "source IN ('payment', 'guardian', 'external', 'subsidy', 'import')"


def _replace(condition: str) -> None:
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_enrollments_source"), type_="check")
        batch_op.create_check_constraint("source", condition)


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    _replace(OLD)
