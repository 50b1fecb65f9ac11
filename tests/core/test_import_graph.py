"""Code shape: no two modules of OpenHotline import each other, directly or in a ring.

Function-level imports count too: deferring an import hides a cycle from Python's loader, not
from the reader, and it is how the cycles this test was written for (hashing.tasks and
intake.tasks, tasks.queue and tasks.services, the URL extractor modules) had been papered over.
"""

from __future__ import annotations

import ast
from pathlib import Path

import hotline

SOURCE = Path(hotline.__file__).resolve().parent.parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SOURCE / "hotline").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.with_suffix("").relative_to(SOURCE).parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Return each module's imports of other OpenHotline modules, at any nesting level."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = [f"{node.module}.{alias.name}" for alias in node.names]
                named = [module for module in submodules if module in modules]
                # `from package import submodule` depends on the submodule, not the package.
                targets = named if len(named) == len(submodules) else [node.module, *named]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_sees_a_ring_through_a_function_level_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules() -> None:
    graph = import_graph()
    assert "hotline.intake.pipeline" in graph  # the scan found the source tree
    assert cycles(graph) == []
