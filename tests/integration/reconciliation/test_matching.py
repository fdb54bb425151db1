"""REC-2: one set-based run per month; green, yellow and red with their reasons; one-to-many
(a day's counter cash as one deposit, a channel's day as one settlement); re-runs are
idempotent and keep human decisions. REC-3: red items open cases due 5 working days later."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from safegrid.reconciliation import cases, writers
from safegrid.reconciliation.matching import do_run_month
from safegrid.reconciliation.models import Colour, Decision, MatchItem, ReconCase
from tests.integration.reconciliation.conftest import VOUCHER, Month

D = Decimal
L = writers.Line


def _items(month: Month) -> dict[str, MatchItem]:
    w = month.world
    with w.platform.uow(w.system(), readonly=True) as uow:
        rows = uow.session.scalars(select(MatchItem).where(MatchItem.period == "2026-11")).all()
        return {r.item_key: r for r in rows}


def _bank(month: Month) -> None:
    month.import_lines([
        L(D("150.50"), date(2026, 11, 3), VOUCHER, "现金解款"),       # the day's cash, one sum
        L(D("599.70"), date(2026, 11, 4), "SANDBOX-20261103"),       # channel day less 0.30 fee
        L(D("80.00"), date(2026, 11, 5), "BATCH-7781"),              # direct debit: amount + date
        L(D("55.00"), date(2026, 11, 20), "UNKNOWN-1"),              # never in SafeGrid
    ])  # fmt: skip


def test_rec_2_three_colours_with_reasons_and_one_to_many(month: Month) -> None:
    _bank(month)
    w = month.world
    result = do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    assert (result.green, result.yellow, result.red) == (2, 1, 1)
    items = _items(month)
    deposit = items[f"sys:deposit:{VOUCHER}"]
    assert deposit.colour == Colour.GREEN and deposit.rule == "reference"
    channel = items["sys:channel:SANDBOX-20261103"]
    assert channel.colour == Colour.YELLOW and channel.system_count == 3
    assert channel.difference == D("-0.30") and "SANDBOX-20261103" in channel.reason
    debit = items["sys:debit_day:DD-20261104"]
    assert debit.colour == Colour.GREEN and debit.rule == "amount_date"
    (stray,) = [i for i in items.values() if i.rule == "missing_in_system"]
    assert stray.colour == Colour.RED and stray.bank_amount == D("55.00")
    assert result.cases_opened == 1


def test_rec_2_missing_deposit_is_red_and_rerun_is_idempotent_keeping_decisions(
    month: Month,
) -> None:
    month.import_lines([L(D("599.00"), date(2026, 11, 4), "SANDBOX-20261103")])
    w = month.world
    run = lambda: do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")  # noqa: E731
    first = run()
    items = _items(month)
    assert items[f"sys:deposit:{VOUCHER}"].rule == "missing_at_bank"
    assert items["sys:channel:SANDBOX-20261103"].colour == Colour.RED  # 1.00 is > 0.1 %
    assert first.red == 3 and first.cases_opened == 3
    second = run()
    assert (second.green, second.yellow, second.red, second.cases_opened) == (0, 0, 3, 0)
    assert set(_items(month)) == set(items)


def test_rec_2_yellow_decision_survives_a_rerun(month: Month) -> None:
    _bank(month)
    w = month.world
    do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    channel = _items(month)["sys:channel:SANDBOX-20261103"]
    cases.do_review_yellow(
        w.platform.uow(w.actor(month.head)),
        channel.id,
        accept=True,
        reason="渠道手续费 / channel fee",
    )
    again = do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    kept = _items(month)["sys:channel:SANDBOX-20261103"]
    assert kept.id == channel.id and kept.decision == Decision.ACCEPTED
    assert (again.green, again.yellow, again.red) == (2, 1, 1)


def test_rec_3_red_case_due_in_five_chinese_working_days(month: Month) -> None:
    _bank(month)
    w = month.world
    do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    with w.platform.uow(w.system(), readonly=True) as uow:
        (case,) = uow.session.scalars(select(ReconCase)).all()
    # Opened Tue 1 Dec 2026: Wed 2, Thu 3, Fri 4, Mon 7, Tue 8.
    assert case.due_on == date(2026, 12, 8)
    assert case.owner_id == month.finance.id


def test_rec_2_rerun_rewrites_nothing_unchanged_and_adds_only_the_new(month: Month) -> None:
    _bank(month)
    w = month.world
    run = lambda: do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")  # noqa: E731
    run()
    before = {key: (item.id, item.run_at) for key, item in _items(month).items()}
    month.fixed.advance(timedelta(hours=1))
    run()
    assert {key: (item.id, item.run_at) for key, item in _items(month).items()} == before
    month.import_lines([L(D("12.34"), date(2026, 11, 21), "UNKNOWN-2")], sid="NOV-2")
    third = run()
    after = _items(month)
    assert {key: after[key].id for key in before} == {key: v[0] for key, v in before.items()}
    (added,) = set(after) - set(before)
    assert after[added].rule == "missing_in_system" and after[added].bank_amount == D("12.34")
    assert (third.green, third.yellow, third.red, third.cases_opened) == (2, 1, 2, 1)
