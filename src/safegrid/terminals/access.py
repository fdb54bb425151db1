"""Authenticating a terminal and, for uploads, the meter reader using it (DATA-7, IAM-1).

A terminal presents ``Authorization: Terminal <terminal id>:<secret>``. An upload also
carries the reader's own API token (``X-Reader-Token``, from ``POST /api/auth/token``): the
readings go in as that reader, with his scope, and only if he is the reader the terminal
is assigned to. A terminal whose credentials were revoked (lost) may still authenticate
for one purpose: fetching and acknowledging its unacknowledged wipe command.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Literal

from safegrid.bootstrap import Platform
from safegrid.platform.errors import AuthenticationError, PermissionDeniedError
from safegrid.security import authn
from safegrid.security.actor import Actor
from safegrid.security.models import SessionStage
from safegrid.security.policy import Perm
from safegrid.security.scope import Scope
from safegrid.terminals import keys
from safegrid.terminals.models import CommandKind, TerminalStatus
from safegrid.terminals.repository import TerminalRepository

log = logging.getLogger(__name__)

Purpose = Literal["upload", "commands"]
BAD_CREDENTIALS = "终端凭据无效或已吊销 / unknown terminal, wrong secret or revoked credentials"


@dataclasses.dataclass(frozen=True)
class TerminalPrincipal:
    terminal_id: int
    code: str
    org_unit_id: int
    org_path: str
    revoked: bool
    ip: str | None

    def actor(self) -> Actor:
        """The terminal as the actor of its own command fetches and acknowledgements:
        named in the audit chain, no permission, scoped to its unit."""
        return Actor(
            account_id=None,
            username=f"terminal:{self.code}",
            real_name=self.code,
            post=None,
            org_unit_id=self.org_unit_id,
            permissions=frozenset(),
            scope=Scope.subtree(self.org_path),
            channel="api",
            ip=self.ip,
        )


def parse_authorization(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "terminal":
        return None
    code, sep, secret = value.strip().partition(":")
    if not sep or not code or not secret or len(code) > 32 or len(secret) > 128:
        return None
    return code, secret


def _refuse(platform: Platform, principal_ip: str | None, code: str, why: str) -> None:
    """Audit a refused attempt on a known terminal (a thief trying a lost handheld)."""
    with platform.uow(Actor.system("terminal-auth", "api")) as uow:
        terminal = TerminalRepository(uow).by_code(code)
        if terminal is None:
            return
        uow.audit(
            "terminal.auth_refused",
            object_type="field_terminal",
            object_id=terminal.id,
            org_unit_id=terminal.org_unit_id,
            note=f"{why} from {principal_ip or 'unknown address'}",
        )
        uow.commit()


def authenticate_terminal(
    platform: Platform, code: str, secret: str, purpose: Purpose, ip: str | None
) -> TerminalPrincipal:
    with platform.uow(Actor.system("terminal-auth", "api"), readonly=True) as uow:
        repo = TerminalRepository(uow)
        terminal = repo.by_code(code)
        if terminal is None:
            log.warning("unknown terminal %r from %s", code[:32], ip)
            raise AuthenticationError(BAD_CREDENTIALS)
        ok = keys.secret_matches(secret, terminal.secret_digest)
        revoked = terminal.credentials_revoked_at is not None
        wipe_pending = any(c.kind == CommandKind.WIPE for c in repo.pending_commands(terminal.id))
        principal = TerminalPrincipal(
            terminal.id,
            terminal.code,
            terminal.org_unit_id,
            repo.org_path(terminal.org_unit_id),
            revoked,
            ip,
        )
        status = terminal.status
    if not ok:
        _refuse(platform, ip, code, "wrong secret")
        raise AuthenticationError(BAD_CREDENTIALS)
    if revoked and not (purpose == "commands" and wipe_pending):
        _refuse(platform, ip, code, f"revoked credentials ({status.value}) used for {purpose}")
        raise AuthenticationError(BAD_CREDENTIALS)
    if not revoked and status != TerminalStatus.ACTIVE:  # retired without revocation: refuse
        raise AuthenticationError(BAD_CREDENTIALS)
    return principal


def authenticate_reader(
    platform: Platform, principal: TerminalPrincipal, token: str | None
) -> Actor:
    """The meter reader behind an upload, as the actor the readings are recorded under."""
    if not token:
        raise AuthenticationError(
            "抄表员未登录 / the meter reader is not signed in (X-Reader-Token)"
        )
    resolved = authn.resolve(
        platform.uow(Actor.system("session-resolver", "api"), readonly=True), token, "api"
    )
    if resolved.stage != SessionStage.FULL:
        raise AuthenticationError("抄表员须先完成登录设置 / the reader must finish sign-in setup")
    with platform.uow(Actor.system("terminal-auth", "api"), readonly=True) as uow:
        assigned = TerminalRepository(uow).own(principal.terminal_id).reader_id
    if resolved.account.id != assigned:
        raise PermissionDeniedError(
            "该终端未分配给此抄表员 / this terminal is assigned to another meter reader"
        )
    actor = authn.actor_for(
        resolved.account,
        resolved.org_path,
        "api",
        principal.ip,
        resolved.session_id,
        resolved.reading_area_ids,
    )
    if not actor.can(Perm.READINGS_ENTER):
        raise PermissionDeniedError(f"无权限 / permission {Perm.READINGS_ENTER.value} required")
    return actor
