"""End of day (PAY-2): each cashier's drawer is counted against his receipts, the cash is
sealed into the safe, and the hall's cash of the day is deposited at the bank by two named
people before the deadline (15:00 Beijing time the next day by default, see
:mod:`safegrid.payments.counter.settings`). The bank's voucher number is written onto every
payment of the deposit, so each yuan leads from its receipt to the bank (trace).

A deposit after the deadline is recorded as late and raises a ``deposit_late`` alert to the
hall's managers in the same transaction; :mod:`safegrid.payments.counter.jobs` flags the
days nobody deposited at all.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from safegrid.alerts.raise_alert import raise_alert
from safegrid.org.models import OrgUnit
from safegrid.payments.counter import halls
from safegrid.payments.counter.events import CashDeposited, CashPutInSafe, DrawerCounted
from safegrid.payments.counter.models import (
    BankDeposit,
    CounterMethod,
    CounterReceipt,
    DrawerSettlement,
    ReceiptStatus,
)
from safegrid.payments.counter.schemas import (
    DepositIn,
    DepositOut,
    DrawerCountIn,
    SafeIn,
    SettlementOut,
)
from safegrid.payments.counter.settings import get_counter_settings
from safegrid.payments.ledger.models import Payment
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm
from safegrid.security.scope import unscoped

ZERO = Decimal("0.00")
SETTLEMENT_NOT_FOUND = "日结记录不存在 / drawer settlement not found"


def deadline_for(day: date) -> datetime:
    """When the cash of business day ``day`` must be at the bank (aware, UTC)."""
    s = get_counter_settings()
    local = datetime.combine(
        day + timedelta(days=s.deposit_day_offset), s.deposit_deadline, BUSINESS_TZ
    )
    return local.astimezone(UTC)


def last_overdue_day(now: datetime) -> date:
    """The latest business day whose deposit deadline has passed at ``now``."""
    s = get_counter_settings()
    local = now.astimezone(BUSINESS_TZ)
    day = local.date() - timedelta(days=s.deposit_day_offset)
    return day if local.time() >= s.deposit_deadline else day - timedelta(days=1)


def _require_settler(uow: UnitOfWork) -> None:
    if not uow.actor.can(Perm.COUNTER_SETTLE) or uow.actor.account_id is None:
        raise PermissionDeniedError("无日结权限 / you may not settle cash")


def _money(value: Decimal, field: str, *, zero_ok: bool) -> Decimal:
    if not value.is_finite() or value < 0 or (value == 0 and not zero_ok):
        raise ValidationProblem("金额无效 / the amount is not valid", field=field)
    if value != value.quantize(Decimal("0.01")):
        raise ValidationProblem("金额最多两位小数 / at most two decimals (fen)", field=field)
    return value


def do_count_drawer(uow: UnitOfWork, data: DrawerCountIn) -> SettlementOut:
    """日结: one cashier's drawer of one day; every receipt must be confirmed by a checker."""
    _require_settler(uow)
    counted = _money(data.counted_cash, "counted_cash", zero_ok=True)
    if data.business_day > clock.business_day():
        raise ValidationProblem(
            "不能结算未来的日期 / that day has not come yet", field="business_day"
        )
    with uow:
        hall = halls.working_hall(uow, data.hall_id)
        mine = (
            CounterReceipt.org_unit_id == hall.id,
            CounterReceipt.business_day == data.business_day,
            CounterReceipt.cashier_id == data.cashier_id,
        )
        if uow.session.scalar(
            select(DrawerSettlement.id).where(
                DrawerSettlement.org_unit_id == hall.id,
                DrawerSettlement.business_day == data.business_day,
                DrawerSettlement.cashier_id == data.cashier_id,
            )
        ):
            raise ConflictError(
                "该收费员当日已日结 / this drawer is already settled", field="cashier_id"
            )
        rows = list(
            uow.session.scalars(
                select(CounterReceipt)
                .where(*mine, CounterReceipt.status != ReceiptStatus.VOIDED)
                .order_by(CounterReceipt.id)
                .with_for_update()
            ).all()
        )
        if not rows:
            raise ValidationProblem(
                "该收费员当日没有收款 / no receipts to settle", field="cashier_id"
            )
        waiting = [r.receipt_no for r in rows if r.status != ReceiptStatus.CONFIRMED]
        if waiting:
            raise ConflictError(
                f"{len(waiting)} 张收据尚未复核或正在作废 / {len(waiting)} receipts still await "
                f"the checker or a void: {', '.join(waiting[:5])}",
                field="cashier_id",
            )
        cash = sum((r.amount for r in rows if r.method == CounterMethod.CASH), ZERO)
        card = sum((r.amount for r in rows if r.method == CounterMethod.CARD), ZERO)
        settlement = DrawerSettlement(
            business_day=data.business_day,
            cashier_id=data.cashier_id,
            cashier_name=rows[0].cashier_name,
            receipt_count=len(rows),
            expected_cash=cash,
            expected_card=card,
            counted_cash=counted,
            difference=counted - cash,
            counted_by=uow.actor.username,
            counted_at=clock.now(),
            note=(data.note or "").strip() or None,
            org_unit_id=hall.id,
        )
        uow.session.add(settlement)
        uow.session.flush()
        for r in rows:
            r.settlement_id = settlement.id
        out = SettlementOut.model_validate(settlement)
        uow.audit(
            "counter.drawer_counted",
            object_type="drawer_settlement",
            object_id=settlement.id,
            org_unit_id=hall.id,
            after=out.model_dump(mode="json"),
        )
        uow.emit(DrawerCounted(settlement.id, hall.id, data.cashier_id, str(settlement.difference)))
        uow.commit()
        return out


