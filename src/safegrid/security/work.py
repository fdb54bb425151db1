"""What a guarded route receives: the signed-in actor and its units of work.

Routes used to spell ``Depends(require(Perm.X))`` and ``get_platform().uow(actor, ...)``
in every signature and body. A route now takes one ``Annotated`` alias (see
:mod:`safegrid.security.api_access` and :mod:`safegrid.web.page_access`) whose dependency
runs the route's single :class:`~safegrid.security.guards.Guard` and hands back a
:class:`Work`. The guard stays a sub-dependency, so the permission matrix still reads it
off the route.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from fastapi import Depends

from safegrid.bootstrap import get_platform
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor
from safegrid.security.guards import Guard


@dataclasses.dataclass(frozen=True)
class Work:
    """The actor a guard let in; each call opens a fresh unit of work for it."""

    actor: Actor

    def read(self) -> UnitOfWork:
        return get_platform().uow(self.actor, readonly=True)

    def write(self) -> UnitOfWork:
        return get_platform().uow(self.actor)


def work_under(guard: Guard) -> Callable[[Actor], Awaitable[Work]]:
    """A dependency that runs ``guard`` and wraps the actor it returns."""

    # A default, not ``Annotated``: with postponed annotations FastAPI would have to resolve
    # ``guard`` by name in the module globals, and it is local to this call. async: a plain
    # ``def`` would cost every request a thread-pool hop for wrapping one object.
    async def dependency(actor: Actor = Depends(guard)) -> Work:
        return Work(actor)

    return dependency
