"""The tariff advice a portal customer reads on his account page (ANA-4): the port the
portal asks through.

Analytics builds on the portal (its customer profile reads portal bindings), so the portal
cannot import analytics. Analytics' answer, :mod:`safegrid.analytics.portal_advice`, is
registered by the composition root (:mod:`safegrid.bootstrap`). The portal asks only about
an account it has already found among the customer's bound accounts (``accounts.owned``).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Protocol

from safegrid.platform.uow import UnitOfWork


@dataclasses.dataclass(frozen=True)
class PortalAdvice:
    """The newest advice stored for one account, costs over the twelve months up to
    ``period``; the option names are "中文 / English" pairs."""

    period: str
    current_name: str
    current_cost: Decimal
    advised_name: str
    advised_cost: Decimal
    saving: Decimal


class AdviceReader(Protocol):
    def __call__(self, uow: UnitOfWork, account_id: int) -> PortalAdvice | None:
        """The newest advice for ``account_id`` read inside ``uow``, or None when there is
        none."""
        ...


_reader: AdviceReader | None = None


def register(reader: AdviceReader) -> None:
    global _reader
    _reader = reader


def reader() -> AdviceReader:
    if _reader is None:
        raise RuntimeError(
            "no AdviceReader registered: build the platform through safegrid.bootstrap"
        )
    return _reader
