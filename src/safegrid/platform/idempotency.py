"""One idempotent call of a ``do_*`` service whose work is keyed by a unique constraint
(a write-off reference, a payment's idempotency key)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError

from safegrid.platform.uow import UnitOfWork


class Replayable(Protocol):
    @property
    def replayed(self) -> bool: ...


R = TypeVar("R", bound=Replayable)


def run_once(uow: UnitOfWork, work: Callable[[], R], replay: Callable[[], R | None]) -> R:
    """Run ``work`` in ``uow`` and commit unless it only replayed an earlier call.

    Two first calls with one key can race past each other's checks when they lock
    different rows (PostgreSQL): the loser's insert hits the unique constraint, and it
    answers with the winner's result from ``replay`` (which returns None when there is
    none — then the IntegrityError was something else and is raised)."""
    try:
        with uow:
            result = work()
            if not result.replayed:
                uow.commit()
            return result
    except IntegrityError:
        with uow:
            again = replay()
            if again is None:
                raise
            return again
