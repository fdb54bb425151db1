"""Step-up at the next action (OPS-2): a playbook put the account's sessions in the
``step_up`` stage; the guard lets such a session do nothing but enter its one-time code
again, which returns it to full use."""

from __future__ import annotations

from sqlalchemy import select

from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.authn import _otp_step
from safegrid.security.models import AuthSession, SessionStage, StaffAccount


def do_step_up(uow: UnitOfWork, code: str) -> None:
    now = clock.now()
    with uow:
        session = uow.session.scalars(
            select(AuthSession).where(AuthSession.id == uow.actor.session_id)
        ).first()
        if session is None or session.stage != SessionStage.STEP_UP:
            raise ConflictError("无需再次验证 / no step-up is pending", field="code")
        account = uow.session.get_one(StaffAccount, session.account_id)
        step = _otp_step(account, code.strip(), now)
        if step is None:
            uow.audit("auth.step_up_failed", object_type="auth_session", object_id=session.id)
            uow.commit()
            raise ValidationProblem("动态口令不正确 / the one-time code is wrong", field="code")
        account.totp_last_step = step
        session.stage = SessionStage.FULL
        uow.audit("auth.step_up", object_type="auth_session", object_id=session.id)
        uow.commit()
