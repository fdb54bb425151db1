"""分次结算: instalment plans for large customers (BILL-5).

A plan splits the unpaid principal of some bills of one account into N instalments whose
amounts sum exactly to it (equal parts in whole fen, the remainder on the last). Payments
on those bills cover the instalments in order; an instalment past its date and not covered
puts the plan's bills in arrears.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.collection.balances import HUNDRED, balances, yuan
from safegrid.collection.events import InstalmentPlanCreated
from safegrid.collection.models import (
    Instalment,
    InstalmentPlan,
    InstalmentPlanBill,
    PlanStatus,
)
from safegrid.collection.schemas import InstalmentOut, PlanCreate, PlanOut
from safegrid.collection.settings import get_collection_settings
from safegrid.customers.models import Account, Customer
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import snapshot


def split(total: Decimal, count: int) -> list[Decimal]:
    """``total`` in ``count`` parts of whole fen summing exactly to it; remainder last."""
    if count < 1:
        raise ValueError("count must be at least 1")
    total_fen = int((total * HUNDRED).to_integral_value())
    if Decimal(total_fen) != total * HUNDRED:
        raise ValueError("total has more than fen precision")
    part = total_fen // count
    parts = [part] * (count - 1) + [total_fen - part * (count - 1)]
    return [yuan(p) for p in parts]


def plan_out(session: Session, plan: InstalmentPlan) -> PlanOut:
    bill_ids = list(
        session.scalars(
            select(InstalmentPlanBill.bill_id)
            .where(InstalmentPlanBill.plan_id == plan.id)
            .order_by(InstalmentPlanBill.bill_id)
        ).all()
    )
    found = balances(session, bill_ids)
    written = sum(b.principal_written_fen for b in found.values())
    paid_fen = max(written - int(plan.base_written * HUNDRED), 0)
    instalments = session.scalars(
        select(Instalment).where(Instalment.plan_id == plan.id).order_by(Instalment.seq)
    ).all()
    today = clock.business_day()
    left = paid_fen
    rows: list[InstalmentOut] = []
    for inst in instalments:
        amount_fen = int(inst.amount * HUNDRED)
        covered = min(left, amount_fen)
        left -= covered
        if covered == amount_fen:
            state = "paid"
        elif inst.due_date < today:
            state = "overdue"
        elif covered > 0:
            state = "partly_paid"
        else:
            state = "due"
        rows.append(
            InstalmentOut(
                seq=inst.seq,
                due_date=inst.due_date,
                amount=inst.amount,
                paid=yuan(covered),
                state=state,
            )
        )
    number = session.scalar(select(Account.number).where(Account.id == plan.account_id)) or ""
    total_fen = int(plan.total * HUNDRED)
    return PlanOut(
        id=plan.id,
        account_id=plan.account_id,
        account_number=number,
        status=plan.status,
        total=plan.total,
        paid=yuan(min(paid_fen, total_fen)),
        outstanding=yuan(max(total_fen - paid_fen, 0)),
        bill_ids=bill_ids,
        instalments=rows,
        created_at=plan.created_at,
        created_by=plan.created_by,
        note=plan.note,
    )


def get_plan(uow: UnitOfWork, plan_id: int) -> PlanOut:
    with uow:
        plan = uow.session.scalars(
            select(InstalmentPlan).where(InstalmentPlan.id == plan_id)
        ).first()
        if plan is None:
            raise NotFoundError("分次结算计划不存在 / instalment plan not found")
        return plan_out(uow.session, plan)


def do_create_plan(uow: UnitOfWork, data: PlanCreate) -> int:
    today = clock.business_day()
    if data.first_due_date < today:
        raise ValidationProblem(
            "首期应在今天或以后 / the first instalment cannot be due in the past",
            field="first_due_date",
        )
    with uow:
        ids = sorted(set(data.bill_ids))
        bills = list(
            uow.session.scalars(
                select(Bill).where(Bill.id.in_(ids)).order_by(Bill.id).with_for_update()
            ).all()
        )
        missing = sorted(set(ids) - {b.id for b in bills})
        if missing:
            raise NotFoundError(f"账单不存在 / bill not found: {missing[0]}")
        if len({b.account_id for b in bills}) != 1:
            raise ValidationProblem(
                "计划内账单须属于同一户号 / all bills of a plan must belong to one account",
                field="bill_ids",
            )
        if any(b.kind != BillKind.NORMAL or b.status != BillStatus.ISSUED for b in bills):
            raise ValidationProblem(
                "只能对已出账的正常账单分期 / only issued normal bills can be split",
                field="bill_ids",
            )
        taken = uow.session.scalar(
            select(InstalmentPlanBill.bill_id)
            .join(InstalmentPlan, InstalmentPlan.id == InstalmentPlanBill.plan_id)
            .where(InstalmentPlanBill.bill_id.in_(ids), InstalmentPlan.status == PlanStatus.ACTIVE)
        )
        if taken is not None:
            raise ConflictError(
                f"账单 {taken} 已在分次结算计划中 / bill {taken} is already in an active plan",
                field="bill_ids",
            )
        account, customer = uow.session.execute(
            select(Account, Customer)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.id == bills[0].account_id)
        ).one()
        threshold = get_collection_settings().large_customer_monthly_amount
        if not customer.is_key_customer and max(b.amount for b in bills) < threshold:
            raise ValidationProblem(
                f"分次结算仅适用于重点或大客户（单月电费≥{threshold}元）/ instalment settlement is "
                f"for key or large customers (a monthly bill of at least {threshold} yuan)",
                field="bill_ids",
            )
        found = balances(uow.session, ids)
        total_fen = sum(max(found[i].principal_out_fen, 0) for i in ids)
        if total_fen <= 0:
            raise ValidationProblem("账单已结清 / the bills are already paid", field="bill_ids")
        total = yuan(total_fen)
        plan = InstalmentPlan(
            account_id=account.id,
            status=PlanStatus.ACTIVE,
            total=total,
            base_written=yuan(sum(found[i].principal_written_fen for i in ids)),
            created_at=clock.now(),
            created_by=uow.actor.username,
            note=data.note,
            org_unit_id=account.org_unit_id,
        )
        uow.session.add(plan)
        uow.session.flush()
        uow.session.add_all(InstalmentPlanBill(plan_id=plan.id, bill_id=i) for i in ids)
        for seq, amount in enumerate(split(total, data.count), start=1):
            due = data.first_due_date + timedelta(days=data.interval_days * (seq - 1))
            uow.session.add(Instalment(plan_id=plan.id, seq=seq, due_date=due, amount=amount))
        uow.session.flush()
        uow.audit(
            "collection.instalment_plan_create",
            object_type="instalment_plan",
            object_id=plan.id,
            org_unit_id=plan.org_unit_id,
            after={**snapshot(plan), "bills": ids, "count": data.count},
        )
        uow.emit(
            InstalmentPlanCreated(plan.id, account.id, data.count, str(total), plan.org_unit_id)
        )
        uow.commit()
        return plan.id
