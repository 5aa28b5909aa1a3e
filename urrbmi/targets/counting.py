"""Progress from the campaign database at any date (参保进度), by county, town, village or school.

This module gathers, under one import path, the four homes of the counting (issue 16):

* :mod:`urrbmi.targets.state`: **the** definition of a resident's state at a date,
  :func:`resident_state` (one SQL subquery, docs/targets.md "Enrolled"), and the scope helpers;
* :mod:`urrbmi.targets.state_queries`: its queries, grouped in the database
  (:func:`state_summary`: one pass per date and scope, by village, subsidy category and burn-up
  day, shared by progress, burn-up, composition and funding; :func:`grouped_status` for other
  keys), the lists' rows (:func:`resident_rows`) and the unpaid count (:func:`unpaid_at`);
* :mod:`urrbmi.targets.units`: the region-tree roll-up to towns and the county, counts per unit;
* :mod:`urrbmi.targets.standing`: the progress report (:func:`progress`, :func:`burnup`,
  :func:`composition`), whose pure arithmetic (required count, rank, change on last year) is
  :mod:`urrbmi.targets.progress`.

Every service function takes ``scope``, a region-code prefix ("" = everything the campaign
covers), applied in SQL.
"""

from __future__ import annotations

from urrbmi.targets.standing import (
    ProgressReport,
    ProgressRow,
    burnup,
    composition,
    last_year_known,
    policy_rate,
    progress,
)
from urrbmi.targets.state import (
    CHINA,
    FLAGS,
    KEYS,
    LEVELS,
    REVERSING,
    Level,
    ScopeError,
    _day,
    _in_scope,
    _next_day,
    _reversals,
    _state_select,
    effective_prefix,
    in_prefix,
    resident_state,
)
from urrbmi.targets.state_queries import (
    StateSummary,
    grouped_status,
    resident_rows,
    state_summary,
    todo_page,
    unpaid_at,
)
from urrbmi.targets.units import region_names, unit_counts, with_unit

__all__ = [
    "CHINA",
    "FLAGS",
    "KEYS",
    "LEVELS",
    "REVERSING",
    "Level",
    "ProgressReport",
    "ProgressRow",
    "ScopeError",
    "StateSummary",
    "_day",
    "_in_scope",
    "_next_day",
    "_reversals",
    "_state_select",
    "burnup",
    "composition",
    "effective_prefix",
    "grouped_status",
    "in_prefix",
    "last_year_known",
    "policy_rate",
    "progress",
    "region_names",
    "resident_rows",
    "resident_state",
    "state_summary",
    "todo_page",
    "unit_counts",
    "unpaid_at",
    "with_unit",
]
