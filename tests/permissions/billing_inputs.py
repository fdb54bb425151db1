"""Permission-matrix inputs of the tariff and bill-run routes (BILL-3, BILL-4).

Tariffs are utility-wide configuration, not org-scoped: there is no tariff "of another
region", so the outside value of ``tariff_id`` / ``version_id`` is an id that does not
exist — the answer must be the same 404 (nothing revealed, nothing written).
``bill_id`` comes from the collection inputs (an issued bill in each county).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from safegrid.billing.models import Bill, BillRun, RunStatus
from safegrid.customers.models import Account
from safegrid.platform import clock
from safegrid.tariffs.models import Tariff, TariffVersion
from tests.fixtures.billing import SYSTEM, billed_account, seed_tariffs, set_period
from tests.fixtures.world import Staff, World

MISSING = 987_654_321
PERIOD = "2026-10"


def _run_in(w: World, unit: str) -> int:
    with w.platform.uow(SYSTEM) as uow:
        run = BillRun(
            period=PERIOD,
            status=RunStatus.COMPLETED,
            started_at=clock.now(),
            finished_at=clock.now(),
            started_by="tests",
            org_unit_id=w.units[unit],
        )
        uow.session.add(run)
        uow.session.flush()
        uow.audit("test.bill_run", object_type="bill_run", object_id=run.id)
        uow.commit()
        return run.id


def _run(w: World, s: Staff) -> tuple[int, int]:
    return _run_in(w, "stationA"), _run_in(w, "stationB")


def _residential_tariff(w: World) -> tuple[int, int]:
    seed_tariffs(w)
    with w.platform.uow(SYSTEM, readonly=True) as uow:
        tariff = uow.session.scalars(select(Tariff).where(Tariff.code == "ZJ-RES")).one()
        version = uow.session.scalars(
            select(TariffVersion.id)
            .where(TariffVersion.tariff_id == tariff.id)
            .order_by(TariffVersion.effective_from.desc())
        ).first()
        return tariff.id, int(version or 0)


def _tariff(w: World, s: Staff) -> tuple[int, int]:
    return _residential_tariff(w)[0], MISSING


def _version(w: World, s: Staff) -> tuple[int, int]:
    return _residential_tariff(w)[1], MISSING


BILLING_PARAMS: dict[str, Callable[[World, Staff], tuple[Any, Any]]] = {
    "run_id": _run,
    "tariff_id": _tariff,
    "version_id": _version,
}


def _closed_period(c: Any) -> str:
    set_period(c.world, PERIOD)  # an empty closed period: the run is valid and bills nothing
    return PERIOD


def _version_form(c: Any) -> dict[str, str]:
    # Each example starts a month later than the last, closing the version before it.
    month = 2040 * 12 + c.unique()
    return {
        "effective_from": f"{month // 12:04d}-{month % 12 + 1:02d}-01",
        "base_price": "0.5480",
        "peak_price": "0.5780",
        "valley_price": "0.2980",
        "tier1_limit": "2760",
        "tier2_limit": "4800",
        "tier2_addon": "0.05",
        "tier3_addon": "0.30",
    }


def _billed_number(c: Any) -> str:
    """The account number of a county-A account with an issued October bill."""
    bill_id = billed_account(c.world, "stationA", PERIOD)
    with c.world.platform.uow(SYSTEM, readonly=True) as uow:
        number = uow.session.scalar(
            select(Account.number)
            .join(Bill, Bill.account_id == Account.id)
            .where(Bill.id == bill_id)
        )
    return str(number)


BILLING_BODIES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "POST /api/billing/runs": lambda c: {"json": {"period": _closed_period(c)}},
    "POST /api/bills/{bill_id}/reverse": lambda c: {"json": {"reason": "权限测试冲正"}},
    # Nothing was corrected: priced again it costs the same, so the answer changes nothing.
    "POST /api/billing/reprices": lambda c: {
        "json": {"accounts": [_billed_number(c)], "from_period": PERIOD, "reason": "权限测试退补"}
    },
    "POST /api/tariffs": lambda c: {
        "json": {
            "code": f"PERM-{c.unique()}",
            "name": "测试电价",
            "name_en": "Test tariff",
            "category": "industrial",
            "structure": "tiered_monthly",
        }
    },
    "POST /api/tariffs/{tariff_id}/versions": lambda c: {
        "json": {**_version_form(c), "close_current": True}
    },
    "PATCH /api/tariff-versions/{version_id}": lambda c: {"json": {"note": "权限测试"}},
    "POST /billing/runs": lambda c: {"data": {"period": _closed_period(c)}},
    "POST /bills/{bill_id}/reverse": lambda c: {"data": {"reason": "权限测试冲正"}},
    "POST /bills/{bill_id}/reprice": lambda c: {"data": {"reason": "权限测试退补"}},
    "POST /tariffs/{tariff_id}/versions": lambda c: {
        "data": {**_version_form(c), "close_current": "on"}
    },
}

BILLING_ALLOWED_BUSINESS: dict[str, set[int]] = {
    # The collection fixtures' bills are inserted without usage: re-pricing one is refused
    # (422, nothing written) after the guard and the scope let the caller in.
    "POST /bills/{bill_id}/reprice": {422},
}
