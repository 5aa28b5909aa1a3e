"""targets/ split by concern (issue 16): the state definition, its queries, the unit roll-up and
the progress report each have a module of their own, and every name stays importable from
``urrbmi.targets.counting`` as the same object (so there is still one definition)."""

from __future__ import annotations

import importlib
from pathlib import Path

import urrbmi.targets.counting as counting

HOMES = {
    "urrbmi.targets.state": (
        "resident_state",
        "effective_prefix",
        "in_prefix",
        "FLAGS",
        "KEYS",
        "ScopeError",
    ),
    "urrbmi.targets.state_queries": (
        "state_summary",
        "grouped_status",
        "resident_rows",
        "unpaid_at",
    ),
    "urrbmi.targets.units": ("region_names", "with_unit", "unit_counts"),
    "urrbmi.targets.standing": ("progress", "burnup", "composition", "policy_rate", "ProgressReport"),
}


def test_every_name_has_one_home_and_counting_reexports_it() -> None:
    for module, names in HOMES.items():
        home = importlib.import_module(module)
        for name in names:
            assert getattr(counting, name) is getattr(home, name), (module, name)
    for name in counting.__all__:
        assert hasattr(counting, name), name


def test_the_state_definition_is_not_repeated_elsewhere() -> None:
    targets = Path(counting.__file__).parent
    defining = [
        p.name for p in targets.glob("*.py") if "def resident_state(" in p.read_text(encoding="utf-8")
    ]
    assert defining == ["state.py"]


def test_no_counting_module_over_500_lines() -> None:
    targets = Path(counting.__file__).parent
    for name in ("counting.py", "state.py", "state_queries.py", "units.py", "standing.py"):
        assert len((targets / name).read_text(encoding="utf-8").splitlines()) <= 500, name
