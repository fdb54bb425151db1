"""HALL-2/3/9 in the console: a ticket from the public kiosk is called at a window desk,
completed and rated on the evaluation pad; the monitor and the display board show it;
the region page lists the caller's halls only (ORG-2)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.hall import Halls


def test_hall_2_kiosk_desk_rating_monitor_and_board(hall_world: Halls) -> None:
    h = hall_world
    hall_id = h.open("hallA")
    h.open("hallB")
    window = h.window("hallA", 3, "payment")
    kiosk = TestClient(app_for(h.world.platform))
    page = kiosk.post(f"/hall/kiosk/{hall_id}", data={"business_type": "payment"})
    assert page.status_code == 201 and 'data-testid="ticket-number">A0001<' in page.text
    bad = kiosk.post(f"/hall/kiosk/{hall_id}", data={"business_type": "lottery"})
    assert bad.status_code == 422
    assert kiosk.get("/hall/kiosk/999999").status_code == 404

    agent = h.world.staff(Post.HALL_AGENT, "countyA")
    desk = TestClient(app_for(h.world.platform))
    desk.cookies.set(SESSION_COOKIE, h.world.token(agent, "console"))
    called = desk.post(f"/hall/windows/{window}/call-next", follow_redirects=True)
    assert 'data-testid="desk-serving">A0001<' in called.text
    ticket_id = re.search(r"/hall/tickets/(\d+)/step", called.text).group(1)  # type: ignore[union-attr]
    done = desk.post(
        f"/hall/tickets/{ticket_id}/step", data={"step": "complete"}, follow_redirects=False
    )
    assert done.status_code == 303
    rated = desk.post(
        f"/hall/tickets/{ticket_id}/rating",
        data={"score": "4", "comment": "好"},
        follow_redirects=False,
    )
    assert rated.status_code == 303
    again = desk.post(f"/hall/tickets/{ticket_id}/rating", data={"score": "9"})
    assert again.status_code == 422  # out of range: named next to the field, nothing stored

    live = desk.get(f"/hall/{hall_id}/monitor", headers={"HX-Request": "true"})
    assert 'data-testid="hall-completed">1<' in live.text
    assert 'data-testid="hall-rating">4.0 (1)<' in live.text
    assert "<html" not in live.text  # the polled fragment only
    board = kiosk.get(f"/hall/board/{hall_id}")
    assert "A0001" in board.text and "<td>3</td>" in board.text
    region = desk.get("/hall").text
    assert f"/hall/{hall_id}/monitor" in region and "象山营业厅" not in region
