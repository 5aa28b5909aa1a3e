"""Every route of the notices (issue 14, item 2): two facts of a resident the policies price.

``graduation_year``: the year a college student graduates (丰都 三（三）: 当年毕业的参保大学生 are
covered to 12-31); ``returning_migrant_year``: the benefit year for which the resident is recorded as
a migrant worker back home for the Spring Festival (濉溪 五: payment extended to 02-28).

Revision ID: 0015
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0017"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # plain ADD COLUMN (nullable): SQLite keeps the table, and the triggers that name it
    op.add_column("residents", sa.Column("graduation_year", sa.Integer(), nullable=True))
    op.add_column("residents", sa.Column("returning_migrant_year", sa.Integer(), nullable=True))


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35+, PostgreSQL): no table copy under the triggers
    op.execute("ALTER TABLE residents DROP COLUMN returning_migrant_year")
    op.execute("ALTER TABLE residents DROP COLUMN graduation_year")
