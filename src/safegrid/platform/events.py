"""Domain events (named in the past tense) and the in-process bus.

Events are written to the outbox in the same transaction as the change and handed
to in-process handlers only after commit, so no handler ever sees a rolled-back fact.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Event:
    @property
    def topic(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in dataclasses.asdict(self).items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


Handler = Callable[[Event], None]
_handlers: dict[type[Event], list[Handler]] = defaultdict(list)


def subscribe(event_type: type[Event], handler: Handler) -> None:
    _handlers[event_type].append(handler)


def publish(events: list[Event]) -> None:
    for event in events:
        for handler in _handlers.get(type(event), []):
            try:
                handler(event)
            except Exception:
                # The change is committed and the event is in the outbox for retry;
                # a failing side effect must not turn a success into an error.
                log.exception("handler %s failed for %s", handler, event.topic)
