"""Every dependency in pyproject.toml earns its place (DESIGN: "every dependency in
pyproject is imported"; issue 11 §4): it is imported by name in src/, tests/, benchmarks/
or migrations/; or another package we use imports it by name at run time (checked here
against that package's source, so the entry goes stale loudly); or it is a pytest plugin
(pytest loads it by its ``pytest11`` entry point); or it is a tool the Makefile runs."""

from __future__ import annotations

import ast
import importlib.util
import re
import tomllib
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# distribution → (its module, the module of another package that imports it by name)
LOADED_BY = {
    "httptools": ("httptools", "uvicorn.protocols.http.httptools_impl"),
    "uvloop": ("uvloop", "uvicorn.loops.uvloop"),
    "python-multipart": ("python_multipart", "fastapi.dependencies.utils"),
    "httpx2": ("httpx2", "starlette.testclient"),  # FastAPI's TestClient
    "sqlglot": ("sqlglot", "ibis.backends.sql"),  # pinned below the version Ibis breaks on
}
TOOLS = {"ruff", "mypy"}  # run by `make lint`


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _declared() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project.get("optional-dependencies", {}).values() for r in group]
    return [_name(r) for r in [*project["dependencies"], *extras]]


def _imported_modules() -> set[str]:
    found: set[str] = set()
    for folder in ("src", "tests", "benchmarks", "migrations"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found


def _imports(consumer: str, module: str) -> bool:
    spec = importlib.util.find_spec(consumer)
    assert spec and spec.origin, f"{consumer} is not installed"
    source = Path(spec.origin).read_text()
    return re.search(rf"^\s*(import|from) {module}\b", source, re.MULTILINE) is not None


def _pytest_plugin(dist: str) -> bool:
    try:
        return any(ep.group == "pytest11" for ep in distribution(dist).entry_points)
    except PackageNotFoundError:
        return False


def test_every_declared_dependency_is_used() -> None:
    dists_of = packages_distributions()
    imported = {_name(d) for m in _imported_modules() for d in dists_of.get(m, [])}
    makefile = (ROOT / "Makefile").read_text()
    unused = []
    for dist in _declared():
        loaded_by = LOADED_BY.get(dist)
        used = (
            dist in imported
            or (loaded_by is not None and _imports(loaded_by[1], loaded_by[0]))
            or (dist in TOOLS and re.search(rf"\$\(BIN\)/{dist}\b", makefile) is not None)
            or _pytest_plugin(dist)
        )
        if not used:
            unused.append(dist)
    assert unused == [], f"declared in pyproject.toml but nothing uses them: {unused}"


def test_a_dependency_loaded_by_another_package_is_checked_in_that_source() -> None:
    assert "httpx2" not in _imported_modules()  # we use it only through starlette.testclient
    assert _imports("starlette.testclient", "httpx2")
    assert not _imports("starlette.testclient", "gmssl")
    assert _name("uvloop>=0.19; sys_platform != 'win32'") == "uvloop"
    assert _name("psycopg[binary]>=3.2") == "psycopg"
    assert not _pytest_plugin("gmssl")
