"""PAY-7: repeated callbacks and client retries never double-credit — a property over
interleavings. A channel repeats a callback (same idempotency key, same request) any number
of times and in any order with other payments and refund retries; concurrently in threads
too (real row locks and unique constraints on PostgreSQL, serialised writers on SQLite)."""

from __future__ import annotations

import contextlib
import threading
import uuid
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from safegrid.collection import balances as bal
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.invariant import ledger_totals
from safegrid.payments.ledger.models import Payment, PaymentChannel, PaymentEvent, PaymentEventKind
from safegrid.platform.errors import ConflictError, ValidationProblem
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

D = Decimal
N_KEYS = 4
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

amounts = st.lists(
    st.integers(1, 9000).map(lambda f: D(f).scaleb(-2)), min_size=N_KEYS, max_size=N_KEYS
)
# ("pay", key) repeats the capture of payment ``key``; ("refund", key, ref) retries a
# 1.00 refund of it with reference ``ref``.
ops = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(0, N_KEYS - 1), st.just(0)),
        st.tuples(st.just("refund"), st.integers(0, N_KEYS - 1), st.integers(0, 2)),
    ),
    min_size=1,
    max_size=14,
)


class Run:
    def __init__(self, world: World, bills: Bills, amounts: list[Decimal]) -> None:
        self.world = world
        self.tag = uuid.uuid4().hex[:10]
        self.account = bills.account()
        self.bill = bills.bill(self.account, "100.00")
        self.amounts = amounts
        self.payment_ids: dict[int, int] = {}
        self.first: dict[int, tuple[Decimal, Decimal]] = {}
        self.lock = threading.Lock()

    def key(self, k: int) -> str:
        return f"{self.tag}-cb-{k}"

    def apply(self, op: tuple[str, int, int]) -> None:
        kind, k, ref = op
        uow = self.world.platform.uow(self.world.system())
        if kind == "pay":
            result = ledger.do_capture(
                uow,
                account_id=self.account,
                amount=self.amounts[k],
                channel=PaymentChannel.ONLINE_SANDBOX,
                idempotency_key=self.key(k),
            )
            with self.lock:
                # Every answer for one key is the first capture's answer.
                first = self.first.setdefault(k, (result.applied, result.credited))
                assert (result.applied, result.credited) == first
                assert self.payment_ids.setdefault(k, result.payment_id) == result.payment_id
            return
        with self.lock:
            payment_id = self.payment_ids.get(k)
        if payment_id is None:
            return  # the refund request came before the payment's callback: nothing to refund
        # More than is left / already fully refunded: refused, nothing written.
        with contextlib.suppress(ValidationProblem, ConflictError):
            ledger.do_refund(uow, payment_id, D("1.00"), reference=f"{self.tag}-{k}-{ref}")

    def check(self) -> None:
        with self.world.platform.uow(self.world.system(), readonly=True) as uow:
            s = uow.session
            payments = s.scalars(
                select(Payment).where(Payment.idempotency_key.like(f"{self.tag}-%"))
            ).all()
            assert len(payments) == len(self.first)  # one payment per key, never two
            ids = [p.id for p in payments]
            captured = sum((self.amounts[k] for k in self.first), D("0.00"))
            refunds = s.scalar(
                select(func.count()).where(
                    PaymentEvent.payment_id.in_(ids), PaymentEvent.kind == PaymentEventKind.REFUNDED
                )
            )
            refunded = sum((p.refunded for p in payments), D("0.00"))
            assert refunded == D(int(refunds or 0))  # each refund reference gave back 1.00 once
            written = bal.balances(s, [self.bill])[self.bill]
            credit = ledger.credit_balance(uow, self.account)
            net = captured - refunded
            assert bal.yuan(written.principal_written_fen) + credit == net
            assert written.outstanding_fen >= 0
            totals = ledger_totals(s)
            assert totals.holds, totals


@SETTINGS
@given(amounts=amounts, calls=ops)
def test_pay_7_interleaved_retries_never_double_credit(
    world: World, bills: Bills, amounts: list[Decimal], calls: list[tuple[str, int, int]]
) -> None:
    run = Run(world, bills, amounts)
    for op in calls:
        run.apply(op)
    run.check()


@SETTINGS
@given(amounts=amounts, calls=ops, threads=st.integers(2, 4))
def test_pay_7_concurrent_repeated_callbacks_never_double_credit(
    world: World,
    bills: Bills,
    amounts: list[Decimal],
    calls: list[tuple[str, int, int]],
    threads: int,
) -> None:
    run = Run(world, bills, amounts)
    # Every thread delivers every callback (the channel's retries racing each other), the
    # refunds spread over the threads.
    pays = [op for op in calls if op[0] == "pay"]
    refunds = [op for op in calls if op[0] == "refund"]
    errors: list[BaseException] = []

    def deliver(i: int) -> None:
        try:
            for op in pays + refunds[i::threads]:
                run.apply(op)
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)

    workers = [threading.Thread(target=deliver, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors, errors
    run.check()
