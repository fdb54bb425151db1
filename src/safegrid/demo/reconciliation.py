"""The demo's month of bank statements (REC-1, REC-2; a resumable step of ``safegrid demo
history``, ADR 0021): the last finished month's direct debits as the collection account's
bank would report them — one credit per day — written in every format the importer reads
(camt.053, MT940, a big-four style GBK CSV, a city-bank style Excel), imported through the
same service as any file, and matched, with planted discrepancies so a newcomer sees all
three colours: a day the bank never credited (red), a day short by a bank charge within
0.1 % (yellow), a credit SafeGrid knows nothing of (red).

Resumable: statements are stored once (their unique keys), so a run interrupted after
some imports imports the rest; once the month is matched the step is skipped.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import exists, func, select

from safegrid.bootstrap import Platform
from safegrid.org.models import OrgUnit
from safegrid.payments.ledger.models import Payment, PaymentChannel
from safegrid.platform.errors import ConflictError
from safegrid.platform.sql_dialect import business_date
from safegrid.reconciliation import matching, periods, writers
from safegrid.reconciliation.models import BankAccount, MatchItem
from safegrid.reconciliation.statements import do_import_statements, do_register_bank_account
from safegrid.reconciliation.system_side import WHOLE_UTILITY
from safegrid.security.actor import Actor

ACCOUNT = "33050161000000000001"
ACTOR = Actor.system("demo-reconciliation", channel="cli")


def _day_sums(platform: Platform, period: str) -> list[tuple[date, Decimal]]:
    start, end = periods.utc_bounds(period)
    day = business_date(Payment.captured_at)
    with platform.uow(ACTOR, readonly=True) as uow:
        rows = uow.session.execute(
            select(day, func.sum(Payment.amount))
            .where(
                Payment.channel == PaymentChannel.BANK_DIRECT_DEBIT,
                Payment.captured_at >= start,
                Payment.captured_at < end,
            )
            .group_by(day)
            .order_by(day),
            execution_options=WHOLE_UTILITY,
        ).all()
    return [
        (
            d if isinstance(d, date) else date.fromisoformat(str(d)),
            Decimal(str(s)).quantize(Decimal("0.01")),
        )
        for d, s in rows
    ]


def _account(platform: Platform) -> None:
    with platform.uow(ACTOR, readonly=True) as uow:
        if uow.session.scalar(select(BankAccount.id).where(BankAccount.account_no == ACCOUNT)):
            return
        root = uow.session.scalar(
            select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)
        )
    if root is not None:
        do_register_bank_account(
            platform.uow(ACTOR), account_no=ACCOUNT, bank_name="中国工商银行杭州分行 / ICBC Hangzhou",
            currency="CNY", org_unit_id=root,
        )  # fmt: skip


def _file(n: int, sheet: writers.Sheet) -> tuple[str, bytes]:
    """A quarter of the month in each format the importer reads."""
    if n == 0:
        return "camt053.xml", writers.camt053([sheet], version=8)
    if n == 1:
        return "statement.sta", writers.mt940([sheet])
    if n == 2:
        return "icbc.csv", writers.bank_csv(sheet, "icbc", "gbk")
    return "city_bank.xlsx", writers.bank_xlsx(sheet, "city_bank")


def _matched(platform: Platform, period: str) -> bool:
    with platform.uow(ACTOR, readonly=True) as uow:
        return bool(
            uow.session.scalar(
                select(exists().where(MatchItem.period == period)), execution_options=WHOLE_UTILITY
            )
        )


def fill_month(platform: Platform, period: str) -> matching.RunResult | None:
    """None when there is nothing to do: too few days of debits, or the month already
    matched (a finished history's next run changes nothing)."""
    if _matched(platform, period):
        return None
    sums = _day_sums(platform, period)
    if len(sums) < 4:
        return None
    _account(platform)
    lines = [writers.Line(total, d, f"DD-{d:%Y%m%d}", "电费代扣") for d, total in sums]
    del lines[len(lines) // 2]  # planted: a day the bank never credited
    short = lines[1]
    fee = max(Decimal("0.01"), (short.amount * Decimal("0.0005")).quantize(Decimal("0.01")))
    lines[1] = writers.Line(short.amount - fee, short.day, short.reference, "电费代扣 扣手续费")
    lines.append(
        writers.Line(Decimal("1288.00"), lines[-1].day, "UNKNOWN-TRANSFER", "来历不明汇款")
    )
    lines.sort(key=lambda x: x.day)
    quarter = max(1, len(lines) // 4)
    parts = [
        lines[:quarter],
        lines[quarter : 2 * quarter],
        lines[2 * quarter : 3 * quarter],
        lines[3 * quarter :],
    ]
    opening = Decimal("1000000.00")
    files = []
    for n, part in enumerate(parts):
        sheet = writers.Sheet(ACCOUNT, f"{period}-{n + 1}", opening, part)
        opening = sheet.closing
        files.append((n, sheet))
    for n, sheet in files:
        name, data = _file(n, sheet)
        try:
            do_import_statements(platform.uow(ACTOR), f"{period}-{name}", data)
        except ConflictError:
            continue  # imported by an earlier, interrupted run
    return matching.do_run_month(platform.uow(ACTOR), period)
