"""PAY-5 / PAY-7 (ADR 0010, 0011): telling the risk engine about a batch of captured
payments at once records exactly what telling it one by one records.

Each seeded run builds two mirror sides (distinct accounts, the same script: the history
counts per account, so the sides cannot see each other) and plays the same batches on
both at the same clock readings — side A one by one (``note_paid`` / ``finish_paid``),
side B batched (``note_paid_many`` / ``finish_paid_many``) — then compares everything
written, with each side's ids replaced by positions: ``risk_events`` rows, cases, alerts,
the audit entries in chain order with their actors, the outbox, the orders. Every script
completes the 0.01-yuan test-payment pattern (three small payments in a day) at least once,
so a case is opened and the account suspended inside a batch."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, select

from safegrid.alerts.models import Alert
from safegrid.customers.models import Account
from safegrid.payments.ledger.batch import capture_many
from safegrid.payments.ledger.models import Payment
from safegrid.payments.online.callbacks.finish import finish_paid, finish_paid_many
from safegrid.payments.online.callbacks.verification import capture_item
from safegrid.payments.online.channels import VerifiedCallback
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.payments.risk import cases, engine, paid_batch
from safegrid.payments.risk.models import RiskCase, RiskEvent
from safegrid.payments.risk.paid_batch import PaidNote, note_paid_many
from safegrid.platform import clock
from safegrid.platform.outbox import OutboxMessage
from safegrid.security.actor import Actor
from safegrid.security.audit_deferred import DeferredAuditUnitOfWork
from safegrid.security.models import AuditEntry
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
ACTORS = [Actor.system(f"channel:sandbox{k}", "api") for k in range(3)]
OFFSET = {"A": 1_000_000, "B": 2_000_000}
SIDES = ("A", "B")
D = Decimal
Note = dict[str, Any]  # account index, amount, payment number, actor, minute


def _script(rng: random.Random, accounts: int, *, replays: bool) -> list[dict[str, Any]]:
    """Batches of abstract notes; replays of earlier payments (in or before the batch),
    a few notes recorded one by one in the same unit of work first, and lifts between
    batches (the pattern counts only after the last lift)."""
    batches: list[dict[str, Any]] = []
    done: list[Note] = []
    minute = 0
    for b in range(3):
        notes: list[Note] = []
        for _ in range(rng.randint(8, 18)):
            minute += rng.choice([0, 0, 1, 7, 90])
            if replays and done and rng.random() < 0.15:
                notes.append({**rng.choice(done), "minute": minute})  # a replay
                continue
            amount = rng.choice(["0.01", "0.01", "0.01", "0.02", "5.00", "120.00"])
            note = {"acc": rng.randrange(accounts), "amount": amount, "pay": len(done)}
            note.update(actor=rng.randrange(len(ACTORS)), minute=minute)
            notes.append(note)
            done.append(note)
        if b == 0:  # the pattern, completed inside the batch, at random places
            for _ in range(3):
                note = {"acc": 0, "amount": "0.01", "pay": len(done), "actor": 1}
                notes.insert(rng.randrange(len(notes) + 1), {**note, "minute": minute})
                done.append(note)
        split = rng.randint(0, len(notes) // 2) if rng.random() < 0.4 else 0
        batches.append({"notes": notes, "split": split, "lift": rng.random() < 0.5})
        minute += rng.choice([5, 600])
    return batches


class Ids:
    """One side's ids as positions (the same script gives the same positions)."""

    def __init__(self, world: World, side: str, accounts: list[int]) -> None:
        self.side, self.accounts = side, accounts
        with world.platform.uow(world.system(), readonly=True) as uow:
            numbers = uow.session.execute(
                select(Account.id, Account.number).where(Account.id.in_(accounts))
            ).all()
            self.events = uow.session.scalars(
                select(RiskEvent.id)
                .where(RiskEvent.account_id.in_(accounts))
                .order_by(RiskEvent.id)
            ).all()
            self.cases = uow.session.scalars(
                select(RiskCase.id).where(RiskCase.account_id.in_(accounts)).order_by(RiskCase.id)
            ).all()
            keys = uow.session.execute(select(Payment.id, Payment.idempotency_key)).all()
        self.number = {str(n): accounts.index(a) for a, n in numbers}
        self.payment_key = {int(p): str(k).replace(f"online:{side}", "") for p, k in keys}

    def pay(self, value: Any) -> Any:
        if not isinstance(value, int):
            return value
        if value in self.payment_key:
            return f"pay:{self.payment_key[value]}"
        return value - OFFSET[self.side]

    def norm(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.norm(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.norm(v, key) for v in value]
        if value is None:
            return None
        if key == "account_id":
            return f"acc{self.accounts.index(int(value))}"
        if key == "account":
            return f"acc{self.number[str(value)]}"
        if key in ("payment_id", "payments", "last_payment_id"):
            return self.pay(value)
        if key in ("decision_id", "id"):
            return f"ev{self.events.index(int(value))}"
        if key == "case_id":
            return f"case{self.cases.index(int(value))}"
        if key == "source" and ":" in str(value):
            kind, _, ref = str(value).partition(":")
            return self.norm(int(ref), "case_id" if kind == "case" else "decision_id")
        if key in ("order_no", "trade_no"):
            return str(value).replace(self.side, "", 1)
        return value

    def object_id(self, object_type: str, object_id: str | None) -> Any:
        keyed = {"account": "account_id", "payment": "payment_id", "risk_case": "case_id"}
        if object_id is None or object_type not in keyed:
            return self.norm(object_id, "order_no")
        return self.norm(int(object_id), keyed[object_type])


Span = tuple[int, int, int, int]  # audit seq and outbox id, before and after one run


def _marks(world: World) -> tuple[int, int]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        seq = uow.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()))
        out = uow.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))
    return int(seq or 0), int(out or 0)


