"""Money after payment (issue 14, item 3): refunds and 补发 from creation to reconciliation.

A ``refunds`` row is created ``pending`` by the ledger (a cancelled or refunded payment, a held
payment accepted with a difference, a retro-subsidy 补发 after an identity change). From there:

    pending ──approve──▶ approved ──file──▶ sent ──result 成功──▶ paid
       │                                     │
       └──reject──▶ rejected ◀──reject── failed ◀──result 失败──┘  (failed ──file──▶ sent again)

- :func:`approve` / :func:`reject`: by an officer other than the row's creator (four eyes; rows
  created before ``created_by`` existed have no creator and any approver may decide), all or
  nothing, each row audited;
- :func:`export_refund_file`: the approved (and failed) money-out rows (``refund``,
  ``cancellation``; a ``top_up`` is money the resident owes and is collected at the counter, never
  paid out) as a CSV/XLSX file's bytes for the paying channel with the full ID number, the name, the
  amount in yuan and the refund number as the reference; the rows become ``sent`` in one batch;
- :func:`import_result`: the channel's answer (reference, 成功/失败, amount, paid date, its
  transaction number, reason): a matched row becomes ``paid`` or ``failed``; an unknown
  reference, a duplicate line, an amount that differs, a row not sent (or sent again in a later
  batch) is reported, never applied; the same file imported again changes nothing;
- :func:`reconcile_refunds`: count and amount per status and kind, and the rows sent more than N
  days ago with no result.

Every function takes ``scope``, the region-code prefix of the residents the actor may act on
("" = the whole database, the CLI); the permission (``refund.approve``, ``refund.pay``) is checked
by the interface (urrbmi.access.roles).

Modules: :mod:`.rows` (reading, statuses in Chinese), :mod:`.decide` (approve, reject),
:mod:`.channel` (the refund file out, the channel's result in), :mod:`.reconcile`.
"""

from __future__ import annotations

from urrbmi.campaign.refunds.channel import (
    PROBLEM_ZH,
    RefundFile,
    ResultProblem,
    ResultReport,
    export_refund_file,
    import_result,
    read_result_file,
)
from urrbmi.campaign.refunds.decide import FourEyes, approve, reject
from urrbmi.campaign.refunds.reconcile import RefundReconciliation, StatusTotal, reconcile_refunds
from urrbmi.campaign.refunds.rows import (
    KIND_ZH,
    PAYABLE_KINDS,
    STATUS_ZH,
    RefundRow,
    list_refunds,
    masked_rows,
)

__all__ = [
    "KIND_ZH",
    "PAYABLE_KINDS",
    "PROBLEM_ZH",
    "STATUS_ZH",
    "FourEyes",
    "RefundFile",
    "RefundReconciliation",
    "RefundRow",
    "ResultProblem",
    "ResultReport",
    "StatusTotal",
    "approve",
    "export_refund_file",
    "import_result",
    "list_refunds",
    "masked_rows",
    "read_result_file",
    "reconcile_refunds",
    "reject",
]
