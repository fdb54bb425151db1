"""Tokens of the requests arriving together resolved in one statement (IAM-2, IAM-3;
ADR 0045).

Every authenticated request used to look its token up in a unit of work of its own, in a
worker thread: a thread hop, a pooled connection with its pre-ping, and a statement, per
request — a third of what a hall's queue operation cost the server. The guard now awaits
its answer on the event loop while one thread per process resolves every token waiting at
that moment with one statement (:func:`safegrid.security.authn.resolve_many`, the same
checks as ever: revoked, expired, frozen, locked). A request is answered only from what
the database said after it arrived, never from a cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from safegrid.bootstrap import Platform
from safegrid.platform.batching import Batcher
from safegrid.security import authn
from safegrid.security.actor import Actor

Answer = authn.ResolvedSession | BaseException
Item = tuple[str, authn.SessionKind]

_RESOLVER = Actor.system("session-resolver", "web")
MAX_BATCH = 64


def _resolve(platform: Platform, items: Sequence[Item]) -> list[Answer]:
    return list(authn.resolve_many(platform.uow(_RESOLVER, readonly=True), items))


def resolve_here(platform: Platform, token: str, kind: authn.SessionKind) -> authn.ResolvedSession:
    """The same answer, looked up in the calling thread (a batch of one): for code that
    cannot await, such as an error page identifying its user."""
    return authn.resolve(platform.uow(_RESOLVER, readonly=True), token, kind)


def _failed(exc: BaseException) -> Answer:
    return exc


BATCHER: Batcher[Platform, Item, Answer] = Batcher("token-resolver", MAX_BATCH, _resolve, _failed)


async def resolve(platform: Platform, token: str, kind: authn.SessionKind) -> authn.ResolvedSession:
    """The live session behind ``token``, or its AuthenticationError raised."""
    answer = await asyncio.wrap_future(BATCHER.submit(platform, (token, kind)))
    if isinstance(answer, BaseException):
        raise answer
    return answer
