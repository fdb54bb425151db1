"""Inside/outside objects and bodies for the security-operations routes (OPS-1..8): playbook
runs and unfreeze requests on a cashier of the caller's station and of the other county."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from safegrid.platform import clock
from safegrid.secops import emergency, hazards, playbooks
from safegrid.secops.catalog import do_install_defaults
from safegrid.secops.emergency_models import Drill
from safegrid.secops.hazard_models import HazardReport
from safegrid.secops.offline import sealing
from safegrid.secops.offline.models import OfflineCase, OfflineNode
from safegrid.secops.offline.nodes import do_pair_node, do_register_node, do_revoke_node
from safegrid.secops.unfreeze import do_request_unfreeze
from safegrid.security.policy import Post
from tests.fixtures.world import Staff, World

if TYPE_CHECKING:  # inputs.py imports this module
    from tests.permissions.inputs import Ctx


def _frozen_run(w: World, unit: str) -> int:
    do_install_defaults(w.platform.uow(w.system()))
    target = w.staff(Post.CASHIER, unit)
    req = playbooks.RunRequest("contain_insider", target.id, "权限矩阵 / matrix")
    return playbooks.do_run_playbook(w.platform.uow(w.system()), req).run_id


def _run(w: World, s: Staff) -> tuple[int, int]:
    return _frozen_run(w, "stationA"), _frozen_run(w, "stationB")


def _unfreeze_in(w: World, unit: str) -> int:
    return do_request_unfreeze(w.platform.uow(w.system()), _frozen_run(w, unit), "误报 / false")


def _unfreeze(w: World, s: Staff) -> tuple[int, int]:
    return _unfreeze_in(w, "stationA"), _unfreeze_in(w, "stationB")


MISSING = 987_654_321


_years = itertools.count(2030)


def _drill_id(w: World) -> int:
    # A year of its own per call: every post's call records a drill of its own.
    emergency.do_plan_year(w.platform.uow(w.system()), next(_years))
    with w.platform.uow(w.system(), readonly=True) as uow:
        drill = uow.session.scalars(
            select(Drill.id).where(Drill.held_on.is_(None)).order_by(Drill.id)
        ).first()
    assert drill is not None
    return int(drill)


def _drill(w: World, s: Staff) -> tuple[int, int]:
    # Plans and drills are utility-wide: a real one inside, one that does not exist outside.
    return _drill_id(w), MISSING


def _finding(w: World, s: Staff) -> tuple[int, int]:
    rec = emergency.DrillRecord(clock.business_day(), "矩阵 / matrix", ["问题 / finding"])
    (found,) = emergency.do_record_drill(w.platform.uow(w.system()), _drill_id(w), rec)
    return found, MISSING


def _hazard_in(w: World, unit: str) -> int:
    from decimal import Decimal

    report = hazards.NewHazard("矩阵 / matrix", Decimal("30"), Decimal("120"), True, w.units[unit])
    number = hazards.do_report_hazard(w.platform.uow(w.system()), report)
    with w.platform.uow(w.system(), readonly=True) as uow:
        return int(
            uow.session.scalars(select(HazardReport.id).where(HazardReport.number == number)).one()
        )


def _hazard(w: World, s: Staff) -> tuple[int, int]:
    return _hazard_in(w, "stationA"), _hazard_in(w, "stationB")


def _run_body(c: Ctx) -> dict[str, Any]:
    do_install_defaults(c.world.platform.uow(c.world.system()))
    target = c.world.staff(Post.CASHIER, "stationA")
    return {"data": {"playbook": "end_sessions", "account_id": str(target.id),
                     "reason": "矩阵 / matrix"}}  # fmt: skip


def _offline_batch(c: Ctx) -> dict[str, Any]:
    """A sealed, empty batch of hall A's paired node (paired on first use)."""
    hall = c.world.units["hallA"]
    with c.world.platform.uow(c.world.system(), readonly=True) as uow:
        node = uow.session.scalars(
            select(OfflineNode).where(OfflineNode.org_unit_id == hall, OfflineNode.active)
        ).first()
        paired = node is not None and node.claimed_at is not None
        key, code = (node.seal_key, node.code) if node and paired else (None, "")
    if key is None:
        if node is not None:  # registered but never paired: retired for a paired one
            do_revoke_node(c.world.platform.uow(c.world.system()), node.id, "矩阵 / matrix")
        code = f"HALLA-MATRIX-{next(_years)}"
        key = do_pair_node(c.world.platform.uow(c.world.system()), hall, code).key
    batch, sent = f"ob-matrix-{next(_years)}", clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    sealed = sealing.seal(sealing.decode_key(key), code, batch, sent, [])
    return {"json": {"node": code, "batch_key": batch, "sent_at": sent, "sealed": sealed}}


