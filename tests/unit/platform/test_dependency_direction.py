"""Dependencies run one way (DESIGN "Layout", issue 11): the platform kernel imports no
other package of SafeGrid, and no two packages import each other, directly or round a
longer loop. Imports are read from the source with ``ast``, including imports inside
functions; an import under ``if TYPE_CHECKING:`` names a type and runs nothing, so it is
not a dependency. The top-level modules (bootstrap, app, cli, tables…) are the
composition root that wires packages together and are not part of the graph."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import safegrid

SRC = Path(safegrid.__file__).parent

# Packages still tangled with security; this set may only shrink. Billing, collection and
# tariffs left it in issue 11 (tariffs ask billing through tariffs.usage; a reversal runs
# collection's step through billing.reversal_steps).
KNOWN_KNOT = frozenset({"customers", "fieldwork", "governance", "notifications", "org", "security"})


def _runtime_imports(tree: ast.Module) -> Iterator[str]:
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "safegrid" or len(parts) < 2 or not (SRC / parts[1]).is_dir():
        return None  # outside SafeGrid, or a top-level module of the composition root
    return parts[1]


def package_graph() -> dict[str, dict[str, set[str]]]:
    """package → imported package → the modules that import it."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        own = _package_of(module) if len(rel.parts) > 2 else None
        if own is None:
            continue
        edges = graph.setdefault(own, {})
        for imported in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            other = _package_of(imported)
            if other is not None and other != own:
                edges.setdefault(other, set()).add(module)
    return graph


def _cycles(graph: dict[str, dict[str, set[str]]]) -> list[frozenset[str]]:
    def reach(start: str) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for nxt in graph.get(todo.pop(), {}):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    nodes = set(graph) | {b for edges in graph.values() for b in edges}
    reached = {n: reach(n) for n in nodes}
    groups = {frozenset(m for m in nodes if m in reached[n] and n in reached[m]) for n in nodes}
    return [g for g in groups if len(g) > 1]


def test_platform_imports_no_other_package() -> None:
    imports = package_graph().get("platform", {})
    assert imports == {}, f"platform must not depend on these (importers): {imports}"


def test_packages_do_not_import_each_other() -> None:
    graph = package_graph()
    for cycle in _cycles(graph):
        links = {f"{a} -> {b}": sorted(graph[a][b]) for a in cycle for b in cycle if b in graph[a]}
        assert cycle <= KNOWN_KNOT, f"import cycle between {sorted(cycle)}: {links}"


def test_the_checks_see_a_cycle_and_a_kernel_import() -> None:
    """The two checks above cannot pass by reading nothing."""
    graph = package_graph()
    assert "security" in graph and "platform" in graph["security"]
    graph["billing"].setdefault("collection", set()).add("safegrid.billing.example")
    assert any({"billing", "collection"} <= c for c in _cycles(graph))
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from safegrid.security.actor import Actor\n"
        "def f():\n    from safegrid.security import audit\n"
    )
    assert [m for m in _runtime_imports(tree) if m.startswith("safegrid")] == [
        "safegrid.security",
        "safegrid.security.audit",
    ]
