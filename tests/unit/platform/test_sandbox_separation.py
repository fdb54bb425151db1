"""The development simulators stay outside the production package (DESIGN: "Development
simulators … live outside the production package"): nothing under ``safegrid`` imports
``safegrid_sandbox``, so a production install can leave it out."""

from __future__ import annotations

import ast
from pathlib import Path

import safegrid


def test_production_package_never_imports_the_sandbox() -> None:
    root = Path(safegrid.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "safegrid_sandbox" or n.startswith("safegrid_sandbox.") for n in names):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []
