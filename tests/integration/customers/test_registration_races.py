"""BILL-1 under concurrency (issue 11): customer numbers and one person, one archive are
database guarantees. Real threads, each with its own unit of work (or HTTP client) and
connection, released together by a barrier. SQLite serialises writers, so the races exist
on PostgreSQL only; there these tests failed before the fix (MAX + 1 numbers collided,
check-then-insert let one person be registered several times)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.app import create_app
from safegrid.bootstrap import Platform
from safegrid.customers.models import Customer, CustomerKind
from safegrid.customers.schemas import CustomerCreate
from safegrid.customers.services import do_register_customer
from safegrid.customers.validation import id_check_char
from safegrid.platform.errors import ConflictError
from safegrid.security.fields import matches
from safegrid.security.policy import Post
from tests.fixtures.world import World

THREADS = 8
REGISTRATIONS = 50
UNITS = ["prov", "cityA", "cityB", "countyA", "countyB", "stationA", "hallA", "stationB"]


@pytest.fixture(autouse=True)
def _postgresql_only(platform: Platform) -> None:
    if platform.settings.is_sqlite:
        pytest.skip(
            "SQLite serialises writers (BEGIN IMMEDIATE), so these races cannot happen there; "
            "they are run on PostgreSQL"
        )


def _id_number(n: int) -> str:
    first17 = f"330183{1950 + n % 50:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def _body(n: int, unit_id: int, id_number: str | None = None) -> dict[str, Any]:
    return {
        "kind": CustomerKind.RESIDENT.value,
        "name": f"并发客户{n}",
        "org_unit_id": unit_id,
        "address": f"浙江省杭州市富阳区富春街道江滨西路{n}号",
        "id_number": id_number or _id_number(n),
    }


def _run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Run each job in its own thread, released together; results (or the exception
    raised) in job order."""
    results: list[object] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a registration hung"
    return results


def _numbers(world: World) -> list[str]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return list(uow.session.scalars(select(Customer.number).order_by(Customer.number)))


def test_bill_1_concurrent_registrations_into_one_unit_get_distinct_numbers(
    world: World,
) -> None:
    unit = world.units["stationA"]
    batches = [range(t, REGISTRATIONS, THREADS) for t in range(THREADS)]

    def client(batch: range) -> Callable[[], list[int]]:
        def register() -> list[int]:
            return [
                do_register_customer(
                    world.platform.uow(world.system()), CustomerCreate(**_body(n, unit))
                )
                for n in batch
            ]

        return register

    results = _run_together([client(b) for b in batches])
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert sum(len(r) for r in results if isinstance(r, list)) == REGISTRATIONS
    # Distinct, and numbered 1..50 without a gap under the unit's prefix.
    assert _numbers(world) == [f"K{unit:04d}{n:07d}" for n in range(1, REGISTRATIONS + 1)]


def test_bill_1_concurrent_registrations_over_http_all_succeed(world: World) -> None:
    unit = world.units["stationA"]
    agent = world.staff(Post.HALL_AGENT, "countyA")
    headers = {"Authorization": f"Bearer {world.token(agent)}"}
    app = create_app(world.platform)
    batches = [range(t, REGISTRATIONS, THREADS) for t in range(THREADS)]

    def client(batch: range) -> Callable[[], list[int]]:
        def register() -> list[int]:
            http = TestClient(app)  # one client (and connection per request) per thread
            return [
                http.post("/api/customers", json=_body(n, unit), headers=headers).status_code
                for n in batch
            ]

        return register

    results = _run_together([client(b) for b in batches])
    statuses = [s for r in results if isinstance(r, list) for s in r]
    assert [r for r in results if isinstance(r, Exception)] == []
    assert statuses == [201] * REGISTRATIONS
    assert len(set(_numbers(world))) == REGISTRATIONS


def _archives_of(world: World, id_number: str) -> int:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return len(
            uow.session.scalars(
                select(Customer.id).where(matches(Customer.id_number, id_number))
            ).all()
        )


def test_bill_1_one_person_registered_concurrently_in_eight_units_gets_one_archive(
    world: World,
) -> None:
    person = _id_number(7)

    def register(unit: str) -> Callable[[], int]:
        body = _body(UNITS.index(unit), world.units[unit], person)
        return lambda: do_register_customer(
            world.platform.uow(world.system()), CustomerCreate(**body)
        )

    results = _run_together([register(u) for u in UNITS])
    created = [r for r in results if isinstance(r, int)]
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(created) == 1, results
    assert len(conflicts) == THREADS - 1, results
    assert {c.field for c in conflicts} == {"id_number"}
    assert _archives_of(world, person) == 1


def test_bill_1_one_person_over_http_in_eight_units_gets_one_archive_and_409s(
    world: World,
) -> None:
    person = _id_number(11)
    agent = world.staff(Post.HALL_AGENT, "prov")
    headers = {"Authorization": f"Bearer {world.token(agent)}"}
    app = create_app(world.platform)

    def register(unit: str) -> Callable[[], tuple[int, Any]]:
        body = _body(UNITS.index(unit), world.units[unit], person)

        def post() -> tuple[int, Any]:
            resp = TestClient(app).post("/api/customers", json=body, headers=headers)
            return resp.status_code, resp.json()

        return post

    results = _run_together([register(u) for u in UNITS])
    statuses = sorted(r[0] for r in results if isinstance(r, tuple))
    assert statuses == [201] + [409] * (THREADS - 1), results
    for status, body in (r for r in results if isinstance(r, tuple)):
        if status == 409:
            assert body == {
                "detail": "该身份证号已建档",  # in the reader's language only (default Chinese)
                "field": "id_number",
            }
    assert _archives_of(world, person) == 1
