"""Schools as payers (学校代缴, issue 14 item 4).

泰兴 四（一）2: "在校学生全部由所在学校代为统一办理参保登记和缴费"; 泰兴 二: "在校学生以学校为单位,参保率达
100%"; 濉溪 八（二）: the education department "督促指导在校学生参保缴费工作 … 做好参保数据统计上报工作"
(pupils there mostly pay with their parents online; the school reports the count).

1. :func:`register_school`: a school stands in a region (town or village); officers whose scope
   covers that region act for it.
2. :func:`upload_roster`: the school's roster file (CSV/XLSX/XLS/HTML table, any encoding: read
   by :func:`urrbmi.imports.reader.read`) with ID number, name and class. Rows that cannot be
   taken are reported bilingually (:class:`urrbmi.imports.model.Problem`, as department lists);
   the others replace the school's roster for the campaign. A pupil on a roster is a school
   student in the registry (``residents.student``/``school_name``, with history) and is
   re-assessed, so the price is a student's (泰兴 三.2: 200元, and the students' window from
   September 1).
3. :func:`statement`: every pupil priced at the payment date by the campaign's engine
   (:class:`urrbmi.campaign.campaigns.Pricer` over the pupil's assessment, as the payment
   pipeline prices), pupils already enrolled (paid at home, subsidised) shown and not due, and the
   total; :func:`statement_file` exports it (:mod:`urrbmi.export`).
4. :func:`pay_school`: the school pays one amount; a total that is not the statement's is refused
   with the amount due, nothing written. Otherwise one payment line per pupil goes through the
   ledger's pipeline (:func:`urrbmi.campaign.payments.apply_payments_raced`): each pupil gets a
   receipt, an enrollment and a benefit period. :func:`pay_school_file`: a channel's file for the
   school's pupils (wrong amounts stay in the held queue, as every channel file).
5. :func:`school_progress`: per school, pupils on the roster and enrolled, counted through
   :func:`urrbmi.targets.counting.resident_state` (the one definition of enrolled).

Every function takes ``scope`` (a region-code prefix, "" = all): a school outside it is "not
found". Every write is audited (``schools``, ``school_pupils``).

Modules: :mod:`.base` (schools, the shared checks), :mod:`.roster` (1–2), :mod:`.statement` (3),
:mod:`.payment` (4), :mod:`.progress` (5). Services take a scope and bytes: a roster is the
file's content, never a path.
"""

from __future__ import annotations

from urrbmi.campaign.schools.base import get_school, list_schools, register_school
from urrbmi.campaign.schools.payment import SchoolPaid, pay_school, pay_school_file
from urrbmi.campaign.schools.progress import SchoolProgress, school_progress
from urrbmi.campaign.schools.roster import RosterResult, confirm_roster, read_roster, upload_roster
from urrbmi.campaign.schools.statement import Statement, StatementLine, statement, statement_file

__all__ = [
    "RosterResult",
    "SchoolPaid",
    "SchoolProgress",
    "Statement",
    "StatementLine",
    "confirm_roster",
    "get_school",
    "list_schools",
    "pay_school",
    "pay_school_file",
    "read_roster",
    "register_school",
    "school_progress",
    "statement",
    "statement_file",
    "upload_roster",
]
