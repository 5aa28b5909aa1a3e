"""The layers of docs/architecture.md are the package's imports (issue 16).

Every ``urrbmi.*`` import (at the top of a module or inside a function) is read with ``ast``:
no package imports one of a higher layer, and the sideways imports (between packages of one
layer) are exactly those the "Sideways imports" table of docs/architecture.md lists.
``python tests/core/test_layers.py`` prints the measured graph.
"""

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "urrbmi"
DOC = ROOT / "docs" / "architecture.md"
# layer of each package, lowest first; "core" is the top-level modules (errors, ids, money…)
LAYERS = {
    "core": 0,
    "policy": 1,
    "batch": 2,
    "db": 2,
    "registry": 2,
    "access": 3,
    "campaign": 3,
    "imports": 3,
    "targets": 3,
    "synth": 4,
    "interfaces": 5,
}


def _unit(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "urrbmi" or len(parts) < 2:
        return None
    return parts[1] if (PACKAGE / parts[1]).is_dir() else "core"


def import_graph() -> dict[tuple[str, str], set[str]]:
    """(from package, to package) -> the importing modules, for imports across packages."""
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if "migrations" in rel.parts or rel.parts[-1] == "__main__":  # the entry point runs the CLI
            continue
        mine = _unit(".".join(rel.parts))
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                if node.module == "urrbmi":  # from urrbmi import ids, clock…
                    names = [f"urrbmi.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                other = _unit(name)
                if other is not None and mine is not None and other != mine:
                    edges[(mine, other)].add(".".join(rel.parts))
    return dict(edges)


def _documented_sideways() -> set[tuple[str, str]]:
    text = DOC.read_text("utf-8")
    section = text.split("## Sideways imports", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` → `(\w+)` \|", section, flags=re.M))


def test_every_package_is_in_a_layer_and_has_a_paragraph() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert packages | {"core"} == set(LAYERS)
    headings = [line for line in DOC.read_text("utf-8").splitlines() if line.startswith("### ")]
    missing = [p for p in sorted(packages) if not any(f"`urrbmi.{p}`" in h for h in headings)]
    assert not missing, f"docs/architecture.md: add a paragraph for {missing}"


def test_no_package_imports_a_higher_layer() -> None:
    upward = {
        edge: sorted(mods) for edge, mods in import_graph().items() if LAYERS[edge[1]] > LAYERS[edge[0]]
    }
    assert upward == {}


def test_sideways_imports_are_the_documented_ones() -> None:
    sideways = {edge for edge in import_graph() if LAYERS[edge[1]] == LAYERS[edge[0]]}
    assert sideways == _documented_sideways()


if __name__ == "__main__":
    for (a, b), mods in sorted(import_graph().items()):
        kind = "sideways" if LAYERS[a] == LAYERS[b] else ("UP" if LAYERS[b] > LAYERS[a] else "down")
        print(f"{a} -> {b} ({kind}, {len(mods)}): {', '.join(sorted(mods))}")
