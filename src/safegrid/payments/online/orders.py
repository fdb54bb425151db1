"""Online payment orders (PAY-3, PAY-4/5 through the risk engine): a customer starts a
payment for an account (户号); SafeGrid checks suspension, the risk engine and the daily
limit, records the order, and only then asks the channel for the order the customer pays.

Refusals are recorded as ``rejected`` orders (reason, amount, device, IP) in the same
audited transaction as the risk decision that caused them, then raised as a clear error:
a refused payment is never silent and never half-written.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from safegrid.customers.models import Account, Customer
from safegrid.payments.ledger import services as ledger
from safegrid.payments.online.channels import PaymentChannelAdapter
from safegrid.payments.online.events import OnlineOrderCreated
from safegrid.payments.online.limits import daily_limit, used_today
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.payments.online.registry import get_channel
from safegrid.payments.online.settings import get_channel_settings
from safegrid.payments.risk import step_up
from safegrid.payments.risk.engine import RiskRequest, evaluate, suspended_until
from safegrid.platform import clock
from safegrid.platform.errors import (
    NotFoundError,
    PermissionDeniedError,
    SafeGridError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor
from safegrid.security.scope import Scope, unscoped

ACCOUNT_NOT_FOUND = "户号不存在 / account not found"


class RiskRefusedError(PermissionDeniedError):
    """The risk engine froze the request or sent it to review (PAY-4, PAY-5)."""


@dataclasses.dataclass(frozen=True)
class OrderOutcome:
    order_no: str
    status: str  # "pay" (go to pay_url) | "step_up" (answer the OTP first)
    amount: Decimal
    pay_url: str | None
    # The step-up challenge token (a secret the customer's page sends back with the code)
    # and the masked phone the code went to.
    challenge_id: str | None = None
    sent_to: str | None = None


def portal_actor(ip: str | None) -> Actor:
    """A customer on the public portal: no staff account, no permissions; named in the
    audit as the portal with the client's IP."""
    return Actor(
        account_id=None,
        username="portal",
        real_name="网上营业厅客户 / portal customer",
        post=None,
        org_unit_id=None,
        permissions=frozenset(),
        scope=Scope.everything(),
        channel="web",
        ip=ip,
    )


def find_account(uow: UnitOfWork, account_no: str, *, lock: bool = False) -> Account:
    stmt = select(Account).where(Account.number == account_no.strip())
    if lock:
        stmt = stmt.with_for_update()
    account = uow.session.scalars(
        stmt, execution_options=unscoped("payers name their account number, in any unit")
    ).first()
    if account is None:
        raise NotFoundError(ACCOUNT_NOT_FOUND, field="account_no")
    return account


def new_order_no(now: datetime) -> str:
    return f"OL{clock.business_day(now):%Y%m%d}{secrets.token_hex(6).upper()}"


def _reject(
    uow: UnitOfWork, order: PaymentOrder, reason: str, error: SafeGridError
) -> SafeGridError:
    order.status = OrderStatus.REJECTED
    order.reject_reason = reason[:200]
    uow.session.add(order)
    uow.session.flush()
    uow.audit(
        "payment.order_rejected",
        object_type="payment_order",
        object_id=order.order_no,
        org_unit_id=order.org_unit_id,
        after={"amount": str(order.amount), "account_id": order.account_id, "reason": reason},
    )
    uow.commit()
    return error


