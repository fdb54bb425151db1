"""Schemathesis's command line, run as ``python schemathesis_cli.py run …``, with one
CPython bug kept out of the way.

On CPython 3.11.7 (the CI machine's Python) ``ast.parse`` called deep in a recursion
can raise ``SystemError: AST constructor recursion depth mismatch`` (python/cpython
gh-106905, fixed in 3.11.8). Hypothesis parses a lambda's source only to *describe* a
strategy in a message, and its recursive JSON strategies do that deep in a draw, so the
bug ended a whole schemathesis run that had found nothing (CI, 2026-12-07). A strategy
described as ``<unknown>`` is what Hypothesis itself answers when it cannot find the
source; the requests sent and the checks made are unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from hypothesis.internal import lambda_sources


def _tolerant(describe: Callable[..., Any]) -> Any:
    def described(f: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return describe(f, *args, **kwargs)
        except SystemError:
            return "lambda: <unknown>"

    return described


lambda_sources._lambda_description = _tolerant(lambda_sources._lambda_description)

if __name__ == "__main__":
    from schemathesis.cli import schemathesis

    sys.exit(schemathesis())