def _offline_case_in(w: World, hall: str) -> int:
    with w.platform.uow(w.system()) as uow:
        case = OfflineCase(
            entry_key=f"off-matrix-{next(_years)}",
            kind="refused",
            receipt_no="HALLA-20261102-900001",
            account_no="3301000001",
            amount=Decimal("10.00"),
            credited=Decimal("0.00"),
            message="矩阵 / matrix",
            status="open",
            opened_at=clock.now(),
            org_unit_id=w.units[hall],
        )
        uow.session.add(case)
        uow.session.flush()
        uow.audit("offline.case_refused", object_type="offline_case", object_id=case.id)
        uow.commit()
        return case.id


def _offline_case(w: World, s: Staff) -> tuple[int, int]:
    return _offline_case_in(w, "hallA"), _offline_case_in(w, "hallB")


def _active_node(w: World, hall: str) -> int | None:
    with w.platform.uow(w.system(), readonly=True) as uow:
        return uow.session.scalars(
            select(OfflineNode.id).where(
                OfflineNode.org_unit_id == w.units[hall], OfflineNode.active
            )
        ).first()


def _node_in(w: World, hall: str) -> int:
    """An active node of ``hall`` (one per hall): the one there, or a new one."""
    found = _active_node(w, hall)
    if found is not None:
        return found
    code = f"MATRIX-{hall.upper()}-{next(_years)}"
    return do_register_node(w.platform.uow(w.system()), w.units[hall], code).node_id


def _offline_node(w: World, s: Staff) -> tuple[int, int]:
    return _node_in(w, "hallA"), _node_in(w, "hallB")


def _register_body(c: Ctx) -> dict[str, Any]:
    # Hall A gets a new node: the one it has (the sync rows' node, too) is retired first.
    found = _active_node(c.world, "hallA")
    if found is not None:
        do_revoke_node(c.world.platform.uow(c.world.system()), found, "矩阵 / matrix")
    hall = c.world.units["hallA"]
    return {"data": {"hall_id": str(hall), "code": f"MATRIX-N{next(_years)}"}}


SECOPS_PARAMS: dict[str, Callable[[World, Staff], tuple[Any, Any]]] = {
    "playbook_run_id": _run,
    "unfreeze_id": _unfreeze,
    "drill_id": _drill,
    "finding_id": _finding,
    "hazard_id": _hazard,
    "offline_case_id": _offline_case,
    "offline_node_id": _offline_node,
}
SECOPS_BODIES: dict[str, Callable[[Ctx], dict[str, Any]]] = {
    "POST /api/counter/offline/sync": _offline_batch,
    "POST /secops/offline-nodes": _register_body,
    "POST /secops/offline-nodes/{offline_node_id}/revoke": lambda c: {
        "data": {"reason": "节点丢失 / node lost"}
    },
    "POST /counter/offline-cases/{offline_case_id}/close": lambda c: {
        "data": {"resolution": "已退款 / refunded"}
    },
    "POST /secops/playbooks/run": _run_body,
    "POST /secops/runs/{playbook_run_id}/unfreeze": lambda c: {
        "data": {"reason": "误报 / false alarm"}
    },
    "POST /secops/unfreeze/{unfreeze_id}/decision": lambda c: {"data": {"approve": "yes"}},
    "POST /account/step-up": lambda c: {"data": {"code": "000000"}},
    "POST /secops/drills/{drill_id}/record": lambda c: {
        "data": {
            "held_on": str(clock.business_day()),
            "summary": "演练 / drill",
            "findings": "问题 / finding",
        }
    },
    "POST /secops/hazards/{hazard_id}": lambda c: {
        "data": {"action": "triage", "level": "1", "assignee": "巡线班 / patrol"}
    },
    "POST /secops/findings/{finding_id}/fix": lambda c: {"data": {"note": "已整改 / fixed"}},
}
SECOPS_ALLOWED_BUSINESS: dict[str, set[int]] = {
    # No step-up is pending for the caller's session: the refusal proves the guard passed.
    "POST /account/step-up": {409},
}
