"""PAY-7 / BILL-5: the set-based batch capture (payments/ledger/batch.py) writes exactly what
``ledger.capture`` one by one writes. Each run builds two mirror images of the same random
accounts, bills and late fees, captures the same random payments (partial, exact, over,
repeated keys, directed bills, bad amounts) on side A one by one and on side B with
``capture_many``, and compares everything the ledger and collection hold."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from safegrid.billing.models import Bill
from safegrid.collection import balances as bal
from safegrid.collection.models import CollectionPosting, LateFeeAccrual, WriteOff
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.batch import CaptureItem, capture_many
from safegrid.payments.ledger.invariant import ledger_totals
from safegrid.payments.ledger.models import AccountCredit, Payment, PaymentChannel, PaymentEvent
from safegrid.platform.errors import ConflictError, SafeGridError
from safegrid.security.models import AuditEntry
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

D = Decimal
Spec = dict[str, Any]


def _world_spec(rng: random.Random) -> list[list[tuple[str, date, int]]]:
    """Per account: its bills as (amount, due date, late fee in 1e-8 yuan)."""
    accounts = []
    for _ in range(5):
        bills = []
        for _ in range(rng.randint(0, 3)):
            amount = f"{rng.randint(1, 20000) / 100:.2f}"
            due = date(2026, rng.randint(6, 10), rng.randint(1, 28))
            fee = rng.choice([0, 0, rng.randint(1, 500_000_000)])
            bills.append((amount, due, fee))
        accounts.append(bills)
    return accounts


def _build(world: World, bills: Bills, spec: list[list[tuple[str, date, int]]]) -> Spec:
    accounts, bill_ids = [], []
    for acc_bills in spec:
        account = bills.account()
        accounts.append(account)
        ids = []
        for n, (amount, due, fee) in enumerate(acc_bills):
            bill = bills.bill(account, amount, period=f"2026-{n + 1:02d}", due=due)
            ids.append(bill)
            if fee:
                with world.platform.uow(world.system()) as uow:
                    unit = uow.session.get_one(Bill, bill).org_unit_id
                    uow.session.add(
                        LateFeeAccrual(
                            bill_id=bill,
                            day=due + timedelta(days=1),
                            principal_fen=100,
                            rate_e6=1000,
                            fee_e8=fee,
                            org_unit_id=unit,
                        )
                    )
                    uow.audit("test.accrue", object_type="bill", object_id=bill)
                    uow.commit()
        bill_ids.append(ids)
    return {"accounts": accounts, "bills": bill_ids}


def _batches(rng: random.Random, spec: list[list[tuple[str, date, int]]]) -> list[list[Spec]]:
    """Abstract payments: account index, amount, key, optional directed bill index."""
    used: list[tuple[int, str, str]] = []
    batches = []
    for b in range(3):
        batch = []
        for n in range(rng.randint(6, 16)):
            roll = rng.random()
            if used and roll < 0.15:  # a repeated key (same payment again)
                acc, amount, key = rng.choice(used)
                batch.append({"acc": acc, "amount": amount, "key": key, "bill": None})
                continue
            acc = rng.randrange(len(spec))
            amount = f"{rng.choice([0.01, 1, 7.5, 50, 99.99, 150, 400]) * rng.randint(1, 3):.2f}"
            key = f"K{b}-{n}"
            if roll < 0.2 and used:  # a used key for another amount: a conflict
                key = rng.choice(used)[2]
                amount = "0.02" if amount != "0.02" else "0.03"
            elif roll < 0.25:
                amount = rng.choice(["0.00", "1.005", "-3.00"])  # refused: bad amount
            directed = None
            if roll > 0.9 and spec[acc]:
                directed = rng.randrange(len(spec[acc]))
            item = {"acc": acc, "amount": amount, "key": key, "bill": directed}
            batch.append(item)
            used.append((acc, amount, key))
        batches.append(batch)
    return batches


def _items(side: str, built: Spec, batch: list[Spec]) -> list[CaptureItem]:
    return [
        CaptureItem(
            account_id=built["accounts"][p["acc"]],
            amount=D(p["amount"]),
            channel=PaymentChannel.ONLINE_SANDBOX,
            idempotency_key=f"{side}{p['key']}",
            bill_id=None if p["bill"] is None else built["bills"][p["acc"]][p["bill"]],
        )
        for p in batch
    ]


def _one_by_one(world: World, items: list[CaptureItem]) -> list[Any]:
    out: list[Any] = []
    with world.platform.uow(world.system()) as uow:
        for item in items:
            try:
                out.append(
                    ledger.capture(
                        uow,
                        account_id=item.account_id,
                        amount=item.amount,
                        channel=item.channel,
                        idempotency_key=item.idempotency_key,
                        bill_id=item.bill_id,
                    )
                )
            except SafeGridError as exc:
                out.append(exc)
        uow.commit()
    return out


def _batched(world: World, items: list[CaptureItem]) -> list[Any]:
    with world.platform.uow(world.system()) as uow:
        out = capture_many(uow, items)
        uow.commit()
    return list(out)


def _state(world: World, built: Spec, side: str) -> Spec:
    """Everything of one side, with ids replaced by positions and keys."""
    accounts = built["accounts"]
    bill_pos = {b: (a, n) for a, ids in enumerate(built["bills"]) for n, b in enumerate(ids)}
    with world.platform.uow(world.system(), readonly=True) as uow:
        s = uow.session
        payments = s.scalars(select(Payment).where(Payment.account_id.in_(accounts))).all()
        key_of = {p.id: p.idempotency_key.removeprefix(side) for p in payments}

        def ref(text: str | None) -> str | None:
            if text is None:
                return None
            head, _, rest = text.partition(":")
            pid, _, bill = rest.partition("#")
            named = key_of[int(pid)]
            return f"{head}:{named}#{bill_pos[int(bill)]}" if bill else f"{head}:{named}"

        balances = bal.balances(s, bill_pos)
        credits = {
            accounts.index(c.account_id): c.balance
            for c in s.scalars(
                select(AccountCredit).where(AccountCredit.account_id.in_(accounts))
            ).all()
        }
        write_offs = sorted(
            (ref(w.reference), bill_pos[w.bill_id], w.amount, w.late_fee_part, w.kind)
            for w in s.scalars(select(WriteOff).where(WriteOff.bill_id.in_(list(bill_pos)))).all()
        )
        postings = sorted(
            (ref(p.reference), p.requested, p.applied, p.remainder, p.kind)
            for p in s.scalars(
                select(CollectionPosting).where(CollectionPosting.account_id.in_(accounts))
            ).all()
        )
        events = sorted(
            (key_of[e.payment_id], ref(e.reference), e.kind, e.amount, e.applied, e.credited)
            for e in s.scalars(
                select(PaymentEvent).where(PaymentEvent.payment_id.in_(list(key_of)))
            ).all()
        )
        rows = sorted(
            (
                key_of[p.id],
                accounts.index(p.account_id),
                None if p.bill_id is None else bill_pos[p.bill_id],
                p.status,
                p.amount,
                p.applied,
                p.credited,
                p.refunded,
                ref(p.posting_reference),
            )
            for p in payments
        )
        outstanding = {
            bill_pos[b]: (x.principal_out_fen, x.fee_out_fen) for b, x in balances.items()
        }
    return {
        "outstanding": outstanding,
        "credits": credits,
        "write_offs": write_offs,
        "postings": postings,
        "events": events,
        "payments": rows,
        "key_of": key_of,
    }


def _answers(results: list[Any], key_of: dict[int, str]) -> list[Any]:
    return [
        type(r).__name__ + str(getattr(r, "field", ""))
        if isinstance(r, Exception)
        else (key_of[r.payment_id], r.applied, r.credited, r.replayed)
        for r in results
    ]


def _audit_actions(world: World) -> Counter[str]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return Counter(uow.session.scalars(select(AuditEntry.action)).all())


@pytest.mark.parametrize("seed", range(6))
def test_pay_7_bill_5_capture_many_equals_capture_one_by_one(
    world: World, bills: Bills, seed: int
) -> None:
    rng = random.Random(seed)
    spec = _world_spec(rng)
    a, b = _build(world, bills, spec), _build(world, bills, spec)
    got_a: list[Any] = []
    got_b: list[Any] = []
    audits = [_audit_actions(world)]
    for batch in _batches(rng, spec):
        got_a.extend(_one_by_one(world, _items("A", a, batch)))
        audits.append(_audit_actions(world))
        got_b.extend(_batched(world, _items("B", b, batch)))
        audits.append(_audit_actions(world))
    state_a, state_b = _state(world, a, "A"), _state(world, b, "B")
    assert _answers(got_a, state_a.pop("key_of")) == _answers(got_b, state_b.pop("key_of"))
    assert state_a == state_b
    # The same audit entries (payment.capture, collection.write_off…) per batch.
    deltas = [audits[i + 1] - audits[i] for i in range(len(audits) - 1)]
    assert deltas[0::2] == deltas[1::2]
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert ledger_totals(uow.session).holds


def test_pay_7_capture_many_replay_changes_nothing(world: World, bills: Bills) -> None:
    account = bills.account()
    older = bills.bill(account, "40.00", period="2026-08", due=date(2026, 9, 25))
    newer = bills.bill(account, "30.00", period="2026-09", due=date(2026, 10, 25))
    other = bills.account()
    items = [
        CaptureItem(account, D("50.00"), PaymentChannel.ONLINE_SANDBOX, "R-1", order_id=9001),
        CaptureItem(account, D("45.00"), PaymentChannel.ONLINE_SANDBOX, "R-2", order_id=9002),
        CaptureItem(other, D("12.34"), PaymentChannel.ONLINE_SANDBOX, "R-3"),
    ]
    first = _batched(world, items)
    assert [(r.applied, r.credited, r.replayed) for r in first] == [
        (D("50.00"), D("0.00"), False),
        (D("20.00"), D("25.00"), False),
        (D("0.00"), D("12.34"), False),
    ]
    before = _state(world, {"accounts": [account, other], "bills": [[older, newer], []]}, "")
    again = _batched(world, items)
    assert [(r.payment_id, r.applied, r.credited, r.replayed) for r in again] == [
        (r.payment_id, r.applied, r.credited, True) for r in first
    ]
    after = _state(world, {"accounts": [account, other], "bills": [[older, newer], []]}, "")
    assert before == after
    # Another key for an order already paid is refused, as one by one.
    late = _batched(
        world,
        [CaptureItem(account, D("1.00"), PaymentChannel.ONLINE_SANDBOX, "R-4", order_id=9001)],
    )
    assert isinstance(late[0], ConflictError)
    assert late[0].field == "order_id"
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert ledger_totals(uow.session).holds