def _within(spans: list[Span], value: int, audit: bool) -> bool:
    return any(lo < value <= hi for a_lo, a_hi, o_lo, o_hi in spans
               for lo, hi in [(a_lo, a_hi) if audit else (o_lo, o_hi)])  # fmt: skip


def _state(world: World, ids: Ids, spans: list[Span]) -> dict[str, Any]:
    """Everything the risk engine (and the callbacks' finish) wrote for one side."""
    with world.platform.uow(world.system(), readonly=True) as uow:
        s = uow.session
        events = [
            ids.norm(
                {
                    "id": e.id,
                    "kind": e.kind,
                    "account_id": e.account_id,
                    "amount": e.amount,
                    "at": e.at,
                    "payment_id": e.payment_id,
                    "action": e.action,
                    "fired": e.fired,
                    "rule_set_version": e.rule_set_version,
                    "until": e.until,
                    "source": e.source,
                    "case_id": e.case_id,
                    "recorded_by": e.recorded_by,
                    "org_unit_id": e.org_unit_id,
                }
            )
            for e in s.scalars(
                select(RiskEvent).where(RiskEvent.id.in_(ids.events)).order_by(RiskEvent.id)
            ).all()
        ]
        risk_cases = [
            (
                ids.norm(c.account_id, "account_id"),
                c.status,
                c.rules,
                c.opened_at,
                c.opened_by,
                c.suspended_until,
                ids.norm(c.decision_id, "decision_id"),
                c.decided_by,
            )
            for c in s.scalars(
                select(RiskCase).where(RiskCase.id.in_(ids.cases)).order_by(RiskCase.id)
            ).all()
        ]
        alerts = [
            (
                a.key_field,
                ids.norm(a.object_label, "account"),
                ids.norm(int(a.object_id), "case_id"),
                a.changed_by,
            )
            for a in s.scalars(
                select(Alert).where(Alert.object_type == "risk_case").order_by(Alert.id)
            ).all()
            if int(a.object_id) in ids.cases
        ]
        audit = []
        for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all():
            body = json.loads(e.body)
            if not _within(spans, e.seq, True) or body["action"].startswith(CAPTURE_ENTRIES):
                continue  # another side's, or capture_many's own (the same call on both)
            ref = ids.object_id(body["object_type"], body["object_id"])
            rest = [ids.norm(body[k], k) for k in ("before", "after", "note")]
            audit.append((body["actor_name"], body["action"], body["object_type"], ref, *rest))
        outbox = [
            (m.topic, ids.norm(m.payload))
            for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            if _within(spans, m.id, False)
        ]
        orders = [
            (
                ids.norm(o.order_no, "order_no"),
                o.status,
                ids.norm(o.trade_no, "trade_no"),
                ids.pay(o.payment_id),
                o.paid_at,
            )
            for o in s.scalars(
                select(PaymentOrder)
                .where(PaymentOrder.account_id.in_(ids.accounts))
                .order_by(PaymentOrder.id)
            ).all()
        ]
    return {
        "events": events,
        "cases": risk_cases,
        "alerts": alerts,
        "audit": audit,
        "outbox": outbox,
        "orders": orders,
    }


