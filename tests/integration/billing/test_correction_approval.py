"""BILL-7 退补 through approval (issue 13 item 4): a wrong closed month is corrected by a
proposal that a second person approves — applying it and re-pricing the bills in one
transaction — or rejects, which leaves usage and bills as they were."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from safegrid.billing.models import Bill, BillAdjustment, BillKind
from safegrid.customers.models import Meter
from safegrid.platform.errors import ConflictError, PermissionDeniedError
from safegrid.readings.correction_models import CorrectionStatus, UsageCorrectionRequest
from safegrid.readings.correction_requests import (
    Proposal,
    do_decide_correction,
    do_propose_correction,
)
from safegrid.readings.corrections import Figures
from safegrid.readings.models import MonthlyUsage
from safegrid.security.cli_identity import actor_from_username
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.billing import SYSTEM, bill_months, billed_resident, issued_bills, seed_tariffs
from tests.fixtures.world import World

D = Decimal


def _asset(world: World, meter_id: int) -> str:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return str(uow.session.scalar(select(Meter.asset_no).where(Meter.id == meter_id)))


def _march(world: World, meter_id: int) -> Decimal:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return uow.session.scalars(
            select(MonthlyUsage.kwh).where(
                MonthlyUsage.meter_id == meter_id, MonthlyUsage.period == "2026-03"
            )
        ).one()


def _proposed(world: World) -> tuple[int, int, int, World]:
    """(request id, account id, meter id): March (500 kWh) proposed as 900 by a team
    leader, on the resident of billing's own 退补 tests."""
    seed_tariffs(world)
    _number, account, meter = billed_resident(world)
    bill_months(world)
    leader = world.actor(world.staff(Post.TEAM_LEADER, "stationA"))
    request_id = do_propose_correction(
        world.platform.uow(leader),
        Proposal(
            asset_no=_asset(world, meter),
            period="2026-03",
            new=Figures(D("900")),
            reason="3月抄表错误，表盘实为多400 / March misread by 400 kWh",
            evidence="表盘照片 IMG-0315，现场复核记录 FC-22",
        ),
    )
    return request_id, account, meter, world


def _count(world: World, model: type, *where: object) -> int:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_bill_7_the_proposer_cannot_decide_and_a_rejection_changes_nothing(
    world: World,
) -> None:
    request_id, account, meter, _ = _proposed(world)
    bills_before = {p: (b.id, b.amount) for p, b in issued_bills(world, account).items()}
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        proposer = uow.session.scalar(
            select(UsageCorrectionRequest.proposed_by).where(
                UsageCorrectionRequest.id == request_id
            )
        )
    own = actor_from_username(world.platform, str(proposer))
    for approve in (True, False):
        with pytest.raises(PermissionDeniedError):
            do_decide_correction(
                world.platform.uow(own), request_id, approve=approve, note="自己审批自己的更正"
            )
    assert _march(world, meter) == D("500")

    finance = world.actor(world.staff(Post.FINANCE, "stationA"))
    decided = do_decide_correction(
        world.platform.uow(finance), request_id, approve=False, note="照片不清，请重新核查"
    )
    assert decided.status == CorrectionStatus.REJECTED
    assert _march(world, meter) == D("500")
    assert {p: (b.id, b.amount) for p, b in issued_bills(world, account).items()} == bills_before
    assert _count(world, BillAdjustment) == 0
    assert _count(world, AuditEntry, AuditEntry.action == "readings.usage.correct") == 0
    assert _count(world, AuditEntry, AuditEntry.action == "readings.correction.decide") == 1


def test_bill_7_approval_applies_the_correction_and_reprices(world: World) -> None:
    request_id, account, meter, _ = _proposed(world)
    finance = world.actor(world.staff(Post.FINANCE, "stationA"))
    decided = do_decide_correction(
        world.platform.uow(finance), request_id, approve=True, note="核实无误"
    )
    assert decided.status == CorrectionStatus.APPROVED
    assert _march(world, meter) == D("900")
    # The same figures as billing's own 退补 test: March..May re-priced, +235.20 in all.
    assert decided.repriced_months == 3
    assert decided.repriced_difference == D("235.20")
    assert issued_bills(world, account)["2026-05"].amount == D("176.40")
    actions = ("readings.usage.correct", "billing.reprice", "readings.correction.decide")
    for action in actions:
        assert _count(world, AuditEntry, AuditEntry.action == action) == 1, action
    # Decided once: a second decision is refused.
    head = world.actor(world.staff(Post.DEPARTMENT_HEAD, "stationA"))
    with pytest.raises(ConflictError):
        do_decide_correction(world.platform.uow(head), request_id, approve=True, note="")


def test_bill_7_concurrent_approvals_apply_once(world: World) -> None:
    """Four approvers at once (on PostgreSQL, real concurrent transactions): the request's
    row lock lets one apply and re-price; the others find it decided."""
    request_id, _account, meter, _ = _proposed(world)
    approvers = [world.actor(world.staff(Post.FINANCE, "stationA")) for _ in range(3)]
    approvers.append(world.actor(world.staff(Post.DEPARTMENT_HEAD, "stationA")))
    barrier = threading.Barrier(len(approvers))
    outcomes: list[object] = []

    def approve(actor: object) -> None:
        barrier.wait()
        try:
            outcomes.append(
                do_decide_correction(
                    world.platform.uow(actor),  # type: ignore[arg-type]
                    request_id,
                    approve=True,
                    note="核实无误",
                )
            )
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=approve, args=(a,)) for a in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    applied = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(applied) == 1, outcomes
    assert all(isinstance(e, ConflictError) for e in refused), refused
    assert _march(world, meter) == D("900")
    assert _count(world, BillAdjustment) == 3
    assert _count(world, Bill, Bill.kind == BillKind.REVERSAL) == 3
    assert _count(world, AuditEntry, AuditEntry.action == "readings.usage.correct") == 1
