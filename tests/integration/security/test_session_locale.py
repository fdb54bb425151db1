"""AUD-1: switching the console's language while signed in changes the session row, so it
is an audited change like any other (the unit of work refuses an unaudited UPDATE)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.models import AuditEntry, AuthSession
from safegrid.security.policy import Post
from safegrid.security.scope import unscoped
from tests.fixtures.apps import app_for
from tests.fixtures.world import World


def test_aud_1_language_switch_is_stored_on_the_session_and_audited(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    client = TestClient(app_for(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(agent, "console"))

    switched = client.get("/lang/en?next=/", follow_redirects=False)

    assert switched.status_code == 303
    with world.platform.uow(world.actor(agent), readonly=True) as uow:
        locales = uow.session.scalars(
            select(AuthSession.locale).where(AuthSession.kind == "console"),
            execution_options=unscoped("the test reads the sign-in sessions it made"),
        ).all()
        entries = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "session.locale")
        ).all()
    assert "en" in locales
    assert [(e.actor_name, e.object_type) for e in entries] == [(agent.username, "auth_session")]
    assert '"after":{"locale":"en"}' in entries[0].body
