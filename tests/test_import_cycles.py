"""No import cycles inside neuroworm, imports inside functions included.

import-linter (``.importlinter``) checks the layers but sees only the imports a
module makes when it is imported; an import written inside a function closes a
cycle just as well the first time that function runs. This test walks the
syntax tree of every module, collects every ``import`` / ``from ... import``
wherever it is written (relative ones resolved), and asserts the graph of
neuroworm modules has no cycle.

A package's ``__init__`` only re-exports (STYLE.md), so an edge into a
package's ``__init__`` that its own submodule makes (``from neuroworm.connectome
import Connectome`` inside ``neuroworm/connectome/...``) is counted: it is the
same cycle Python would walk. An import of ``package.sub`` counts as an import
of ``package.sub`` only (Python imports ``package`` first, but that edge runs
from every submodule to its parent and carries no design).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "neuroworm"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _all_modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py"))}


def _imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """Every neuroworm module that ``name`` imports, wherever the import is written."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                # `from package import submodule` imports the submodule;
                # `from module import name` imports the module.
                targets.add(submodule if submodule in known else base)
    return {target for target in targets if target in known and target != name}


def import_graph() -> nx.DiGraph:
    """The directed graph module -> module it imports, over all of neuroworm."""
    modules = _all_modules()
    known = set(modules)
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    for name, path in modules.items():
        graph.add_edges_from((name, target) for target in _imported_modules(name, path, known))
    return graph


def test_the_import_graph_is_walked():
    graph = import_graph()
    # a few edges that exist, so a resolver that finds nothing fails here
    assert graph.number_of_nodes() > 50
    assert graph.number_of_edges() > 100
    assert graph.has_edge("neuroworm.connectome", "neuroworm.connectome.model")
    assert graph.has_edge("neuroworm.cli", "neuroworm.papers.registry") or any(
        target.startswith("neuroworm.papers") for target in graph.successors("neuroworm.cli")
    )


def test_a_cycle_is_found_when_there_is_one(tmp_path, monkeypatch):
    package = tmp_path / "neuroworm"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "a.py").write_text("def f():\n    from .b import g\n    return g\n")
    (package / "sub" / "b.py").write_text("from neuroworm.sub import a\n")
    monkeypatch.setitem(globals(), "PACKAGE_ROOT", package)
    cycles = list(nx.simple_cycles(import_graph()))
    assert sorted(map(sorted, cycles)) == [["neuroworm.sub.a", "neuroworm.sub.b"]]


def test_no_import_cycles():
    graph = import_graph()
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    path = " -> ".join([edge[0] for edge in cycle] + [cycle[-1][1]])
    all_cycles = [" -> ".join(c + [c[0]]) for c in nx.simple_cycles(graph)]
    pytest.fail(
        f"import cycle: {path}\nall {len(all_cycles)} cycles:\n" + "\n".join(sorted(all_cycles)[:30])
    )
