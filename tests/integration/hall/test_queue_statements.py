"""Issue 15's throughput: the statements a queue operation sends to the database (the
audit chain's three and the store's and outbox's inserts included), so an extra read or
a refresh that creeps back in shows here rather than as a slower benchmark."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from safegrid.hall import queue
from safegrid.hall.schemas import Rating
from safegrid.security.policy import Post
from tests.fixtures.hall import Halls


def test_statements_per_queue_operation(hall_world: Halls) -> None:
    h = hall_world
    h.open("hallA")
    window = h.window("hallA", 1)
    h.window("hallA", 2)
    h.take("hallA")
    agent = h.world.actor(h.world.staff(Post.HALL_AGENT, "hallA"))
    uow = h.world.platform.uow
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.startswith("BEGIN"):
            sent.append(statement)

    def count(operation: Callable[[], Any]) -> tuple[int, Any]:
        sent.clear()
        result = operation()
        return len(sent), result

    engine = h.world.platform.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        took, _ = count(lambda: h.take("hallA"))
        called, ticket = count(lambda: queue.do_call_next(uow(agent), window))
        completed, _ = count(lambda: queue.do_step(uow(agent), ticket.id, "complete"))
        rated, _ = count(lambda: queue.do_rate(uow(agent), ticket.id, Rating(score=5)))
    finally:
        event.remove(engine, "before_cursor_execute", note)
    # Each includes the hall event, the outbox row and the audit chain's three statements.
    assert (took, called, completed, rated) == (9, 7, 7, 6), sent
