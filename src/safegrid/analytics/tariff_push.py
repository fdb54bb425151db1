"""ANA-4 in the utility: the monthly tariff advice stored once per account and month, and
pushed to the customer by SMS through the notification outbox when the saving is worth a
visit; measured in the same run against one-size-fits-all advice (the option cheapest for
the category as a whole, given to every account of it)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from safegrid.analytics.models import TariffAdvice
from safegrid.analytics.tariff_advice import MIN_SAVING, Advice, advise, last_full_period
from safegrid.customers.models import Account, Customer
from safegrid.notifications.channel import Message, OutboxNotifier
from safegrid.platform import clock, jobs
from safegrid.platform.sql_dialect import insert_skipping_conflicts
from safegrid.platform.uow import UnitOfWork

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform
    from safegrid.security.actor import Actor

TOPIC = "analytics.tariff_advice"


def measure(advice: list[Advice]) -> dict[str, Any]:
    """Yearly yuan saved by per-account advice (switch only when it saves ≥ MIN_SAVING)
    against one-size-fits-all advice in the same run: per group of accounts on the same
    current option, the one option that would have saved the group most in total, given
    to every account of it (some then pay more)."""
    ours = sum((a.saving for a in advice if a.saving >= MIN_SAVING), Decimal("0"))
    groups: dict[str, list[Advice]] = defaultdict(list)
    for a in advice:
        groups[a.current.code].append(a)
    blanket, worse = Decimal("0"), 0
    for group in groups.values():
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for a in group:
            for code, cost in a.costs.items():
                totals[code] += a.current_cost - cost
        choice = max(sorted(totals), key=lambda code: totals[code])
        blanket += totals[choice]
        worse += sum(1 for a in group if a.costs[choice] > a.current_cost)
    return {
        "accounts": len(advice),
        "advised": sum(1 for a in advice if a.saving >= MIN_SAVING),
        "saving_yuan": str(ours),
        "blanket_saving_yuan": str(blanket),
        "blanket_pay_more": worse,
    }


def do_push_advice(uow: UnitOfWork, period: str, advice: list[Advice]) -> int:
    """Store the advice worth giving (once per account and period: a unique constraint)
    and text the customers whose advice this call stored; returns how many. Two runs at
    once store each advice once and text each customer once: a row another run inserted
    first is skipped, and only the rows this one inserted are texted."""
    worth = [a for a in advice if a.saving >= MIN_SAVING]
    if not worth:
        return 0
    with uow:
        s = uow.session
        now = clock.now()
        stmt = insert_skipping_conflicts(TariffAdvice.__table__, s.get_bind().dialect.name)
        inserted = s.execute(
            stmt.returning(TariffAdvice.id, TariffAdvice.account_id),
            [
                {
                    "account_id": a.account_id,
                    "period": period,
                    "current_code": a.current.code,
                    "advised_code": a.best.code,
                    "advised_name": f"{a.best.name} / {a.best.name_en}"[:200],
                    "current_cost": a.current_cost,
                    "advised_cost": a.best_cost,
                    "saving": a.saving,
                    "org_unit_id": a.org_unit_id,
                    "created_at": now,
                }
                for a in worth
            ],
        ).all()
        if not inserted:
            return 0
        row_of = {int(account): int(row_id) for row_id, account in inserted}
        contacts: dict[int, tuple[str, str]] = {
            account_id: (number, mobile)
            for account_id, number, mobile in s.execute(
                select(Account.id, Account.number, Customer.mobile)
                .join(Customer, Customer.id == Account.customer_id)
                .where(Account.id.in_(sorted(row_of)))
            ).all()
            if mobile
        }
        texted = [a for a in worth if a.account_id in row_of and a.account_id in contacts]
        messages = [
            Message(
                channel="sms",
                recipient=contacts[a.account_id][1],
                topic=TOPIC,
                body=(
                    f"您的户号{contacts[a.account_id][0]}按近一年用电测算，改用“{a.best.name}”"
                    f"{'（峰谷计量）' if a.best.bands else ''}每年约可节省{a.saving}元，"
                    "可到营业厅办理。"
                ),
                org_unit_id=a.org_unit_id,
                subject_type="account",
                subject_id=str(a.account_id),
            )
            for a in texted
        ]
        for a, note_id in zip(texted, OutboxNotifier(uow).send_many(messages), strict=True):
            s.get_one(TariffAdvice, row_of[a.account_id]).notification_id = note_id
        uow.audit(
            "analytics.tariff_advised",
            object_type="tariff_advice",
            object_id=period,
            after={"period": period, "advised": len(inserted), "messages": len(messages)},
        )
        uow.commit()
        return len(inserted)


def run_tariff_advice(platform: Platform, actor: Actor) -> dict[str, Any]:
    """Price last year's readings under every option; advise and text those who would save."""
    period = last_full_period(clock.business_day())
    advice = advise(platform.uow(actor, readonly=True), period)
    pushed = do_push_advice(platform.uow(actor), period, advice)
    return {"period": period, "pushed": pushed, **measure(advice)}


jobs.register(
    "analytics.tariff_advice",
    "0 4 3 * *",
    run_tariff_advice,
    "Tariff advice priced on each account's own readings, texted when it saves (ANA-4)",
)
