"""The route guard of terminal-facing endpoints (DATA-7).

These routes are not staff routes: the caller is a handheld terminal (plus, for uploads,
its meter reader), so neither ``require`` nor ``public`` fits. :class:`TerminalGuard` is
the third kind of guard; the permission matrix (``tests/permissions``) reads it off the
routes like the others and checks that anonymous callers and staff sessions get 401.
"""

from __future__ import annotations

import dataclasses

from fastapi import Request

from safegrid.bootstrap import get_platform
from safegrid.platform.errors import AuthenticationError
from safegrid.security.actor import Actor
from safegrid.security.guards import client_ip
from safegrid.terminals.access import (
    BAD_CREDENTIALS,
    Purpose,
    TerminalPrincipal,
    authenticate_reader,
    authenticate_terminal,
    parse_authorization,
)

READER_HEADER = "X-Reader-Token"


@dataclasses.dataclass(frozen=True)
class TerminalCall:
    terminal: TerminalPrincipal
    reader: Actor | None  # set for uploads: the readings go in as him


@dataclasses.dataclass(frozen=True)
class TerminalGuard:
    purpose: Purpose

    def __call__(self, request: Request) -> TerminalCall:
        found = parse_authorization(request.headers.get("authorization", ""))
        if found is None:
            raise AuthenticationError(BAD_CREDENTIALS)
        platform = get_platform()
        principal = authenticate_terminal(platform, *found, self.purpose, client_ip(request))
        reader = None
        if self.purpose == "upload":
            reader = authenticate_reader(platform, principal, request.headers.get(READER_HEADER))
            request.state.actor = reader
        return TerminalCall(principal, reader)


def terminal_guard(purpose: Purpose) -> TerminalGuard:
    return TerminalGuard(purpose)
