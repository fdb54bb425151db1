"""Refused field actions are logged (FLD bad input: "each a clear error, logged").

The refused transaction is rolled back whole; the refusal itself is then written as an
audit entry in a transaction of its own, so "nothing half-written" and "logged" both hold.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence

from safegrid.platform.errors import NotFoundError, SafeGridError
from safegrid.platform.uow import UnitOfWork

log = logging.getLogger("safegrid.fieldwork")


@contextlib.contextmanager
def logged(
    uow: UnitOfWork, action: str, object_type: str, objects: Sequence[object]
) -> Iterator[None]:
    """Wrap the unit of work (``with logged(...), uow:``): a SafeGrid error raised inside
    is audited as ``action`` after the rollback and raised again. Not found is not logged:
    out of scope looks the same, and must change nothing (ORG-2)."""
    try:
        yield
    except NotFoundError:
        raise
    except SafeGridError as exc:
        log.warning("%s by %s: %s (%s)", action, uow.actor.username, exc.message, objects)
        with uow.fresh() as again:
            again.audit(
                action,
                object_type=object_type,
                after={"objects": [str(o) for o in objects][:50], "field": exc.field},
                note=exc.message[:300],
            )
            again.commit()
        raise
