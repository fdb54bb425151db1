"""BILL-2 as a meter reader works: reading books in walking order with the last reading
and the plausible range; abnormal usage confirmed with a reason waits for review instead
of being stored; the reviewer accepts or rejects it."""

from __future__ import annotations

import threading
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safegrid.customers.models import Meter, SupplyPoint
from safegrid.platform.errors import ConflictError
from safegrid.readings import books, services
from safegrid.readings.models import RegisterRead
from safegrid.readings.route_models import ReadingReview, ReviewStatus
from safegrid.readings.schemas import ReadingEntry, ReadingReviewOut
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.readings.todo import readings_to_review
from tests.fixtures.apps import app_for
from tests.fixtures.billing import set_usage
from tests.fixtures.world import World
from tests.integration.readings.conftest import Meters

HISTORY = ("2025-10", "2025-11", "2025-12")  # the same season as November 2026


def _with_history(world: World, meters: Meters, area: int) -> tuple[int, str]:
    """A meter using about 10 kWh a day, last read 2026-10-31 at 1000.00."""
    meter_id, asset = meters.make(area=area)
    with world.platform.engine.connect() as conn:
        account = conn.execute(
            select(SupplyPoint.account_id).join(Meter).where(Meter.id == meter_id)
        ).scalar_one()
    for period, kwh in zip(HISTORY, ("300", "310", "320"), strict=True):
        set_usage(world, meter_id, account, period, kwh)
    meters.stored_read(meter_id, date(2026, 10, 31), "1000.00")
    return meter_id, asset


def _client(world: World, staff: object) -> TestClient:
    client = TestClient(app_for(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(staff, "console"))  # type: ignore[arg-type]
    return client


def _reads(world: World, meter_id: int) -> int:
    with world.platform.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(RegisterRead)
                .where(RegisterRead.meter_id == meter_id)
            ).scalar_one()
        )


def test_bill_2_reader_walks_a_book_and_abnormal_readings_wait_for_review(
    world: World, meters: Meters
) -> None:
    reader = world.staff(Post.METER_READER, "stationA")
    leader = world.staff(Post.TEAM_LEADER, "countyA")
    area = world.reading_area("stationA", reader)
    normal_id, normal = _with_history(world, meters, area)
    high_id, high = _with_history(world, meters, area)
    back_id, back = _with_history(world, meters, area)
    phone = _client(world, reader)

    # The supervisor sets the walking order; the reader may not.
    order = {"order": f"{back}\n{normal}\n"}
    assert phone.post(f"/readings/books/{area}/order", data=order).status_code == 403
    boss = _client(world, leader)
    stranger = boss.post(f"/readings/books/{area}/order", data={"order": "NOPE123"})
    assert stranger.status_code == 422 and "NOPE123" in stranger.text
    saved = boss.post(f"/readings/books/{area}/order", data=order, follow_redirects=False)
    assert saved.status_code == 303

    page = phone.get(f"/readings/books/{area}")
    assert page.status_code == 200
    assert page.text.index(back) < page.text.index(normal) < page.text.index(high)
    due = phone.get("/readings").text  # the to-do's list follows the walking order too
    assert due.index(back) < due.index(normal) < due.index(high)
    assert f'href="/readings/books/{area}"' in due  # his book, opening the walk
    assert 'data-testid="edit-order"' not in page.text  # the order is the supervisor's
    assert 'data-testid="edit-order"' in boss.get(f"/readings/books/{area}").text
    # 15 days at 10.33 kWh a day (median ± 3 MAD) after 1000.00
    assert "1000.00" in page.text and 'data-testid="range-' + normal + '"' in page.text

    entry = {"read_on": "2026-11-10", "book": str(area)}
    ok = phone.post(
        "/readings/new",
        data={**entry, "asset_no": normal, "total": "1100.00"},
        follow_redirects=False,
    )
    assert (ok.status_code, ok.headers["location"]) == (303, f"/readings/books/{area}")
    assert _reads(world, normal_id) == 2

    # A jump asks for a reason and stores nothing; with the reason it waits for review.
    jump = {**entry, "asset_no": high, "total": "1900.00"}
    asked = phone.post("/readings/new", data=jump)
    assert asked.status_code == 422
    assert 'data-testid="confirm-abnormal"' in asked.text and "电量突增" in asked.text
    queued = phone.post(
        "/readings/new",
        data={**jump, "confirm_reason": "表盘确认，客户新装空调"},
        follow_redirects=False,
    )
    assert queued.status_code == 303
    assert _reads(world, high_id) == 1
    again = phone.post("/readings/new", data={**jump, "confirm_reason": "再次提交"})
    assert again.status_code == 409  # one reading of a meter waits at a time

    # Backwards: validation's own sentence, then the confirmation.
    down = {**entry, "asset_no": back, "total": "900.00"}
    asked = phone.post("/readings/new", data=down)
    assert asked.status_code == 422 and "电量为负" in asked.text and "示数倒走" in asked.text
    assert phone.post(
        "/readings/new", data={**down, "confirm_reason": "表计疑似更换"}
    ).status_code in (
        200,
        303,
    )

    assert readings_to_review(world.platform.uow(world.actor(leader))).count == 2
    queue = boss.get("/readings/reviews")
    assert queue.status_code == 200 and high in queue.text and "表盘确认" in queue.text
    with world.platform.engine.connect() as conn:
        ids = dict(conn.execute(select(ReadingReview.meter_id, ReadingReview.id)).all())
    assert (
        boss.post(f"/readings/reviews/{ids[back_id]}", data={"decision": "reject"}).status_code
        == 422
    )
    cannot = boss.post(f"/readings/reviews/{ids[back_id]}", data={"decision": "accept"})
    assert cannot.status_code == 422 and "不能入库" in cannot.text
    rejected = boss.post(
        f"/readings/reviews/{ids[back_id]}",
        data={"decision": "reject", "note": "请重新抄读"},
        follow_redirects=False,
    )
    assert rejected.status_code == 303
    accepted = boss.post(
        f"/readings/reviews/{ids[high_id]}", data={"decision": "accept"}, follow_redirects=False
    )
    assert accepted.status_code == 303
    assert _reads(world, high_id) == 2 and _reads(world, back_id) == 1
    with world.platform.engine.connect() as conn:
        read = conn.execute(
            select(RegisterRead).where(
                RegisterRead.meter_id == high_id, RegisterRead.read_on == date(2026, 11, 10)
            )
        ).one()
        statuses = dict(conn.execute(select(ReadingReview.meter_id, ReadingReview.status)).all())
    assert read.entered_by == reader.username and str(read.kwh) == "900.00"
    assert statuses == {high_id: ReviewStatus.ACCEPTED, back_id: ReviewStatus.REJECTED}
    assert readings_to_review(world.platform.uow(world.actor(leader))).count == 0


