"""OPS-2 under concurrency (PostgreSQL): two playbooks freezing the last two system
administrators at the same moment — the administrators are row-locked while counted, so
exactly one freeze succeeds and one administrator stays active."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from safegrid.bootstrap import Platform
from safegrid.secops import playbooks as pb
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Post
from tests.fixtures.world import World


def test_ops_2_concurrent_freezes_keep_one_administrator(books: World, platform: Platform) -> None:
    if platform.engine.dialect.name != "postgresql":
        pytest.skip("row locks between concurrent writers: PostgreSQL")
    w = books
    dso = w.actor(w.staff(Post.DATA_SECURITY_OFFICER, "countyA"))
    admins = [w.staff(Post.SYSTEM_ADMIN, "countyA") for _ in range(2)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def freeze(account_id: int) -> None:
        start.wait()
        try:
            pb.do_run_playbook(
                w.platform.uow(dso), pb.RunRequest("contain_insider", account_id, "并发 / race")
            )
            outcomes.append("frozen")
        except pb.LastAdministratorError:
            outcomes.append("refused")

    threads = [threading.Thread(target=freeze, args=(a.id,)) for a in admins]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["frozen", "refused"]
    with w.platform.engine.connect() as conn:
        active = conn.scalar(
            select(func.count()).where(
                StaffAccount.post == Post.SYSTEM_ADMIN,
                StaffAccount.status == AccountStatus.ACTIVE,
            )
        )
    assert active == 1
