"""Small partial indexes for the duplicate-enrollments list (``campaign.reports.duplicate_enrollments``;
the payments page at 1.14 M residents):

- ``ix_enrollments_outside_campaigns``: enrollments (benefit_year, resident_id) that are enrolled
  without a campaign of ours (``campaign_id`` NULL: another region's, the old system's). Our
  campaigns hold at most one live enrollment per resident and year
  (``uq_enrollments_resident_year_live``), so a resident enrolled twice for a year has such a row:
  the list starts from these rows instead of grouping the year's million enrollments.
- ``ix_residents_employee_insured``: residents (id, region_code) now in employee insurance, the
  start of "enrolled here but employee-insured now", in the list's order.

See docs/web.md ("Page data at 1.14 M residents") and docs/decisions.md.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | None = None
depends_on: str | None = None

OUTSIDE = sa.text("status = 'enrolled' AND campaign_id IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_enrollments_outside_campaigns",
        "enrollments",
        ["benefit_year", "resident_id"],
        postgresql_where=OUTSIDE,
        sqlite_where=OUTSIDE,
        if_not_exists=True,  # bench_county has both, made by hand with these definitions to measure
    )
    op.create_index(
        "ix_residents_employee_insured",
        "residents",
        ["id", "region_code"],
        postgresql_where=sa.text("employee_insured"),
        sqlite_where=sa.text("employee_insured = 1"),  # SQLite: booleans are 0/1, as the query says
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_residents_employee_insured", table_name="residents")
    op.drop_index("ix_enrollments_outside_campaigns", table_name="enrollments")
