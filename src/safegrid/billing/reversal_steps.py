"""What other domains do inside a bill reversal's transaction.

Collection builds on billing (it collects bills), so billing does not call collection: the
step that cancels what the reversed bill still owes (``collection.writeoffs.apply_reversal``)
is registered here by the composition root (:mod:`safegrid.bootstrap`) and runs in the
reversal's unit of work, so collection figures never show a reversed bill as outstanding.
A reversal with no step registered is refused rather than left owing.
"""

from __future__ import annotations

from collections.abc import Callable

from safegrid.platform.uow import UnitOfWork

# (unit of work, reversal bill id) → anything; runs before the reversal commits.
ReversalStep = Callable[[UnitOfWork, int], object]

_steps: list[ReversalStep] = []


def register(step: ReversalStep) -> None:
    if step not in _steps:
        _steps.append(step)


def run(uow: UnitOfWork, reversal_bill_id: int) -> None:
    if not _steps:
        raise RuntimeError(
            "no reversal step registered: build the platform through safegrid.bootstrap"
        )
    for step in _steps:
        step(uow, reversal_bill_id)
