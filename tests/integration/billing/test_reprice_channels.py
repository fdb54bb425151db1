"""BILL-7 退补 through the API, the console and the CLI: the same service, its refusals as
clear 4xx naming the field, and the next bill explaining the differences line by line."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.billing.services import do_run_bills
from safegrid.bootstrap import Platform
from safegrid.cli import app
from safegrid.customers.models import Meter
from safegrid.readings.correction_models import UsageCorrectionRequest
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.billing import (
    SYSTEM,
    bill_months,
    billed_resident,
    correct_usage,
    issued_bills,
    seed_tariffs,
    set_period,
    set_usage,
)
from tests.fixtures.world import World

runner = CliRunner()


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def _api(world: World, post: Post = Post.FINANCE) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token(world.staff(post, 'countyA'))}"}


def _corrected(world: World) -> tuple[str, int, int]:
    seed_tariffs(world)
    number, account, meter = billed_resident(world)
    bill_months(world)
    correct_usage(world, meter, "2026-03", "900")
    return number, account, meter


def test_bill_7_api_reprices_and_refuses_naming_the_field(world: World, client: TestClient) -> None:
    number, account, _ = _corrected(world)
    body = {"accounts": [number], "from_period": "2026-06", "reason": "3月抄表更正"}
    refused = client.post("/api/billing/reprices", json=body, headers=_api(world))
    assert refused.status_code == 422
    assert refused.json()["field"] == "from_period"
    missing = client.post(
        "/api/billing/reprices",
        json={**body, "accounts": ["0000000000"], "from_period": "2026-03"},
        headers=_api(world),
    )
    assert missing.status_code == 404
    agent = client.post(
        "/api/billing/reprices",
        json={**body, "from_period": "2026-03"},
        headers=_api(world, Post.HALL_AGENT),
    )
    assert agent.status_code == 403

    ok = client.post(
        "/api/billing/reprices", json={**body, "from_period": "2026-03"}, headers=_api(world)
    )
    assert ok.status_code == 200, ok.text
    out = ok.json()
    assert [(a["period"], a["difference"]) for a in out["adjustments"]] == [
        ("2026-03", "215.20"),
        ("2026-04", "12.00"),
        ("2026-05", "8.00"),
    ]
    assert out["difference"] == "235.20"
    again = client.post(
        "/api/billing/reprices", json={**body, "from_period": "2026-03"}, headers=_api(world)
    )
    assert again.json()["adjustments"] == []
    assert issued_bills(world, account)["2026-03"].amount == Decimal("484.20")


def test_bill_7_console_reprices_from_a_bill_and_the_next_bill_explains_it(
    world: World, client: TestClient
) -> None:
    _, account, meter = _corrected(world)
    march = issued_bills(world, account)["2026-03"]
    client.cookies.set(SESSION_COOKIE, world.token(world.staff(Post.FINANCE, "countyA"), "console"))
    page = client.get(f"/bills/{march.id}")
    assert f'action="/bills/{march.id}/reprice"' in page.text
    empty = client.post(f"/bills/{march.id}/reprice", data={"reason": ""}, follow_redirects=False)
    assert empty.status_code == 422
    resp = client.post(
        f"/bills/{march.id}/reprice", data={"reason": "3月抄表更正"}, follow_redirects=False
    )
    assert resp.status_code == 303
    new_march = issued_bills(world, account)["2026-03"]
    assert resp.headers["location"].endswith(f"/bills/{new_march.id}")
    reissued = client.get(resp.headers["location"])
    assert "更正后重开" in reissued.text and "+215.20" in reissued.text

    set_usage(world, meter, account, "2026-06", "250")
    set_period(world, "2026-06")
    do_run_bills(world.platform.uow(SYSTEM), "2026-06")
    june = issued_bills(world, account)["2026-06"]
    shown = client.get(f"/bills/{june.id}")
    assert 'data-testid="bill-adjustments"' in shown.text
    assert "退补明细" in shown.text
    for cell in ("269.00", "484.20", "+215.20", "430.40", "442.40", "+12.00", "+8.00"):
        assert cell in shown.text
    assert "+235.20" in shown.text
    assert "147.00" in shown.text  # June's own amount, the differences not added again
    client.cookies.set("sg_lang", "en")
    english = client.get(f"/bills/{june.id}")
    assert "Adjustments after a correction" in english.text


def test_bill_7_cli_reprice(world: World) -> None:
    number, account, _ = _corrected(world)
    finance = world.staff(Post.FINANCE, "countyA").username
    args = ["billing", "reprice", "--account", number, "--reason", "3月抄表更正", "--as", finance]
    refused = runner.invoke(app, [*args, "--from", "2026-07"])
    assert refused.exit_code == 1
    assert "(from_period)" in refused.output
    done = runner.invoke(app, [*args, "--from", "2026-03"])
    assert done.exit_code == 0, done.output
    assert "+215.20" in done.output and "+235.20" in done.output
    again = runner.invoke(app, [*args, "--from", "2026-03"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        reversals = uow.session.scalars(
            select(Bill).where(Bill.account_id == account, Bill.kind == BillKind.REVERSAL)
        ).all()
        assert len(reversals) == 3
        assert all(r.status == BillStatus.ISSUED for r in reversals)


def test_bill_7_cli_correct_the_reading_then_reprice(world: World) -> None:
    """The whole 退补 from the command line: propose March's corrected usage, a second
    person approves it (applied and re-priced at once), a later re-price finds nothing."""
    seed_tariffs(world)
    number, account, meter_id = billed_resident(world)
    bill_months(world)
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        asset = uow.session.scalar(select(Meter.asset_no).where(Meter.id == meter_id))
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA").username
    fix = ["readings", "propose-correction", "--meter", str(asset), "--reason", "3月抄表错误"]
    fix += ["--evidence", "表盘照片 IMG-0315"]
    reader = world.staff(Post.METER_READER, "countyA").username
    assert (
        runner.invoke(app, [*fix, "--period", "2026-03", "--kwh", "900", "--as", reader]).exit_code
        == 1
    )
    not_closed = runner.invoke(app, [*fix, "--period", "2026-07", "--kwh", "900", "--as", head])
    assert not_closed.exit_code == 1 and "(period)" in not_closed.output
    negative = runner.invoke(app, [*fix, "--period", "2026-03", "--kwh", "-5", "--as", head])
    assert negative.exit_code == 1 and "(kwh)" in negative.output
    fixed = runner.invoke(app, [*fix, "--period", "2026-03", "--kwh", "900", "--as", head])
    assert fixed.exit_code == 0, fixed.output
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "readings.correction.propose")
        ).one()
    assert entry.actor_name == head
    assert issued_bills(world, account)["2026-03"].amount == Decimal("269.00")  # not yet
    finance = world.staff(Post.FINANCE, "countyA").username
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        request_id = uow.session.scalars(select(UsageCorrectionRequest.id)).one()
    decide = ["readings", "decide-correction", str(request_id), "--approve", "--note", "核实无误"]
    approved = runner.invoke(app, [*decide, "--as", finance])
    assert approved.exit_code == 0, approved.output

    repriced = runner.invoke(
        app,
        [
            "billing",
            "reprice",
            "--account",
            number,
            "--from",
            "2026-03",
            "--reason",
            "3月抄表错误",
            "--as",
            head,
        ],
    )
    assert repriced.exit_code == 0, repriced.output
    assert {p: b.amount for p, b in issued_bills(world, account).items()} == {
        "2026-01": Decimal("322.80"),
        "2026-02": Decimal("376.60"),
        "2026-03": Decimal("484.20"),
        "2026-04": Decimal("442.40"),
        "2026-05": Decimal("176.40"),
    }