def test_bill_2_two_readers_queue_one_reading_of_a_meter(world: World, meters: Meters) -> None:
    """The partial unique index keeps one pending reading per meter, even when both
    readers pass the "already waiting?" check at the same moment."""
    reader = world.staff(Post.METER_READER, "stationA")
    area = world.reading_area("stationA", reader)
    _, asset = _with_history(world, meters, area)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def enter(total: str) -> None:
        barrier.wait()
        try:
            results.append(
                services.do_enter_reading(
                    world.platform.uow(world.actor(reader)),
                    ReadingEntry.model_validate(
                        {
                            "asset_no": asset,
                            "read_on": "2026-11-10",
                            "total": total,
                            "confirm_reason": "确认读数",
                        }
                    ),
                )
            )
        except ConflictError as exc:
            results.append(exc)

    threads = [threading.Thread(target=enter, args=(t,)) for t in ("1900.00", "2000.00")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", ReadingReviewOut.__name__]
    with world.platform.engine.connect() as conn:
        waiting = conn.execute(
            select(func.count()).select_from(ReadingReview).where(ReadingReview.status == "pending")
        ).scalar_one()
    assert waiting == 1


def test_bill_2_two_supervisors_rewriting_one_walking_order_are_serialised(
    world: World, meters: Meters
) -> None:
    """The book's row lock orders two rewrites: both succeed, the last one stands whole
    (no unique-position error, no mixture of the two orders)."""
    leader = world.staff(Post.TEAM_LEADER, "countyA")
    area = world.reading_area("stationA")
    assets = [meters.make(area=area)[1] for _ in range(4)]
    orders = [assets, list(reversed(assets))]
    barrier = threading.Barrier(2)
    results: list[object] = []

    def rewrite(order: list[str]) -> None:
        barrier.wait()
        try:
            results.append(
                books.do_set_walking_order(world.platform.uow(world.actor(leader)), area, order)
            )
        except Exception as exc:  # the failure is the result under test
            results.append(exc)

    threads = [threading.Thread(target=rewrite, args=(o,)) for o in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [4, 4]
    walked = [s.asset_no for s in books.book(world.platform.uow(world.actor(leader)), area).stops]
    assert walked in orders
