"""Department lists, import batches, the review queue and the population base (issue #4).

Tables share :class:`urrbmi.db.models.Base` (same naming conventions); :mod:`urrbmi.db.models`
imports this module so Alembic and the schema test see every table.

- ``import_files``: the original bytes of every loaded file, content-addressed by SHA-256 (one
  copy however many sources load it);
- ``import_batches``: one loaded file for one source (unique ``(source, sha256)``: the same file
  twice is refused as already loaded);
- ``import_rows``: the outcome of every data row (batch, row number, ID, status, reason); the
  provenance of each membership / resident / enrollment the batch created;
- ``import_staging``: the valid rows of the file being loaded, for set-based SQL (emptied after);
- ``review_items``: the review queue (conflicting versions side by side, decided by a person);
- ``payment_staging``: the validated rows of a bulk payment file, before the set-based insert.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from urrbmi.db.models import Base, BigId, _in

BATCH_KIND = ("list", "population", "enrollment")
ROW_STATUS = (
    "loaded",  # a membership / resident / enrollment was created or changed
    "unchanged",  # already so in the registry
    "invalid",  # failed validation (see the error report)
    "duplicate",  # exact repeat of an earlier row of the file
    "conflict",  # in the review queue
    "unregistered",  # the ID is not in the registry (department lists do not create residents)
    "out_of_scope",  # the resident is outside the uploader's region scope
)
REVIEW_KIND = ("registry", "file")  # registry vs file; file vs file (within or across files)
REVIEW_STATUS = ("open", "decided")
REVIEW_DECISION = ("keep_registry", "take_file")


class ImportFile(Base):
    """The original bytes of a loaded file (content-addressed)."""

    __tablename__ = "import_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ImportBatch(Base):
    __tablename__ = "import_batches"
    __table_args__ = (
        UniqueConstraint("source", "sha256", name="uq_import_batches_source_sha256"),
        CheckConstraint(_in("kind", BATCH_KIND), name="kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    mode: Mapped[str] = mapped_column(String(8))  # replace | add
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(ForeignKey("import_files.sha256"))
    size: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str] = mapped_column(String(12))
    encoding: Mapped[str | None] = mapped_column(String(20))
    as_of: Mapped[dt.date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(12), default="")
    status: Mapped[str] = mapped_column(String(10), default="loaded")
    data_rows: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column()  # rows per status, gained/lost per category
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float | None] = mapped_column(Float)


class ImportRow(Base):
    """What became of one data row of a batch."""

    __tablename__ = "import_rows"
    __table_args__ = (
        CheckConstraint(_in("status", ROW_STATUS), name="status"),
        # only unregistered rows are looked up by ID (conflicts across files); a full index on a
        # million random IDs was most of the cost of writing the rows (migration 0009)
        Index(
            "ix_import_rows_unregistered_id_number",
            "id_number",
            postgresql_where=text("status = 'unregistered'"),
            sqlite_where=text("status = 'unregistered'"),
        ),
    )

    # no foreign key: written only by urrbmi.imports.load in the transaction that creates the
    # batch, and batches are never deleted; a key costs one query per row (migration 0009)
    batch_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(100))
    category_code: Mapped[str | None] = mapped_column(String(40))
    resident_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(200))


class ImportStaging(Base):
    """Valid rows of the file being loaded (set-based SQL works from here; emptied after)."""

    __tablename__ = "import_staging"
    __table_args__ = (Index("ix_import_staging_resident_category", "resident_id", "category_code"),)

    batch_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    category_code: Mapped[str | None] = mapped_column(String(40))
    region_code: Mapped[str | None] = mapped_column(String(12))
    event: Mapped[str | None] = mapped_column(String(20))
    event_date: Mapped[dt.date | None] = mapped_column(Date)
    benefit_year: Mapped[int | None] = mapped_column(Integer)
    insurance_type: Mapped[str | None] = mapped_column(String(3))
    detail: Mapped[str | None] = mapped_column(String(200))  # school (教育), insurance status (人社)
    resident_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str | None] = mapped_column(String(12))


class ReviewItem(Base):
    """Two (or more) versions of who a person is, side by side, for a person to decide."""

    __tablename__ = "review_items"
    __table_args__ = (
        CheckConstraint(_in("kind", REVIEW_KIND), name="kind"),
        CheckConstraint(_in("status", REVIEW_STATUS), name="status"),
        CheckConstraint(f"decision IS NULL OR {_in('decision', REVIEW_DECISION)}", name="decision"),
        Index("ix_review_items_status_region", "status", "region_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    region_code: Mapped[str] = mapped_column(String(12), default="")  # the resident's, for scoping
    fields: Mapped[str] = mapped_column(String(100))  # differing fields, comma-joined
    registry_version: Mapped[dict[str, Any] | None] = mapped_column()
    file_versions: Mapped[list[Any]] = mapped_column()  # [{batch_id, row, name, sex, birth_date, ...}]
    status: Mapped[str] = mapped_column(String(8), default="open")
    decision: Mapped[str | None] = mapped_column(String(16))
    chosen_row: Mapped[int | None] = mapped_column(Integer)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ImportCheck(Base):
    """A list checked through the API and not loaded yet (the web page's check → confirm), kept
    for a while so that any API worker can page its problem rows and serve its error report
    (``urrbmi.interfaces.api.imports``; migration 0010). Rows hold full ID numbers, as the file
    did: masked when served, deleted when they expire."""

    __tablename__ = "import_checks"
    __table_args__ = (Index("ix_import_checks_actor_created", "actor", "created_at"),)

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    source: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.date] = mapped_column(Date)
    counts: Mapped[dict[str, Any]] = mapped_column()
    columns: Mapped[dict[str, Any]] = mapped_column()
    rows: Mapped[list[Any]] = mapped_column()  # problem rows, full IDs (masked when served)
    report: Mapped[bytes] = mapped_column(LargeBinary)


__all__ = ["Base", "ImportBatch", "ImportCheck", "ImportFile", "ImportRow", "ImportStaging", "ReviewItem"]


class PaymentStaging(Base):
    """Rows of a bulk payment file, validated, before the set-based insert (emptied after)."""

    __tablename__ = "payment_staging"
    __table_args__ = (Index("ix_payment_staging_batch_ref", "batch_id", "external_ref"),)

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_ref: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(18))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    # worked out in Python before the set-based insert (the quote at paid_on)
    resident_id: Mapped[int | None] = mapped_column(BigInteger)
    due_fen: Mapped[int | None] = mapped_column(BigInteger)
    benefit_start: Mapped[dt.date | None] = mapped_column(Date)
    benefit_end: Mapped[dt.date | None] = mapped_column(Date)
    hold_reason: Mapped[str | None] = mapped_column(String(20))
