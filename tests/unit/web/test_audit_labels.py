"""Every audit action the platform writes has a Chinese and an English label (issue 13:
the audit page shows no raw action code). The actions are read from the source: the
argument given for a parameter named ``action`` (``uow.audit(action, …)``, ``record(…,
action=…)`` and every helper that passes one on), both arms of a conditional, and the
fixed start of an f-string."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import safegrid
from safegrid.web import audit_labels
from safegrid.web.audit_labels import action_label, action_labels

SRC = Path(safegrid.__file__).resolve().parent
ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
# A file that writes an audit entry names an action as a dotted string literal.
_MAY_AUDIT = re.compile(r"[\"'][a-z_]+\.")
PREFIX = re.compile(r"^[a-z_]+(\.[a-z_]*)+$")


def _nodes() -> tuple[list[ast.FunctionDef], list[ast.Call]]:
    """Every function definition and every call in the source, in one walk per file."""
    defs: list[ast.FunctionDef] = []
    calls: list[ast.Call] = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if not _MAY_AUDIT.search(text):  # parsing is the test's cost: skip the rest
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call):
                calls.append(node)
            elif isinstance(node, ast.FunctionDef):
                defs.append(node)
    return defs, calls


def _action_positions(defs: list[ast.FunctionDef]) -> dict[str, int]:
    """Functions with a parameter named ``action``: name → its position."""
    found: dict[str, int] = {"audit": 0}
    for node in defs:
        names = [a.arg for a in node.args.posonlyargs + node.args.args]
        if names and names[0] in ("self", "cls"):
            names = names[1:]
        if "action" in names:
            found.setdefault(node.name, names.index("action"))
    return found


def _values(expr: ast.expr) -> Iterator[tuple[str, bool]]:
    """(text, is_prefix) of what an action argument can be."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        yield expr.value, False
    elif isinstance(expr, ast.IfExp):
        yield from _values(expr.body)
        yield from _values(expr.orelse)
    elif isinstance(expr, ast.JoinedStr) and expr.values:
        head = expr.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            yield head.value, True


def written_actions() -> tuple[set[str], set[str]]:
    """(action codes, f-string prefixes) found in the source."""
    defs, calls = _nodes()
    positions = _action_positions(defs)
    codes: set[str] = set()
    prefixes: set[str] = set()
    for node in calls:
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
        args: list[ast.expr] = [k.value for k in node.keywords if k.arg == "action"]
        at = positions.get(name or "")
        if at is not None and len(node.args) > at:
            args.append(node.args[at])
        for arg in args:
            for text, is_prefix in _values(arg):
                if is_prefix and PREFIX.match(text):
                    prefixes.add(text)
                elif ACTION.match(text):
                    codes.add(text)
    return codes, prefixes


def test_every_written_action_has_a_label() -> None:
    labels = action_labels()
    codes, prefixes = written_actions()
    assert len(codes) > 150  # the scan finds the actions (a broken scan finds none)
    assert sorted(codes - labels.keys()) == []
    # An f-string action (f"workorder.{step}") needs at least one labelled completion.
    assert sorted(p for p in prefixes if not any(c.startswith(p) for c in labels)) == []


def test_labels_read_in_one_language() -> None:
    assert action_label("auth.login", "zh") == "登录"
    assert action_label("auth.login", "en") == "Signed in"
    assert action_label("no.such_action", "zh") == "no.such_action"


def test_a_code_labelled_twice_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "actions.csv"
    table.write_text("code,zh,en\nauth.login,登录,Signed in\nauth.login,登入,Login\n")
    monkeypatch.setattr(audit_labels, "TABLE", table)
    action_labels.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"auth\.login"):
            action_labels()
    finally:
        action_labels.cache_clear()
