"""The playbooks a fresh installation starts with (OPS-2), installed once by
:func:`do_install_defaults` (the detection job and ``demo generate`` call it); after that
they are data, edited by a system administrator from an administration network."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from sqlalchemy import select

from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.sql_dialect import insert_skipping_conflicts
from safegrid.platform.uow import UnitOfWork
from safegrid.secops.detector import Scenario
from safegrid.secops.models import Playbook
from safegrid.secops.playbooks import STEPS

DEFAULTS: Final[tuple[dict[str, Any], ...]] = (
    {
        "code": "contain_insider",
        "name": "冻结并立案 / Freeze and open a case",
        "steps": ["freeze_account", "open_case", "notify_dso"],
        "trigger_scenarios": [
            Scenario.NIGHT_EXPORT.value,
            Scenario.DEPARTED_TOKEN.value,
            Scenario.GRANT_REVEALS.value,
        ],
        "min_score": Decimal("2.00"),
        "auto": True,
    },
    {
        "code": "verify_again",
        "name": "要求再次验证 / Require step-up",
        "steps": ["require_step_up", "notify_dso"],
        "trigger_scenarios": [Scenario.NEW_NETWORK.value, Scenario.OFF_HOURS.value],
        "min_score": Decimal("1.00"),
        "auto": True,
    },
    {
        "code": "end_sessions",
        "name": "结束全部会话 / Revoke sessions",
        "steps": ["revoke_sessions", "open_case"],
        "trigger_scenarios": [],
        "min_score": Decimal("0"),
        "auto": False,
    },
)


def do_install_defaults(uow: UnitOfWork) -> int:
    """Adds the default playbooks that are missing (an edited one is left as it is)."""
    now = clock.now()
    with uow:
        stmt = insert_skipping_conflicts(Playbook.__table__, uow.session.get_bind().dialect.name)
        added = 0
        for book in DEFAULTS:
            got = uow.session.execute(
                stmt.values(**book, updated_at=now, updated_by=uow.actor.username).returning(
                    Playbook.__table__.c.code
                )
            ).first()
            added += got is not None
        if added:
            uow.audit("secops.playbooks_installed", object_type="secops_playbook",
                      after={"added": added})  # fmt: skip
            uow.commit()
        return added


def do_save_playbook(
    uow: UnitOfWork, code: str, steps: list[str], scenarios: list[str], min_score: Decimal,
    auto: bool,
) -> None:  # fmt: skip
    bad = [s for s in steps if s not in STEPS]
    if not steps or bad:
        raise ValidationProblem(f"步骤无效 / unknown or missing steps {bad}", field="steps")
    wrong = [s for s in scenarios if s not in {x.value for x in Scenario}]
    if wrong:
        raise ValidationProblem(f"场景无效 / unknown scenarios {wrong}", field="trigger_scenarios")
    with uow:
        book = uow.session.scalars(select(Playbook).where(Playbook.code == code)).first()
        if book is None:
            from safegrid.platform.errors import NotFoundError

            raise NotFoundError("预案不存在 / playbook not found", field="code")
        before = {"steps": book.steps, "scenarios": book.trigger_scenarios, "auto": book.auto}
        book.steps, book.trigger_scenarios, book.min_score, book.auto = (
            steps, scenarios, min_score, auto,
        )  # fmt: skip
        book.updated_at, book.updated_by = clock.now(), uow.actor.username
        uow.audit("secops.playbook_saved", object_type="secops_playbook", object_id=code,
                  before=before, after={"steps": steps, "scenarios": scenarios, "auto": auto})  # fmt: skip
        uow.commit()
