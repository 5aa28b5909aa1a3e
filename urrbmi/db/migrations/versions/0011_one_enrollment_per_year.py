"""Guards on money (issue 14, item 5): a resident is enrolled at most once per benefit year across
our campaigns. The partial unique index ``uq_enrollments_resident_year_live`` on
``enrollments (resident_id, benefit_year)`` over live campaign enrollments (``status =
'enrolled' AND campaign_id IS NOT NULL``) replaces ``uq_enrollments_campaign_resident_live``
(one per campaign and resident), which it implies: a campaign has one benefit year. Rows without
a campaign (``external``: reported by another region or employee insurance; ``import``: last
year's enrollment from the old system) are facts from elsewhere, not ours, and stay outside it:
the ``duplicates`` report lists them.

A database that already holds such a double enrollment is not migrated: the migration stops and
names the count, to be settled by cancelling one of each pair (``urrbmi campaign duplicates``).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from urrbmi.db.session import DatabaseError

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

LIVE = sa.text("status = 'enrolled' AND campaign_id IS NOT NULL")
ENROLLED = sa.text("status = 'enrolled'")

_DOUBLES = """
SELECT COUNT(*) FROM (
    SELECT resident_id, benefit_year FROM enrollments
    WHERE status = 'enrolled' AND campaign_id IS NOT NULL
    GROUP BY resident_id, benefit_year HAVING COUNT(*) > 1
) d
"""


def upgrade() -> None:
    doubles = op.get_bind().execute(sa.text(_DOUBLES)).scalar_one()
    if doubles:
        raise DatabaseError(
            f"有{doubles}名居民在同一待遇年度被两个征缴批次重复参保，无法加上“每人每年度只参保一次”的约束；"
            "请先用 urrbmi campaign duplicates 查出并撤销重复的一笔，再运行 urrbmi db upgrade",
            f"{doubles} resident(s) are enrolled twice for one benefit year by two campaigns; cancel one "
            "of each pair (`urrbmi campaign duplicates`), then run `urrbmi db upgrade` again",
            code="duplicate_enrollments",
        )
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.create_index(
            "uq_enrollments_resident_year_live",
            ["resident_id", "benefit_year"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )
        batch_op.drop_index(
            "uq_enrollments_campaign_resident_live", sqlite_where=ENROLLED, postgresql_where=ENROLLED
        )


def downgrade() -> None:
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.create_index(
            "uq_enrollments_campaign_resident_live",
            ["campaign_id", "resident_id"],
            unique=True,
            sqlite_where=ENROLLED,
            postgresql_where=ENROLLED,
        )
        batch_op.drop_index("uq_enrollments_resident_year_live", sqlite_where=LIVE, postgresql_where=LIVE)
