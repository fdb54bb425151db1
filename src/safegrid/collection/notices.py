"""Disconnection notices (BILL-6): create → approve (by a department head who did not create
it) → execute after the statutory notice period, only while still in arrears. Paying the
arrears in full cancels open notices and restores a disconnected supply."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from safegrid.collection.arrears import account_arrears_fen
from safegrid.collection.balances import yuan
from safegrid.collection.events import (
    DisconnectionNoticeCancelled,
    DisconnectionNoticeCreated,
    DisconnectionNoticeDecided,
    SupplyDisconnected,
    SupplyRestored,
)
from safegrid.collection.models import (
    OPEN_NOTICE,
    DisconnectionNotice,
    NoticeStatus,
    SupplyState,
    SupplyStatus,
)
from safegrid.collection.schemas import NoticeCreate, NoticeDecision, NoticeOut
from safegrid.collection.settings import get_collection_settings
from safegrid.customers.models import Account, Customer
from safegrid.notifications.channel import Message, OutboxNotifier
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import snapshot
from safegrid.security.policy import Perm

NOTICE_NOT_FOUND = "停电通知不存在 / disconnection notice not found"


def _out(notice: DisconnectionNotice, account_number: str) -> NoticeOut:
    out = NoticeOut.model_validate(notice)
    out.account_number = account_number
    return out


def _notice(uow: UnitOfWork, notice_id: int) -> DisconnectionNotice:
    notice = uow.session.scalars(
        select(DisconnectionNotice).where(DisconnectionNotice.id == notice_id).with_for_update()
    ).first()
    if notice is None:
        raise NotFoundError(NOTICE_NOT_FOUND)
    return notice


def _account(uow: UnitOfWork, account_id: int) -> tuple[Account, Customer]:
    row = uow.session.execute(
        select(Account, Customer)
        .join(Customer, Customer.id == Account.customer_id)
        .where(Account.id == account_id)
    ).first()
    if row is None:
        raise NotFoundError("户号不存在 / account not found")
    return row[0], row[1]


def _tell_customer(
    uow: UnitOfWork, customer: Customer, account: Account, topic: str, body: str
) -> None:
    if customer.mobile:
        OutboxNotifier(uow).send(
            Message(
                channel="sms",
                recipient=customer.mobile,
                topic=topic,
                body=body,
                org_unit_id=account.org_unit_id,
                subject_type="account",
                subject_id=str(account.id),
            )
        )


def list_notices(uow: UnitOfWork, status: str | None = None, limit: int = 200) -> list[NoticeOut]:
    try:
        status_value = NoticeStatus(status) if status else None
    except ValueError:
        raise ValidationProblem(f"unknown notice status {status!r}", field="status") from None
    with uow:
        stmt = select(DisconnectionNotice, Account.number).join(
            Account, Account.id == DisconnectionNotice.account_id
        )
        if status_value is not None:
            stmt = stmt.where(DisconnectionNotice.status == status_value)
        rows = uow.session.execute(stmt.order_by(DisconnectionNotice.id.desc()).limit(limit)).all()
        return [_out(n, number) for n, number in rows]


def do_create_notice(uow: UnitOfWork, data: NoticeCreate) -> NoticeOut:
    today = clock.business_day()
    with uow:
        account, _customer = _account(uow, data.account_id)
        arrears = account_arrears_fen(uow.session, account.id, today)
        if arrears <= 0:
            raise ValidationProblem("该户没有欠费 / the account has no arrears", field="account_id")
        open_one = uow.session.scalar(
            select(DisconnectionNotice.id).where(
                DisconnectionNotice.account_id == account.id,
                DisconnectionNotice.status.in_(OPEN_NOTICE),
            )
        )
        if open_one is not None:
            raise ConflictError(
                f"该户已有未结停电通知 #{open_one} / the account already has open notice #{open_one}",
                field="account_id",
            )
        notice = DisconnectionNotice(
            account_id=account.id,
            status=NoticeStatus.PENDING,
            reason=data.reason,
            arrears_at_creation=yuan(arrears),
            notice_days=get_collection_settings().notice_period_days,
            created_at=clock.now(),
            created_by_id=uow.actor.account_id,
            created_by=uow.actor.username,
            org_unit_id=account.org_unit_id,
        )
        uow.session.add(notice)
        uow.session.flush()
        uow.audit(
            "arrears.notice_create",
            object_type="disconnection_notice",
            object_id=notice.id,
            org_unit_id=notice.org_unit_id,
            after=snapshot(notice),
        )
        uow.emit(DisconnectionNoticeCreated(notice.id, account.id, notice.org_unit_id))
        uow.commit()
        return _out(notice, account.number)


def do_decide_notice(uow: UnitOfWork, notice_id: int, decision: NoticeDecision) -> NoticeOut:
    if not uow.actor.can(Perm.ARREARS_APPROVE):
        raise PermissionDeniedError("无审批权限 / permission arrears.approve required")
    today = clock.business_day()
    with uow:
        notice = _notice(uow, notice_id)
        # Separation of duties: whoever asked for the cut may not also authorise it.
        if notice.created_by == uow.actor.username or (
            notice.created_by_id is not None and notice.created_by_id == uow.actor.account_id
        ):
            raise PermissionDeniedError(
                "不能审批自己创建的停电通知 / you cannot approve a notice you created yourself"
            )
        if notice.status != NoticeStatus.PENDING:
            raise ConflictError(
                f"通知状态为 {notice.status.value}，不能审批 / notice is {notice.status.value}, not pending"
            )
        account, customer = _account(uow, notice.account_id)
        before = snapshot(notice)
        notice.decided_at = clock.now()
        notice.decided_by = uow.actor.username
        notice.decision_note = decision.note
        if decision.approve:
            notice.status = NoticeStatus.APPROVED
            notice.served_on = today
            notice.earliest_disconnect_on = today + timedelta(days=notice.notice_days)
            _tell_customer(
                uow,
                customer,
                account,
                "arrears.disconnection_notice",
                f"您的户号{account.number}欠费{notice.arrears_at_creation}元，请于"
                f"{notice.earliest_disconnect_on:%Y-%m-%d}前缴清，否则将依法停止供电。",
            )
        else:
            notice.status = NoticeStatus.REJECTED
        uow.audit(
            "arrears.notice_approve" if decision.approve else "arrears.notice_reject",
            object_type="disconnection_notice",
            object_id=notice.id,
            org_unit_id=notice.org_unit_id,
            before=before,
            after=snapshot(notice),
        )
        uow.emit(
            DisconnectionNoticeDecided(
                notice.id,
                notice.account_id,
                decision.approve,
                notice.earliest_disconnect_on,
                notice.org_unit_id,
            )
        )
        uow.commit()
        return _out(notice, account.number)


def do_execute_notice(uow: UnitOfWork, notice_id: int) -> NoticeOut:
    today = clock.business_day()
    with uow:
        notice = _notice(uow, notice_id)
        if notice.status != NoticeStatus.APPROVED or notice.earliest_disconnect_on is None:
            raise ConflictError(
                f"通知状态为 {notice.status.value}，须先经审批 / notice is {notice.status.value}; only an approved notice can be executed"
            )
        if today < notice.earliest_disconnect_on:
            raise ConflictError(
                f"通知期未满，{notice.earliest_disconnect_on:%Y-%m-%d} 起方可停电 / the notice period runs until "
                f"{notice.earliest_disconnect_on:%Y-%m-%d}; supply may not be cut before"
            )
        account, _customer = _account(uow, notice.account_id)
        if account_arrears_fen(uow.session, account.id, today) <= 0:
            raise ConflictError("该户已无欠费，不能停电 / the account is no longer in arrears")
        before = snapshot(notice)
        notice.status = NoticeStatus.EXECUTED
        notice.closed_at = clock.now()
        notice.closed_by = uow.actor.username
        state = uow.session.get(SupplyState, account.id)
        if state is None:
            state = SupplyState(account_id=account.id, org_unit_id=account.org_unit_id)
            uow.session.add(state)
        state.status = SupplyStatus.DISCONNECTED
        state.notice_id = notice.id
        state.changed_at = notice.closed_at
        state.changed_by = uow.actor.username
        uow.audit(
            "arrears.disconnect",
            object_type="disconnection_notice",
            object_id=notice.id,
            org_unit_id=notice.org_unit_id,
            before=before,
            after=snapshot(notice),
        )
        uow.emit(SupplyDisconnected(account.id, notice.id, notice.org_unit_id))
        uow.commit()
        return _out(notice, account.number)


def _watched(uow: UnitOfWork, account_id: int) -> bool:
    """An open notice or a disconnected supply: what ``settle_account`` may change."""
    if uow.session.scalars(
        select(DisconnectionNotice.id)
        .where(
            DisconnectionNotice.account_id == account_id,
            DisconnectionNotice.status.in_(OPEN_NOTICE),
        )
        .limit(1)
    ).first():
        return True
    state = uow.session.get(SupplyState, account_id)
    return state is not None and state.status == SupplyStatus.DISCONNECTED


def settle_account(uow: UnitOfWork, account_id: int, reference: str) -> None:
    """After a write-off (inside its transaction): with nothing left in arrears, open
    notices are cancelled and a disconnected supply is restored."""
    # Most payments find neither: skip the arrears computation (two indexed lookups).
    if not _watched(uow, account_id):
        return
    if account_arrears_fen(uow.session, account_id, clock.business_day()) > 0:
        return
    now = clock.now()
    open_notices = uow.session.scalars(
        select(DisconnectionNotice).where(
            DisconnectionNotice.account_id == account_id,
            DisconnectionNotice.status.in_(OPEN_NOTICE),
        )
    ).all()
    for notice in open_notices:
        notice.status = NoticeStatus.CANCELLED
        notice.closed_at = now
        notice.closed_by = uow.actor.username
        notice.decision_note = f"arrears paid ({reference})"[:200]
        uow.audit(
            "arrears.notice_cancel",
            object_type="disconnection_notice",
            object_id=notice.id,
            org_unit_id=notice.org_unit_id,
            note=f"arrears paid in full by {reference}",
        )
        uow.emit(DisconnectionNoticeCancelled(notice.id, account_id, notice.org_unit_id))
    state = uow.session.get(SupplyState, account_id)
    if state is not None and state.status == SupplyStatus.DISCONNECTED:
        state.status = SupplyStatus.CONNECTED
        state.changed_at = now
        state.changed_by = uow.actor.username
        uow.audit(
            "arrears.supply_restore",
            object_type="account",
            object_id=account_id,
            org_unit_id=state.org_unit_id,
            note=f"arrears paid in full by {reference}",
        )
        uow.emit(SupplyRestored(account_id, state.notice_id, reference, state.org_unit_id))
