"""No module over 500 lines (issue 16: "no module over ~500 lines outside migrations and data").

Every ``.py`` file under ``urrbmi/`` counts, except Alembic migrations (``migrations/``) and data
folders (``data/``). A long module is split by concern into a package or sibling modules
(docs/architecture.md), not cut at an arbitrary line.

``ALLOWED`` names the modules other work is still splitting, each with why; an entry that no
longer exceeds the limit (or no longer exists) fails too, so the list only shrinks. ``python
tests/core/test_module_size.py`` prints the longest modules.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "urrbmi"
MAX_LINES = 500
EXCLUDED_DIRS = {"migrations", "data"}

# path (from the repository root) -> why it is still over the limit. Remove an entry when the
# module is split; do not add one without a date and an owner.
ALLOWED: dict[str, str] = {}


def module_lines() -> dict[str, int]:
    """Lines of every counted module, by path from the repository root."""
    out: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if EXCLUDED_DIRS & set(path.relative_to(PACKAGE).parts[:-1]):
            continue
        with path.open("rb") as fh:
            out[path.relative_to(ROOT).as_posix()] = sum(1 for _ in fh)
    return out


def test_no_module_is_over_the_limit() -> None:
    over = {p: n for p, n in module_lines().items() if n > MAX_LINES and p not in ALLOWED}
    assert not over, (
        f"modules over {MAX_LINES} lines (split them by concern; see docs/architecture.md): "
        + ", ".join(f"{p} ({n})" for p, n in sorted(over.items(), key=lambda x: -x[1]))
    )


def test_the_allow_list_only_names_modules_still_over_the_limit() -> None:
    lines = module_lines()
    stale = sorted(p for p in ALLOWED if lines.get(p, 0) <= MAX_LINES)
    assert not stale, f"no longer over {MAX_LINES} lines (or gone): remove from ALLOWED: {', '.join(stale)}"


def test_the_count_sees_the_package() -> None:
    lines = module_lines()
    assert "urrbmi/campaign/ledger.py" in lines and not any("/migrations/" in p for p in lines)


if __name__ == "__main__":
    for p, n in sorted(module_lines().items(), key=lambda x: -x[1])[:25]:
        print(f"{n:6d}  {p}{'  (allowed)' if p in ALLOWED else ''}")
