"""Step-up verification (PAY-4): a 6-digit code by SMS to the account holder's phone.

The phone is the customer's ``mobile`` (SM4-encrypted at rest, decrypted by the ORM); the
SMS goes through the notifications outbox in the caller's transaction. Only hashes of the
challenge token and of the code are stored; a code is valid 5 minutes, for 5 tries.

Contract, inside the caller's unit of work:
- ``issue(uow, decision_id) -> challenge_id`` — an opaque token (str) to hand to the
  customer's page; the decision must be a ``step_up`` one.
- ``verify(uow, challenge_id, code) -> bool`` — True once for the right code. A wrong code
  is False while tries remain. **Commit after a False too**: the try is counted in the
  database, which is what makes 5 tries mean 5. An unknown, expired, exhausted or already
  used challenge is a ``ValidationProblem(field="code")`` with the reason.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Final

from sqlalchemy import select

from safegrid.customers.models import Account, Customer
from safegrid.notifications.channel import Message, OutboxNotifier
from safegrid.payments.risk.models import RiskChallenge, RiskEvent
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import mask
from safegrid.security.scope import unscoped

CODE_VALID_FOR: Final = timedelta(minutes=5)
MAX_TRIES: Final = 5


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


def issue(uow: UnitOfWork, decision_id: int) -> str:
    session = uow.session
    decision = session.scalars(
        select(RiskEvent).where(RiskEvent.id == decision_id),
        execution_options=unscoped("a step-up decision named by the payer, any unit"),
    ).first()
    if decision is None or decision.account_id is None:
        raise NotFoundError("风控决定不存在 / risk decision not found")
    if decision.action != "step_up":
        raise ConflictError(
            f"该决定不需要验证 / this decision is {decision.action}, not step_up",
            field="decision_id",
        )
    row = session.execute(
        select(Customer.mobile, Customer.org_unit_id)
        .join(Account, Account.customer_id == Customer.id)
        .where(Account.id == decision.account_id),
        execution_options=unscoped("the payer's mobile for a step-up code"),
    ).first()
    mobile = None if row is None else row[0]
    if not mobile:
        raise ValidationProblem(
            "户主未登记手机号，无法发送验证码，请到营业厅办理 / no mobile number on record for "
            "this account: pay at a service hall",
            field="mobile",
        )
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = clock.now()
    sent_to = mask("phone", mobile) or ""
    challenge = RiskChallenge(
        token_hash=_digest(token),
        code_hash=_digest(token, code),
        decision_id=decision.id,
        account_id=decision.account_id,
        sent_to=sent_to[:20],
        attempts=0,
        created_at=now,
        expires_at=now + CODE_VALID_FOR,
        org_unit_id=decision.org_unit_id,
    )
    session.add(challenge)
    minutes = int(CODE_VALID_FOR.total_seconds() // 60)
    OutboxNotifier(uow).send(
        Message(
            channel="sms",
            recipient=mobile,
            topic="payments.step_up",
            body=(
                f"【SafeGrid】您正在缴纳电费，验证码 {code}，{minutes}分钟内有效，请勿告诉他人。"
                f" Payment verification code {code}, valid {minutes} minutes."
            ),
            org_unit_id=decision.org_unit_id,
            subject_type="risk_decision",
            subject_id=str(decision.id),
        )
    )
    session.flush()
    uow.audit(
        "risk.step_up_issued",
        object_type="risk_challenge",
        object_id=challenge.id,
        org_unit_id=decision.org_unit_id,
        after={"decision_id": decision.id, "account_id": decision.account_id, "sent_to": sent_to},
    )
    return token


def sent_to(uow: UnitOfWork, challenge_id: str) -> str | None:
    """The masked phone a challenge went to (for the customer's page)."""
    challenge = _find(uow, challenge_id)
    return None if challenge is None else challenge.sent_to


def _find(uow: UnitOfWork, challenge_id: str) -> RiskChallenge | None:
    return uow.session.scalars(
        select(RiskChallenge).where(RiskChallenge.token_hash == _digest(challenge_id)),
        execution_options=unscoped("a challenge is found by its token, any unit"),
    ).first()


def verify(uow: UnitOfWork, challenge_id: str, code: str) -> bool:
    challenge = _find(uow, challenge_id)
    if challenge is None:
        raise ValidationProblem("验证码无效 / unknown verification", field="code")
    if challenge.verified_at is not None:
        raise ValidationProblem("验证码已使用 / code already used", field="code")
    if clock.now() >= challenge.expires_at:
        raise ValidationProblem(
            "验证码已过期，请重新获取 / code expired, ask for a new one", field="code"
        )
    if challenge.attempts >= MAX_TRIES:
        raise ValidationProblem(
            "验证码错误次数过多，请重新获取 / too many wrong codes, ask for a new one", field="code"
        )
    challenge.attempts += 1
    ok = secrets.compare_digest(challenge.code_hash, _digest(challenge_id, code.strip()))
    if ok:
        challenge.verified_at = clock.now()
    uow.audit(
        "risk.step_up_verified" if ok else "risk.step_up_failed",
        object_type="risk_challenge",
        object_id=challenge.id,
        org_unit_id=challenge.org_unit_id,
        after={"decision_id": challenge.decision_id, "attempts": challenge.attempts},
    )
    return ok


def is_verified(uow: UnitOfWork, decision_id: int) -> bool:
    """Whether some challenge of this step-up decision was answered correctly."""
    found = uow.session.scalar(
        select(RiskChallenge.id).where(
            RiskChallenge.decision_id == decision_id, RiskChallenge.verified_at.is_not(None)
        ),
        execution_options=unscoped("a step-up decision named by the payer, any unit"),
    )
    return found is not None