def do_create_order(
    uow: UnitOfWork,
    *,
    account_no: str,
    amount: Decimal,
    device_id: str | None,
    return_url: str,
    bill_id: int | None = None,
    channel: PaymentChannelAdapter | None = None,
) -> OrderOutcome:
    channel = channel or get_channel()
    ip = uow.actor.ip
    with uow:
        now = clock.now()
        account = find_account(uow, account_no, lock=True)
        try:
            ledger.check_amount(amount)
        except ValidationProblem:
            uow.audit(
                "payment.order_refused",
                object_type="account",
                object_id=account.id,
                org_unit_id=account.org_unit_id,
                note=f"invalid amount {amount!s:.40}",
            )
            uow.commit()
            raise
        order = PaymentOrder(
            order_no=new_order_no(now),
            account_id=account.id,
            bill_id=bill_id,
            channel=channel.name,
            amount=amount,
            status=OrderStatus.CREATED,
            business_day=clock.business_day(now),
            device_id=(device_id or None) and device_id[:64],
            ip=ip,
            created_at=now,
            expires_at=now + timedelta(minutes=get_channel_settings().order_ttl_minutes),
            org_unit_id=account.org_unit_id,
        )
        until = suspended_until(uow, account.id)
        if until is not None and until > now:
            raise _reject(
                uow,
                order,
                "suspended",
                PermissionDeniedError(
                    f"该户号网上缴费已暂停至 {until.astimezone(clock.BUSINESS_TZ):%Y-%m-%d %H:%M}"
                    " / online payments of this account are suspended"
                ),
            )
        decision = evaluate(
            uow,
            RiskRequest(
                kind="payment",
                account_id=account.id,
                amount=amount,
                device_id=order.device_id,
                ip=ip,
                at=now,
            ),
        )
        order.risk_decision_id = decision.id
        if decision.action in ("freeze", "review"):
            rules = ", ".join(f.rule_id for f in decision.fired) or decision.action
            raise _reject(
                uow,
                order,
                f"risk:{decision.action}:{rules}",
                RiskRefusedError(
                    "风险控制拒绝了本次缴费，请到营业厅办理 / the payment was refused by risk "
                    "control; please pay at a service hall"
                ),
            )
        customer = uow.session.get(Customer, account.customer_id)
        assert customer is not None
        limit = daily_limit(customer.kind)
        used = used_today(uow, account.id, order.business_day, now)
        if used + amount > limit:
            raise _reject(
                uow,
                order,
                "daily_limit",
                ValidationProblem(
                    f"超过每日网上缴费限额 {limit} 元（今日已用 {used} 元）/ over the daily online "
                    f"limit of {limit} yuan ({used} used today)",
                    field="amount",
                ),
            )
        challenge: str | None = None
        if decision.action == "step_up":
            challenge = step_up.issue(uow, decision.id)
            order.step_up_pending = True
        uow.session.add(order)
        uow.session.flush()
        uow.audit(
            "payment.order_create",
            object_type="payment_order",
            object_id=order.order_no,
            org_unit_id=order.org_unit_id,
            after={
                "amount": str(amount),
                "account_id": account.id,
                "risk": decision.action,
                "device_id": order.device_id,
            },
        )
        uow.emit(OnlineOrderCreated(order.order_no, account.id, amount))
        uow.commit()
        outcome = OrderOutcome(
            order.order_no,
            "step_up" if challenge is not None else "pay",
            amount,
            None,
            challenge,
            None if challenge is None else step_up.sent_to(uow, challenge),
        )
    if outcome.status == "step_up":
        return outcome
    # Outside the transaction: no database lock is held while the channel answers.
    placed = channel.create_order(
        order_no=outcome.order_no,
        amount=amount,
        subject=f"电费 户号 {account_no.strip()}",
        return_url=return_url,
    )
    return dataclasses.replace(outcome, pay_url=placed.pay_url)


def do_confirm_step_up(
    uow: UnitOfWork,
    order_no: str,
    challenge_id: str,
    code: str,
    *,
    return_url: str,
    channel: PaymentChannelAdapter | None = None,
) -> OrderOutcome:
    """The customer answers the SMS code the risk engine asked for; only then does the
    order reach the channel."""
    channel = channel or get_channel()
    with uow:
        order = _order(uow, order_no, lock=True)
        if order.status != OrderStatus.CREATED or order.expires_at <= clock.now():
            raise ValidationProblem("订单已失效 / the order is no longer open", field="order_no")
        if order.step_up_pending:
            passed = step_up.verify(uow, challenge_id, code.strip())
            # The challenge must be the one issued for this order's own risk decision.
            passed = (
                passed
                and order.risk_decision_id is not None
                and (step_up.is_verified(uow, order.risk_decision_id))
            )
            if not passed:
                uow.audit(
                    "payment.step_up_failed",
                    object_type="payment_order",
                    object_id=order.order_no,
                    org_unit_id=order.org_unit_id,
                )
                uow.commit()
                raise ValidationProblem("验证码不正确 / the code is wrong", field="code")
            order.step_up_pending = False
            uow.audit(
                "payment.step_up_passed",
                object_type="payment_order",
                object_id=order.order_no,
                org_unit_id=order.org_unit_id,
            )
            uow.commit()
        amount = order.amount
        account = uow.session.get(Account, order.account_id)
        assert account is not None
        account_no = account.number
    placed = channel.create_order(
        order_no=order_no, amount=amount, subject=f"电费 户号 {account_no}", return_url=return_url
    )
    return OrderOutcome(order_no, "pay", amount, placed.pay_url, None)


def _order(uow: UnitOfWork, order_no: str, *, lock: bool = False) -> PaymentOrder:
    stmt = select(PaymentOrder).where(PaymentOrder.order_no == order_no)
    if lock:
        stmt = stmt.with_for_update()
    order = uow.session.scalars(
        stmt, execution_options=unscoped("order numbers are unique utility-wide")
    ).first()
    if order is None:
        raise NotFoundError("订单不存在 / order not found", field="order_no")
    return order


@dataclasses.dataclass(frozen=True)
class OrderView:
    order_no: str
    amount: Decimal
    status: str  # created | step_up | paid | rejected | expired
    paid_at: datetime | None


def order_status(uow: UnitOfWork, order_no: str) -> OrderView:
    with uow:
        order = _order(uow, order_no)
        status = order.status.value
        if order.status == OrderStatus.CREATED:
            if order.expires_at <= clock.now():
                status = OrderStatus.EXPIRED.value
            elif order.step_up_pending:
                status = "step_up"
        return OrderView(order.order_no, order.amount, status, order.paid_at)
