"""Money kept as data (issue 15 item 6; :mod:`urrbmi.db.models_state`): the reconciliation, the
unpaid count and the money collected without reading every payment and assessment.

- ``ix_payments_to_review``: the payments held or unmatched (the reconciliation lists them).
- ``payment_totals``: payments counted by campaign, channel and status, as signed rows that
  triggers on ``payments`` write in the writer's own transaction (insert-only: writers never wait
  on a shared row; a reader sums them and now and then sums them up). Filled here from the
  payments as they stand.
- ``state_segments``, ``state_cohorts``, ``state_school_cohorts``: ``due`` (an amount due in the
  assessment) with ``due_fen``, and ``collected_fen`` (the money the resident paid by then, less
  refunds done). The kept state is emptied: the next count rebuilds it with these.
- ``state_now_cohorts``, ``state_now_days`` and ``state_builds.horizon``: the cohorts as they
  stand (the open segments counted without their stretch of days), read for a count at a date on
  or after the horizon, such as today: a few thousand rows instead of every stretch.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | None = None
depends_on: str | None = None

KEPT = ("state_segments", "state_cohorts", "state_school_cohorts")
ADDED = (("due", sa.SmallInteger()), ("due_fen", sa.BigInteger()), ("collected_fen", sa.BigInteger()))
NEW_ROWS = "SELECT campaign_id, channel, status, 1 AS n, amount_fen AS fen FROM {}"
OLD_ROWS = "SELECT campaign_id, channel, status, -1 AS n, -amount_fen AS fen FROM {}"
# verb -> (the transition tables, the rows counted: +1 for new rows, -1 for old ones)
PG_OPS = {
    "insert": ("REFERENCING NEW TABLE AS t", NEW_ROWS.format("t")),
    "update": (
        "REFERENCING OLD TABLE AS o NEW TABLE AS t",
        f"{NEW_ROWS.format('t')} UNION ALL {OLD_ROWS.format('o')}",
    ),
    "delete": ("REFERENCING OLD TABLE AS o", OLD_ROWS.format("o")),
}
SUMMED = (
    "INSERT INTO payment_totals (campaign_id, channel, status, n, fen) "
    "SELECT campaign_id, channel, status, sum(n), sum(fen) FROM ({rows}) AS d "
    "GROUP BY campaign_id, channel, status HAVING sum(n) <> 0 OR sum(fen) <> 0"
)


def _counted(name: str, *extra: sa.Column[object]) -> None:
    """A table of the cohorts as they stand (``state_now_cohorts``, ``state_now_days``)."""
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        name,
        sa.Column("id", big_id, autoincrement=True, nullable=False),
        sa.Column("campaign_id", big_id, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("village", sa.String(length=12), nullable=False),
        sa.Column("alive", sa.SmallInteger(), nullable=False),
        sa.Column("enrolled", sa.SmallInteger(), nullable=False),
        *(sa.Column(k, sa.BigInteger(), nullable=False) for k in ("subsidy_fen", "due_fen", "collected_fen")),
        *extra,
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f(f"fk_{name}_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(f"ix_{name}_campaign_village", name, ["campaign_id", "village"], unique=False)


def upgrade() -> None:
    for table in ("state_builds", *KEPT):
        op.execute(f"DELETE FROM {table}")
    for table in KEPT:
        for name, type_ in ADDED:
            op.add_column(table, sa.Column(name, type_, server_default="0", nullable=False))
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.add_column("state_builds", sa.Column("horizon", sa.Date(), nullable=True))
    flags: list[sa.Column[object]] = [
        sa.Column(k, sa.SmallInteger(), nullable=False)
        for k in (
            "subsidy_pos",
            "fiscal_zero",
            "paid",
            "subsidised",
            "employee",
            "elsewhere",
            "last_year",
            "due",
        )
    ]
    _counted(
        "state_now_cohorts",
        sa.Column("subsidy_category", sa.String(length=40), nullable=True),
        sa.Column("categories", sa.String(length=400), nullable=True),
        *flags,
    )
    _counted("state_now_days", sa.Column("first_day", sa.Date(), nullable=False))
    op.create_table(
        "payment_totals",
        sa.Column("id", big_id, autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_totals")),
    )
    op.create_index("ix_payment_totals_campaign", "payment_totals", ["campaign_id"], unique=False)
    to_review = sa.text("status IN ('held', 'unmatched')")
    op.create_index(
        "ix_payments_to_review",
        "payments",
        ["campaign_id", "id"],
        sqlite_where=to_review,
        postgresql_where=to_review,
    )
    op.execute(SUMMED.format(rows=NEW_ROWS.format("payments")))
    if op.get_bind().dialect.name == "postgresql":
        for verb, (transition, rows) in PG_OPS.items():
            name = f"urrbmi_payment_totals_{verb}"
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {SUMMED.format(rows=rows)}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {verb.upper()} ON payments {transition} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    else:
        row = "INSERT INTO payment_totals (campaign_id, channel, status, n, fen) VALUES "
        new = "(NEW.campaign_id, NEW.channel, NEW.status, 1, NEW.amount_fen)"
        old = "(OLD.campaign_id, OLD.channel, OLD.status, -1, -OLD.amount_fen)"
        changed = " OR ".join(
            f"OLD.{k} IS NOT NEW.{k}" for k in ("campaign_id", "channel", "status", "amount_fen")
        )
        op.execute(
            f"CREATE TRIGGER urrbmi_payment_totals_insert AFTER INSERT ON payments BEGIN {row}{new}; END"
        )
        op.execute(
            f"CREATE TRIGGER urrbmi_payment_totals_delete AFTER DELETE ON payments BEGIN {row}{old}; END"
        )
        op.execute(
            "CREATE TRIGGER urrbmi_payment_totals_update AFTER UPDATE ON payments "
            f"WHEN {changed} BEGIN {row}{old}, {new}; END"
        )


def downgrade() -> None:
    for verb in PG_OPS:
        name = f"urrbmi_payment_totals_{verb}"
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON payments")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_payments_to_review", table_name="payments")
    op.drop_index("ix_payment_totals_campaign", table_name="payment_totals")
    op.drop_table("payment_totals")
    for name in ("state_now_cohorts", "state_now_days"):
        op.drop_index(f"ix_{name}_campaign_village", table_name=name)
        op.drop_table(name)
    with op.batch_alter_table("state_builds") as batch:
        batch.drop_column("horizon")
    for table in ("state_builds", *KEPT):
        op.execute(f"DELETE FROM {table}")
    for table in KEPT:
        with op.batch_alter_table(table) as batch:
            for name, _type in ADDED:
                batch.drop_column(name)
