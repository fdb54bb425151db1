"""Domain events (named in the past tense) and the registry of in-process subscribers.

Events are written to the outbox in the same transaction as the change (``uow.emit``) and
leave it only through the relay (:mod:`safegrid.relay`), which hands them to the
subscribers registered here and to the registered webhooks, retrying failures, and marks
them published once every one of them has them (ADR 0016). There is no second path: no
handler ever runs inside the service that emitted the event, nor sees a rolled-back fact.

A subscriber registers at import of its module, and that module is listed in
:data:`SUBSCRIBER_MODULES` so every relay process (the server's job, ``safegrid events
relay``) has the same subscribers::

    from safegrid.platform import events

    def feed(records: Sequence[events.EventRecord]) -> None: ...

    events.subscribe(["CustomerRegistered", "Payment*"], feed, name="hall.feed")

A handler gets a batch of records (a single event is a batch of one) and either returns
(all delivered) or raises (all retried with backoff, then one by one, so one bad event
cannot hold back its neighbours). Delivery is at least once: a relay that dies between
calling a handler and recording it delivers again, so a handler keys what it does on
``record.id``.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final


@dataclasses.dataclass(frozen=True)
class Event:
    @property
    def topic(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        # Field by field: ``asdict`` deep-copies every value, which cost a queue operation's
        # outbox row more CPU than its insert. Only a nested value needs its conversion.
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if not all(isinstance(v, _FLAT) for v in values.values()):
            values = dataclasses.asdict(self)
        return {k: _jsonable(v) for k, v in values.items()}


_FLAT = (str, int, float, Decimal, datetime, date, type(None))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclasses.dataclass(frozen=True)
class EventRecord:
    """An event as stored in the outbox, as subscribers and webhooks receive it."""

    id: int
    topic: str
    payload: dict[str, Any]
    created_at: datetime

    def event(self) -> Event | None:
        """The typed event again (Decimal, date and datetime fields restored), or None when
        no loaded module defines an event class of this name."""
        cls = _event_classes().get(self.topic)
        if cls is None:
            return None
        hints = _hints(cls)
        values = {
            f.name: _typed(hints.get(f.name), self.payload[f.name])
            for f in dataclasses.fields(cls)
            if f.name in self.payload
        }
        return cls(**values)


def _event_classes() -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    todo: list[type[Event]] = [Event]
    while todo:
        for sub in todo.pop().__subclasses__():
            found[sub.__name__] = sub
            todo.append(sub)
    return found


_HINTS: dict[str, dict[str, Any]] = {}


def _hints(cls: type[Event]) -> dict[str, Any]:
    key = f"{cls.__module__}.{cls.__qualname__}"
    if key not in _HINTS:
        _HINTS[key] = typing.get_type_hints(cls)
    return _HINTS[key]


def _typed(hint: Any, value: Any) -> Any:
    if value is None or hint is None:
        return value
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if Decimal in options:
        return Decimal(value)
    if datetime in options:  # before date: a datetime is also a date
        return datetime.fromisoformat(value)
    if date in options:
        return date.fromisoformat(value)
    return value


Handler = Callable[[Sequence[EventRecord]], None]

# Modules whose import subscribes handlers. A domain adding a subscriber adds its module
# here, so the relay in every process (server job, CLI worker) delivers to it.
SUBSCRIBER_MODULES: Final[tuple[str, ...]] = (
    "safegrid.hall.feed",
    "safegrid.secops.responder",
    "safegrid.collection.field_orders",
)

# An event name (``CustomerRegistered``), a prefix ending in ``*`` (``Payment*``) or ``*``.
_PATTERN = re.compile(r"^(\*|[A-Za-z][A-Za-z0-9_.]*\*?)$")
_NAME = re.compile(r"^[a-z][a-z0-9_.:<>-]{2,99}$")


def topic_matches(pattern: str, topic: str) -> bool:
    if pattern.endswith("*"):
        return topic.startswith(pattern[:-1])
    return topic == pattern


def parse_patterns(spec: str | Iterable[str | type[Event]]) -> tuple[str, ...]:
    """Event filters as a tuple; a text spec is comma-separated. Raises ValueError naming
    a bad pattern (webhook forms turn it into a 422 on ``events``)."""
    items = spec.split(",") if isinstance(spec, str) else spec
    patterns = []
    for item in items:
        pattern = item.__name__ if isinstance(item, type) else item.strip()
        if not _PATTERN.fullmatch(pattern):
            raise ValueError(
                f"事件过滤条件无效 / bad event filter {pattern!r}: an event name, a prefix "
                "ending in *, or *"
            )
        patterns.append(pattern)
    if not patterns:
        raise ValueError("至少需要一个事件过滤条件 / at least one event filter is needed")
    return tuple(dict.fromkeys(patterns))


@dataclasses.dataclass(frozen=True)
class Subscriber:
    name: str
    patterns: tuple[str, ...]
    handler: Handler

    @property
    def target(self) -> str:
        return f"subscriber:{self.name}"

    def wants(self, topic: str) -> bool:
        return any(topic_matches(p, topic) for p in self.patterns)


_subscribers: dict[str, Subscriber] = {}


def subscribe(
    events: str | type[Event] | Iterable[str | type[Event]],
    handler: Handler,
    *,
    name: str | None = None,
) -> Subscriber:
    """Deliver the matching events to ``handler`` from now on (events already published
    are not replayed). ``name`` identifies the subscriber in delivery records across
    processes and restarts; it defaults to the handler's module and qualified name."""
    spec: str | Iterable[str | type[Event]] = [events] if isinstance(events, type) else events
    sub_name = name or f"{handler.__module__}.{handler.__qualname__}".lower()
    if not _NAME.fullmatch(sub_name):
        raise ValueError(f"bad subscriber name {sub_name!r}")
    existing = _subscribers.get(sub_name)
    if existing is not None and existing.handler is not handler:
        raise ValueError(f"subscriber {sub_name!r} is already registered")
    subscriber = Subscriber(sub_name, parse_patterns(spec), handler)
    _subscribers[sub_name] = subscriber
    return subscriber


def unsubscribe(name: str) -> None:
    _subscribers.pop(name, None)


def subscribers() -> dict[str, Subscriber]:
    """Every subscriber, after importing the modules that register them."""
    for module in SUBSCRIBER_MODULES:
        importlib.import_module(module)
    return dict(_subscribers)
