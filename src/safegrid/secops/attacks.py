"""Recording a blocked attack (OPS-8): one row, its audit entry, an alert to the managers of
the utility and an ``AttackBlocked`` event, in one unit of work."""

from __future__ import annotations

from safegrid.alerts.raise_alert import raise_alert
from safegrid.alerts.recipients import root_unit_id
from safegrid.bootstrap import Platform
from safegrid.platform import clock
from safegrid.secops.events import AttackBlocked
from safegrid.secops.resilience_models import AttackEvent
from safegrid.security.actor import Actor

ACTOR = Actor.system("secops.shield", "web")


def do_record_attack(platform: Platform, kind: str, network: str, path: str) -> None:
    with platform.uow(ACTOR) as uow:
        event = AttackEvent(at=clock.now(), kind=kind, network=network[:64], path=path[:200])
        uow.session.add(event)
        uow.session.flush()
        if root_unit_id(uow.session) is not None:  # an empty installation has nobody to tell
            raise_alert(
                uow.session,
                kind="attack_blocked",
                object_type="network",
                object_id=network[:64],
                label=kind,
                before=None,
                after=path[:200],
                unit_id=None,
                actor=ACTOR,
                text=f"已拦截攻击 / attack blocked: {kind} from {network} on {path[:80]}",
            )
        uow.audit("secops.attack_blocked", object_type="network", object_id=network[:64],
                  after={"kind": kind, "path": path[:200]})  # fmt: skip
        uow.emit(AttackBlocked(kind, network, path[:200]))
        uow.commit()