def do_put_in_safe(uow: UnitOfWork, settlement_id: int, data: SafeIn) -> SettlementOut:
    """入保险柜: the counted cash sealed in a numbered bag and locked in the hall's safe."""
    _require_settler(uow)
    bag = data.bag_no.strip()
    if not bag:
        raise ValidationProblem("须填写封包号 / give the sealed bag's number", field="bag_no")
    with uow:
        settlement = uow.session.scalars(
            select(DrawerSettlement).where(DrawerSettlement.id == settlement_id).with_for_update()
        ).first()
        if settlement is None:
            raise NotFoundError(SETTLEMENT_NOT_FOUND)
        halls.require_works_at(uow.actor, halls.hall(uow, settlement.org_unit_id))
        if settlement.safe_at is not None:
            raise ConflictError(
                "该日结现金已入保险柜 / this cash is already in the safe", field="bag_no"
            )
        settlement.safe_bag_no = bag
        settlement.safe_by = uow.actor.username
        settlement.safe_at = clock.now()
        out = SettlementOut.model_validate(settlement)
        uow.audit(
            "counter.cash_in_safe",
            object_type="drawer_settlement",
            object_id=settlement.id,
            org_unit_id=settlement.org_unit_id,
            after={"bag_no": bag, "counted_cash": str(settlement.counted_cash)},
        )
        uow.emit(CashPutInSafe(settlement.id, bag))
        uow.commit()
        return out


def _deposited_at(value: datetime | None, day: date) -> datetime:
    now = clock.now()
    if value is None:
        return now
    at = value if value.tzinfo is not None else value.replace(tzinfo=BUSINESS_TZ)
    if at > now + timedelta(minutes=5):
        raise ValidationProblem(
            "解款时间不能晚于现在 / the deposit time is in the future", field="deposited_at"
        )
    if at.astimezone(BUSINESS_TZ).date() < day:
        raise ValidationProblem(
            "解款时间早于收款日 / the deposit time is before the day of the cash",
            field="deposited_at",
        )
    return at


