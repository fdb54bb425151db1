"""IAM-2/IAM-3: tokens of requests arriving together are looked up together (ADR 0045),
and each request still gets exactly the answer its own token earns: a revoked, expired,
unknown token or a frozen account is refused, the others let in as their own account."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from safegrid.platform import clock
from safegrid.platform.errors import AuthenticationError
from safegrid.security import authn, token_batches
from safegrid.security.actor import Actor
from safegrid.security.models import AccountStatus, AuthSession, StaffAccount
from safegrid.security.policy import Post
from tests.fixtures.world import World


def test_iam_2_tokens_resolved_together_each_get_their_own_answer(world: World) -> None:
    people = [world.staff(Post.HALL_AGENT, "hallA") for _ in range(10)]
    tokens = [world.token(p) for p in people]  # ten: more than one statement's eight slots
    revoked, expired = world.token(people[0]), world.token(people[1])
    frozen = world.staff(Post.HALL_AGENT, "hallA")
    frozen_token = world.token(frozen)
    console = world.token(people[2], kind="console")
    with world.platform.engine.begin() as c:
        c.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == authn.token_digest(revoked))
            .values(revoked_at=clock.now())
        )
        c.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == authn.token_digest(expired))
            .values(expires_at=clock.now() - timedelta(seconds=1))
        )
        c.execute(
            update(StaffAccount)
            .where(StaffAccount.id == frozen.id)
            .values(status=AccountStatus.FROZEN)
        )
    asked: list[tuple[str, authn.SessionKind]] = [
        *((t, "api") for t in tokens),
        (revoked, "api"),
        (expired, "api"),
        ("no-such-token", "api"),
        (frozen_token, "api"),
        (console, "api"),  # a console session is no API token
        (tokens[3], "api"),  # the same token twice in one batch
    ]
    answers = authn.resolve_many(world.platform.uow(Actor.system("t", "web"), readonly=True), asked)

    for person, answer in zip(people, answers[:10], strict=True):
        assert isinstance(answer, authn.ResolvedSession)
        assert answer.account.id == person.id and answer.account.username == person.username
    assert all(isinstance(a, AuthenticationError) for a in answers[10:15])
    assert isinstance(answers[15], authn.ResolvedSession)
    assert answers[15].account.id == people[3].id


def test_iam_2_the_guard_awaits_the_resolver_thread(world: World) -> None:
    person = world.staff(Post.HALL_AGENT, "hallA")
    good, bad = world.token(person), "no-such-token"

    async def both() -> list[object]:
        return await asyncio.gather(
            token_batches.resolve(world.platform, good, "api"),
            token_batches.resolve(world.platform, bad, "api"),
            return_exceptions=True,
        )

    found, refused = asyncio.run(both())
    assert isinstance(found, authn.ResolvedSession) and found.account.id == person.id
    assert isinstance(refused, AuthenticationError)
