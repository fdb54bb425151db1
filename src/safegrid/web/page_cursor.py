"""The ``?after=&before=&size=`` query parameters of the console's keyset lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Query

from safegrid.platform.keyset import MAX_SIZE, Cursor


def page_cursor(default_size: int) -> Callable[..., Cursor]:
    """A dependency reading the page a list link names; ``size`` defaults per page."""

    def read(
        after: Annotated[int | None, Query(gt=0, le=2**63 - 1)] = None,
        before: Annotated[int | None, Query(gt=0, le=2**63 - 1)] = None,
        size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = default_size,
    ) -> Cursor:
        return Cursor(after=after, before=before, size=size)

    return read