def do_record_deposit(uow: UnitOfWork, data: DepositIn) -> DepositOut:
    """解款: the hall's cash of a day paid in at the bank by two different named people."""
    _require_settler(uow)
    voucher = data.bank_voucher.strip().upper()
    if data.depositor_a_id == data.depositor_b_id:
        raise ValidationProblem(
            "解款须由两名不同人员完成 / two different people must make the deposit",
            field="depositor_b_id",
        )
    at = _deposited_at(data.deposited_at, data.business_day)
    with uow:
        hall = halls.working_hall(uow, data.hall_id)
        a = halls.hall_staff(uow, data.depositor_a_id, hall, "depositor_a_id")
        b = halls.hall_staff(uow, data.depositor_b_id, hall, "depositor_b_id")
        if uow.session.scalar(
            select(BankDeposit.id).where(
                BankDeposit.org_unit_id == hall.id, BankDeposit.business_day == data.business_day
            )
        ):
            raise ConflictError(
                "该日现金已解款 / this day's cash is already deposited", field="business_day"
            )
        if uow.session.scalar(
            select(BankDeposit.id).where(BankDeposit.bank_voucher == voucher),
            execution_options=unscoped("bank vouchers are unique utility-wide"),
        ):
            raise ConflictError(
                "银行凭证号已被使用 / this bank voucher is already recorded", field="bank_voucher"
            )
        settlements = _settled_cash(uow, hall, data.business_day)
        deadline = deadline_for(data.business_day)
        late = at > deadline
        amount = sum((s.counted_cash for s in settlements), ZERO)
        deposit = BankDeposit(
            business_day=data.business_day,
            amount=amount,
            bank_voucher=voucher,
            depositor_a_id=a.id,
            depositor_a_name=a.username,
            depositor_b_id=b.id,
            depositor_b_name=b.username,
            deposited_at=at,
            deadline_at=deadline,
            late=late,
            recorded_by=uow.actor.username,
            recorded_at=clock.now(),
            org_unit_id=hall.id,
        )
        uow.session.add(deposit)
        uow.session.flush()
        for s in settlements:
            s.deposit_id = deposit.id
        payment_ids = uow.session.scalars(
            select(CounterReceipt.payment_id).where(
                CounterReceipt.settlement_id.in_([s.id for s in settlements]),
                CounterReceipt.status != ReceiptStatus.VOIDED,
                CounterReceipt.method == CounterMethod.CASH,
            )
        ).all()
        uow.session.execute(
            update(Payment).where(Payment.id.in_(list(payment_ids))).values(bank_voucher=voucher),
            # By id, from receipts the row scope let us see: a hall manager's scope may not
            # reach the accounts' station, and every one of these payments must be marked.
            execution_options={
                "synchronize_session": False,
                **unscoped("every payment of the deposit, in any unit"),
            },
        )
        uow.audit(
            "counter.cash_deposited",
            object_type="bank_deposit",
            object_id=deposit.id,
            org_unit_id=hall.id,
            after={
                "business_day": data.business_day.isoformat(),
                "amount": str(amount),
                "bank_voucher": voucher,
                "depositors": [a.username, b.username],
                "deposited_at": at.isoformat(),
                "late": late,
                "payments": len(payment_ids),
            },
        )
        if late:
            deposit.alert_id = raise_alert(
                uow.session,
                kind="deposit_late",
                object_type="bank_deposit",
                object_id=str(deposit.id),
                label=f"{hall.code} {data.business_day.isoformat()}",
                before=f"deadline {deadline.astimezone(BUSINESS_TZ):%Y-%m-%d %H:%M}",
                after=f"deposited {at.astimezone(BUSINESS_TZ):%Y-%m-%d %H:%M}",
                unit_id=hall.id,
                actor=uow.actor,
                text=(
                    f"【SafeGrid】{hall.name} {data.business_day:%Y-%m-%d} 现金 {amount} 元逾期解款"
                    f"（{at.astimezone(BUSINESS_TZ):%m-%d %H:%M}，截止 "
                    f"{deadline.astimezone(BUSINESS_TZ):%m-%d %H:%M}）"
                ),
            )
        uow.emit(
            CashDeposited(
                deposit.id, hall.id, data.business_day.isoformat(), str(amount), voucher, late
            )
        )
        out = DepositOut.model_validate(deposit)
        uow.commit()
        return out


def _settled_cash(uow: UnitOfWork, hall: OrgUnit, day: date) -> list[DrawerSettlement]:
    """The day's drawers, all counted and in the safe, and no receipt left outside them."""
    loose = uow.session.scalar(
        select(func.count(CounterReceipt.id)).where(
            CounterReceipt.org_unit_id == hall.id,
            CounterReceipt.business_day == day,
            CounterReceipt.settlement_id.is_(None),
            CounterReceipt.status != ReceiptStatus.VOIDED,
        )
    )
    if loose:
        raise ConflictError(
            f"当日还有 {loose} 张收据未日结 / {loose} receipts of the day are not in a settled drawer",
            field="business_day",
        )
    settlements = list(
        uow.session.scalars(
            select(DrawerSettlement)
            .where(DrawerSettlement.org_unit_id == hall.id, DrawerSettlement.business_day == day)
            .order_by(DrawerSettlement.id)
            .with_for_update()
        ).all()
    )
    if not settlements:
        raise ValidationProblem(
            "当日没有日结记录 / no settled drawers on that day", field="business_day"
        )
    not_safe = [s.cashier_name for s in settlements if s.safe_at is None]
    if not_safe:
        raise ConflictError(
            f"现金尚未入保险柜 / cash not yet in the safe: {', '.join(not_safe)}",
            field="business_day",
        )
    return settlements
