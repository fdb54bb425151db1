"""How security raises an alert to the managers without importing the alerts domain.

Alerts builds on security (its routes and recipients need accounts and scopes), so
security does not import alerts: the composition root (:mod:`safegrid.bootstrap`)
registers ``alerts.raise_alert.raise_alert`` here, and a password spray (IAM-3) raises
its alert through this port in the caller's transaction. Raising with nothing
registered is refused rather than silently dropped.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from safegrid.security.actor import Actor


class RaiseAlert(Protocol):
    def __call__(
        self,
        session: Session,
        *,
        kind: str,
        object_type: str,
        object_id: str,
        label: str | None,
        before: str | None,
        after: str | None,
        unit_id: int | None,
        actor: Actor | None,
        text: str,
    ) -> int: ...


_raise: list[RaiseAlert] = []


def register(raise_alert: RaiseAlert) -> None:
    _raise[:] = [raise_alert]


def raise_alert(
    session: Session,
    *,
    kind: str,
    object_type: str,
    object_id: str,
    label: str | None,
    before: str | None,
    after: str | None,
    unit_id: int | None,
    actor: Actor | None,
    text: str,
) -> int:
    if not _raise:
        raise RuntimeError(
            "no alert channel registered: build the platform through safegrid.bootstrap"
        )
    return _raise[0](
        session,
        kind=kind,
        object_type=object_type,
        object_id=object_id,
        label=label,
        before=before,
        after=after,
        unit_id=unit_id,
        actor=actor,
        text=text,
    )