CAPTURE_ENTRIES = ("collection.", "payment.capture")


def _lift_open_cases(world: World, accounts: list[int]) -> None:
    with world.platform.uow(world.system(), readonly=True) as uow:
        open_ids = uow.session.scalars(
            select(RiskCase.id)
            .where(RiskCase.account_id.in_(accounts), RiskCase.status == "open")
            .order_by(RiskCase.id)
        ).all()
    for case_id in open_ids:
        cases.do_lift(world.platform.uow(world.system()), case_id, "reviewed: test payments ok")


Run = Callable[[World, str, list[int], dict[str, Any]], list[Any]]


def _mirror(
    world: World, bills: Bills, script: list[dict[str, Any]], n_accounts: int, run: Run
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``script`` played on both sides at the same clock readings; each side's state."""
    accounts = {side: [bills.account("stationA") for _ in range(n_accounts)] for side in SIDES}
    spans: dict[str, list[Span]] = {side: [] for side in SIDES}
    outs: dict[str, list[Any]] = {side: [] for side in SIDES}
    for batch in script:
        at = T0 + timedelta(minutes=max(n["minute"] for n in batch["notes"]))
        for side in SIDES:
            clock.set_clock(clock.FixedClock(at))
            (seq, out) = _marks(world)
            outs[side].append(run(world, side, accounts[side], batch))
            if batch["lift"]:
                _lift_open_cases(world, accounts[side])
            (seq_after, out_after) = _marks(world)
            spans[side].append((seq, seq_after, out, out_after))
    states = []
    for side in SIDES:
        ids = Ids(world, side, accounts[side])
        state = _state(world, ids, spans[side])
        state["out"] = [[_decision(ids, d) for d in out] for out in outs[side]]
        states.append(state)
    return states[0], states[1]


def _decision(ids: Ids, d: Any) -> Any:
    if not isinstance(d, engine.RiskDecision):
        return d  # None, or a callback's answer
    fired = ids.norm([f.as_dict() for f in d.fired])
    case = ids.norm(d.case_id, "case_id")
    return (ids.norm(d.id, "decision_id"), d.action, fired, d.suspended_until, case)


def _note_batch(world: World, side: str, accounts: list[int], batch: dict[str, Any]) -> list[Any]:
    """One unit of work: side A notes each payment alone, side B the first ``split`` alone
    (events of this unit of work the batch must count) and the rest with note_paid_many;
    after each note an audit entry under its own actor (the interleaving must match)."""
    notes = [
        PaidNote(
            accounts[n["acc"]],
            D(n["amount"]),
            T0 + timedelta(minutes=n["minute"]),
            OFFSET[side] + n["pay"],
        )
        for n in batch["notes"]
    ]
    uow = DeferredAuditUnitOfWork(world.platform.session_factory, ACTORS[0])
    with uow:

        def before(i: int) -> None:
            uow.act_as(ACTORS[batch["notes"][i]["actor"]])

        def after(i: int) -> None:
            before(i)
            uow.audit("test.paid", object_type="payment", object_id=notes[i].payment_id)

        alone = len(notes) if side == "A" else batch["split"]
        out: list[Any] = []
        for i in range(alone):
            before(i)
            n = notes[i]
            out.append(paid_batch.note_paid(uow, n.account_id, n.amount, n.at, n.payment_id))
            after(i)
        if alone < len(notes):
            out += note_paid_many(
                uow,
                notes[alone:],
                before_each=lambda k: before(alone + k),
                after_each=lambda k: after(alone + k),
            )
        uow.commit()
    return out


@pytest.mark.parametrize("seed", range(8))
def test_note_paid_many_records_what_note_paid_one_by_one_records(
    world: World, bills: Bills, seed: int
) -> None:
    a, b = _mirror(world, bills, _script(random.Random(seed), 3, replays=True), 3, _note_batch)
    assert a["cases"] and a["alerts"], "the script completes the pattern: a case is opened"
    assert any(d is not None for out in a["out"] for d in out)
    for key in ("events", "cases", "alerts", "audit", "out"):
        assert a[key] == b[key], key


def _finish_batch(world: World, side: str, accounts: list[int], batch: dict[str, Any]) -> list[Any]:
    """The batch's orders created, then captured together (``capture_many``, as the callback
    batch does) and finished: side A with finish_paid each, side B the first ``split`` so
    and the rest with finish_paid_many."""
    now = clock.now()
    notes = batch["notes"]
    with world.platform.engine.begin() as conn:
        conn.execute(
            insert(PaymentOrder),
            [
                {
                    "order_no": f"OL{side}{n['pay']:08d}",
                    "account_id": accounts[n["acc"]],
                    "channel": "sandbox",
                    "amount": D(n["amount"]),
                    "status": OrderStatus.CREATED,
                    "business_day": clock.business_day(now),
                    "step_up_pending": False,
                    "created_at": now,
                    "expires_at": now + timedelta(days=1),
                    "org_unit_id": world.units["stationA"],
                }
                for n in notes
            ],
        )
    callbacks = [
        VerifiedCallback(
            "safegrid-dev",
            f"OL{side}{n['pay']:08d}",
            f"{side}T{n['pay']:08d}",
            D(n["amount"]),
            "TRADE_SUCCESS",
        )
        for n in notes
    ]
    uow = DeferredAuditUnitOfWork(world.platform.session_factory, ACTORS[0])
    with uow:

        def before(k: int) -> None:
            uow.act_as(ACTORS[notes[k]["actor"]])

        found = uow.session.scalars(
            select(PaymentOrder)
            .where(PaymentOrder.order_no.in_([cb.order_no for cb in callbacks]))
            .with_for_update()
        ).all()
        by_no = {o.order_no: o for o in found}
        orders = [by_no[cb.order_no] for cb in callbacks]
        results = capture_many(
            uow,
            [capture_item(o, cb, "sandbox") for o, cb in zip(orders, callbacks, strict=True)],
            before_each=before,
        )
        done = [
            (o, cb, r)
            for o, cb, r in zip(orders, callbacks, results, strict=True)
            if not isinstance(r, Exception)
        ]
        assert len(done) == len(notes)
        alone = len(done) if side == "A" else batch["split"]
        out: list[Any] = []
        for k in range(alone):
            before(k)
            out.append(finish_paid(uow, *done[k]))
        if alone < len(done):
            out += finish_paid_many(uow, done[alone:], before_each=lambda k: before(alone + k))
        uow.commit()
    return out


@pytest.mark.parametrize("seed", range(4))
def test_finish_paid_many_does_what_finish_paid_for_each_does(
    world: World, bills: Bills, seed: int
) -> None:
    script = _script(random.Random(seed), 3, replays=False)
    a, b = _mirror(world, bills, script, 3, _finish_batch)
    assert a["cases"], "the script completes the test-payment pattern: a case is opened"
    assert {o[1] for o in a["orders"]} == {OrderStatus.PAID}
    paid = [m for m in a["outbox"] if m[0] == "OnlineOrderPaid"]
    assert sum(len(batch["notes"]) for batch in script) == len(paid)
    for key in ("orders", "events", "cases", "alerts", "audit", "outbox", "out"):
        assert a[key] == b[key], key
