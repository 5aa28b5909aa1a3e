"""Last year's enrollment lists (上年参保): ``enrollments`` rows with ``source='import'``, written by
the ledger (:func:`urrbmi.campaign.ledger.enroll_from`), the one writer of enrollments."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Date, exists, literal, select

from urrbmi.db.models import Enrollment, Resident
from urrbmi.imports.staging import Staging, table


class EnrollmentApplier:
    kind: ClassVar[str] = "enrollment"

    def apply(self, stg: Staging) -> None:
        apply_enrollments(stg)


def apply_enrollments(stg: Staging) -> None:
    from urrbmi.campaign import ledger  # the one writer of enrollments (issue 14)
    from urrbmi.db.models import EnrollmentSource, EnrollmentStatus

    st = stg.st
    res = table(Resident)
    en = table(Enrollment)
    stg.set_status("unregistered", st.c.resident_id.is_(None))
    stg.later_rows_unchanged(st.c.resident_id, st.c.benefit_year)
    known = exists().where(
        en.c.resident_id == st.c.resident_id,
        en.c.benefit_year == st.c.benefit_year,
        en.c.source == EnrollmentSource.IMPORT.value,
        en.c.status == EnrollmentStatus.ENROLLED.value,
    )
    stg.set_status("unchanged", known)
    stg.result.enrollments = ledger.enroll_from(
        stg.s,
        select(
            ledger.typed_null("int").label("campaign_id"),
            st.c.resident_id.label("resident_id"),
            st.c.benefit_year.label("benefit_year"),
            res.c.region_code.label("region_code"),
            st.c.insurance_type.label("insurance_type"),
            ledger.typed_null("int").label("payment_id"),
            literal(stg.batch.as_of, Date()).label("enrolled_on"),
            ledger.typed_null("date").label("start_on"),  # reports from elsewhere: no period
            ledger.typed_null("date").label("end_on"),
        )
        .join(res, res.c.id == st.c.resident_id)
        .where(stg.mine(), st.c.status.is_(None)),
        source=EnrollmentSource.IMPORT,
        actor=stg.actor,
        audit_key=f"batch:{stg.bid}",
        with_periods=False,
    )
    stg.rest = "loaded"
