"""Money after payment (issue 14, item 3): the refund lifecycle pending → approved → sent → paid
(or rejected, or failed and sent again). Who created, who decided and when, the channel and the
batch of the refund file, the channel's result (paid date, its transaction reference, the reason
of a failure). The status ``done`` (never written by the code: a row marked paid by hand) becomes
``paid``.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

OLD = "status IN ('pending', 'done', 'void')"
NEW = "status IN ('pending', 'approved', 'rejected', 'sent', 'paid', 'failed', 'void')"
COLUMNS = (
    ("created_by", sa.String(length=100)),
    ("decided_by", sa.String(length=100)),
    ("decided_at", sa.DateTime(timezone=True)),
    ("decided_reason", sa.String(length=400)),
    ("channel", sa.String(length=10)),
    ("batch_id", sa.String(length=64)),
    ("sent_at", sa.DateTime(timezone=True)),
    ("paid_on", sa.Date()),
    ("channel_ref", sa.String(length=64)),
    ("result_reason", sa.String(length=200)),
)


def upgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_refunds_status"), type_="check")
    op.execute("UPDATE refunds SET status = 'paid' WHERE status = 'done'")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_check_constraint("status", NEW)
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.create_index(batch_op.f("ix_refunds_batch_id"), ["batch_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_batch_id"))
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_constraint(batch_op.f("ck_refunds_status"), type_="check")
    # a lifecycle state the old schema cannot hold goes back to where it started
    op.execute(
        "UPDATE refunds SET status = CASE status WHEN 'paid' THEN 'done' "
        "WHEN 'void' THEN 'void' ELSE 'pending' END"
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_check_constraint("status", OLD)
