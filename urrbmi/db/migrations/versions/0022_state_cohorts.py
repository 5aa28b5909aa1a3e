"""A resident's state kept as data (issue 18 item 7; :mod:`urrbmi.db.models_state`): the marks the
triggers write, each resident's state segments, their counts (cohorts) and the builds.

Triggers mark a resident for every campaign whenever a row that decides its state is written
(residents, enrollments, payments, refunds, assessments), and a whole campaign when the campaign
row changes. PostgreSQL: one trigger per statement (transition tables), which marks the whole
campaign instead of each resident when a statement writes more than 50,000 rows (a bulk
assessment or import: rebuilding is then cheaper); SQLite: one per row, for the campaigns whose
counts are built (one writer at a time: nothing can slip between a rebuild and its build row).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | None = None
depends_on: str | None = None

BULK = 50_000
# table -> the column naming the resident whose state a row decides
MARKED = {
    "residents": "id",
    "enrollments": "resident_id",
    "payments": "resident_id",
    "refunds": "resident_id",
    "assessments": "resident_id",
}
OPS = {"INSERT": ("NEW", "NEW TABLE"), "UPDATE": ("NEW", "NEW TABLE"), "DELETE": ("OLD", "OLD TABLE")}


def _state_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("village", sa.String(length=12), nullable=False),
        sa.Column("subsidy_category", sa.String(length=40), nullable=True),
        sa.Column("subsidy_pos", sa.SmallInteger(), nullable=False),
        sa.Column("fiscal_zero", sa.SmallInteger(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("categories", sa.String(length=400), nullable=True),
        sa.Column("alive", sa.SmallInteger(), nullable=False),
        sa.Column("enrolled", sa.SmallInteger(), nullable=False),
        sa.Column("paid", sa.SmallInteger(), nullable=False),
        sa.Column("subsidised", sa.SmallInteger(), nullable=False),
        sa.Column("employee", sa.SmallInteger(), nullable=False),
        sa.Column("elsewhere", sa.SmallInteger(), nullable=False),
        sa.Column("last_year", sa.SmallInteger(), nullable=False),
        sa.Column("day_to", sa.Date(), nullable=True),
        sa.Column("subsidy_fen", sa.BigInteger(), nullable=False),
    ]


def _cohort_table(name: str, *extra: sa.Column[object]) -> None:
    """A cohorts table (``state_cohorts``; ``state_school_cohorts`` with the school besides)."""
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        name,
        sa.Column("id", big_id, autoincrement=True, nullable=False),
        sa.Column("campaign_id", big_id, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("day_from", sa.Date(), nullable=False),
        *extra,
        *_state_columns(),
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
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "state_marks",
        sa.Column("id", big_id, autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_marks")),
    )
    op.create_index("ix_state_marks_campaign", "state_marks", ["campaign_id"], unique=False)
    op.create_table(
        "state_segments",
        sa.Column("campaign_id", big_id, nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("day_from", sa.Date(), nullable=False),
        sa.Column("school", sa.String(length=200), nullable=True),
        *_state_columns(),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_state_segments_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "resident_id", "day_from", name=op.f("pk_state_segments")),
    )
    op.create_index(
        "ix_state_segments_campaign_village",
        "state_segments",
        ["campaign_id", "village", "resident_id"],
        unique=False,
    )
    _cohort_table("state_cohorts")
    _cohort_table("state_school_cohorts", sa.Column("school", sa.String(length=200), nullable=False))
    op.create_table(
        "state_builds",
        sa.Column("campaign_id", big_id, nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("base_rows", sa.BigInteger(), nullable=False),
        sa.Column("delta_rows", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_state_builds_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_state_builds")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _postgres_triggers() -> None:
    for table, column in MARKED.items():
        for verb, (_row, transition) in OPS.items():
            name = f"urrbmi_mark_{table}_{verb.lower()}"
            extra = ""
            if table == "refunds":  # the residents enrolled by the refunded payment too
                extra = " UNION SELECT e.resident_id FROM enrollments e JOIN t ON e.payment_id = t.payment_id"
            op.execute(
                f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF (SELECT count(*) FROM t) > {BULK} THEN
                    INSERT INTO state_marks (campaign_id, resident_id) SELECT id, NULL FROM campaigns;
                  ELSE
                    INSERT INTO state_marks (campaign_id, resident_id)
                    SELECT c.id, r.rid FROM campaigns c
                    CROSS JOIN (SELECT {column} AS rid FROM t{extra}) r;
                  END IF;
                  RETURN NULL;
                END $$"""
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {verb} ON {table} REFERENCING {transition} AS t "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    op.execute(
        """
        CREATE FUNCTION urrbmi_mark_campaigns_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO state_marks (campaign_id, resident_id) SELECT id, NULL FROM t;
          RETURN NULL;
        END $$"""
    )
    op.execute(
        "CREATE TRIGGER urrbmi_mark_campaigns_update AFTER UPDATE ON campaigns REFERENCING NEW TABLE AS t "
        "FOR EACH STATEMENT EXECUTE FUNCTION urrbmi_mark_campaigns_update()"
    )


def _sqlite_triggers() -> None:
    # Only campaigns whose counts are built are marked: SQLite has one writer at a time, so no
    # write can fall between a rebuild's reading and its build row (the race that makes
    # PostgreSQL mark every campaign); a campaign not built yet is rebuilt whole at its first
    # count, and its first assessment (a row per resident) writes no marks.
    built = "c.id IN (SELECT campaign_id FROM state_builds)"
    for table, column in MARKED.items():
        for verb, (row, _transition) in OPS.items():
            name = f"urrbmi_mark_{table}_{verb.lower()}"
            extra = ""
            if table == "refunds":
                extra = (
                    "INSERT INTO state_marks (campaign_id, resident_id) SELECT c.id, e.resident_id "
                    "FROM campaigns c CROSS JOIN enrollments e "
                    f"WHERE {built} AND e.payment_id = {row}.payment_id;"
                )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {verb} ON {table} FOR EACH ROW BEGIN "
                "INSERT INTO state_marks (campaign_id, resident_id) "
                f"SELECT c.id, {row}.{column} FROM campaigns c WHERE {built}; "
                f"{extra} END"
            )
    op.execute(
        "CREATE TRIGGER urrbmi_mark_campaigns_update AFTER UPDATE ON campaigns FOR EACH ROW BEGIN "
        "INSERT INTO state_marks (campaign_id, resident_id) VALUES (NEW.id, NULL); END"
    )


def downgrade() -> None:
    tables = [*MARKED, "campaigns"]
    if op.get_bind().dialect.name == "postgresql":
        for table in tables:
            for verb in OPS if table != "campaigns" else ("UPDATE",):
                name = f"urrbmi_mark_{table}_{verb.lower()}"
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for table in tables:
            for verb in OPS if table != "campaigns" else ("UPDATE",):
                op.execute(f"DROP TRIGGER IF EXISTS urrbmi_mark_{table}_{verb.lower()}")
    op.drop_table("state_builds")
    op.drop_index("ix_state_cohorts_campaign_village", table_name="state_cohorts")
    op.drop_table("state_cohorts")
    op.drop_index("ix_state_school_cohorts_campaign_village", table_name="state_school_cohorts")
    op.drop_table("state_school_cohorts")
    op.drop_index("ix_state_segments_campaign_village", table_name="state_segments")
    op.drop_table("state_segments")
    op.drop_index("ix_state_marks_campaign", table_name="state_marks")
    op.drop_table("state_marks")
