"""Covering indexes for a resident's state at a date (issue 18 item 7: progress of a 1.14 M-resident
county in under a second).

``counting.resident_state`` reads each resident in scope with its assessment, its enrollments of
this and last year and its payments for the campaign, found by index. These indexes hold every
column that query reads, so each lookup is one index search without a visit to the table row:

- ``ix_enrollments_state``: enrollments (resident_id, benefit_year, enrolled_on, status, source,
  insurance_type, payment_id);
- ``ix_payments_state``: payments (resident_id, campaign_id, status, paid_on, id);
- ``ix_assessments_state``: assessments (campaign_id, resident_id, subsidy_fen, fiscal_fen,
  subsidy_category_code);
- ``ix_enrollments_year_region``: enrollments (benefit_year, region_code), for "is last year's
  enrollment known in this region" (``counting.last_year_known``), which otherwise reads every
  enrollment when the answer is no.

See docs/targets.md (Performance).

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | None = None
depends_on: str | None = None

INDEXES = {
    "ix_enrollments_state": (
        "enrollments",
        ["resident_id", "benefit_year", "enrolled_on", "status", "source", "insurance_type", "payment_id"],
    ),
    "ix_payments_state": ("payments", ["resident_id", "campaign_id", "status", "paid_on", "id"]),
    "ix_assessments_state": (
        "assessments",
        ["campaign_id", "resident_id", "subsidy_fen", "fiscal_fen", "subsidy_category_code"],
    ),
    "ix_enrollments_year_region": ("enrollments", ["benefit_year", "region_code"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
