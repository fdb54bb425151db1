"""The real-time risk engine (PAY-4, PAY-5): called on every online payment request before
it reaches the channel, and on every refund before it is executed.

Contract (callers: online orders, refunds), all inside the CALLER's unit of work:

- ``evaluate(uow, RiskRequest(...)) -> RiskDecision`` decides, persists the decision (the
  rules that fired and their inputs) as a ``risk_events`` row, and counts the request in
  the history. ``review`` opens a risk case, suspends the account's online functions
  (48 h by default) and alerts the unit's managers; ``freeze`` suspends them for the rule's
  minutes; ``step_up`` asks for an OTP (:mod:`safegrid.payments.risk.step_up`). A payment
  request for a suspended account is ``freeze`` with the fired rule ``SUSPENDED``.
  **Commit the unit of work even when you refuse the request**: a refused request still
  counts (it is the velocity rules' input), and a case must outlive the refusal.
  Non-``allow`` decisions are audited here; an ``allow`` decision is a log row like the
  audit itself and rides on the caller's own audit entry (its order, its refund).
- every captured online payment is told to the engine by
  :func:`safegrid.payments.risk.paid_batch.note_paid_many` (``note_paid`` is its batch of one;
  idempotent per payment), which returns a decision when it completes a test-payment pattern.
- ``suspended_until(uow, account_id) -> datetime | None``.

Performance: the counts come from :mod:`safegrid.payments.risk.history` (memory: this
process's commits applied by a commit hook, other processes' tailed from the table at most
every 50 ms — ADR 0011), not from queries per request.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from safegrid.customers.models import Account
from safegrid.payments.risk import cases, own_events
from safegrid.payments.risk.decide import (
    Action,
    Counts,
    FiredRule,
    Outcome,
    RiskRequest,
    decide,
    measure,
)
from safegrid.payments.risk.history import HotHistory, for_session, synced
from safegrid.payments.risk.models import EventKind, RiskEvent, RuleAction, RuleKind
from safegrid.payments.risk.rules import RuleSet, active_rules
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.money import FEN
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

__all__ = [
    "FiredRule",
    "RiskDecision",
    "RiskRequest",
    "evaluate",
    "suspended_until",
]


@dataclasses.dataclass(frozen=True)
class RiskDecision:
    id: int
    action: Action
    fired: list[FiredRule]
    suspended_until: datetime | None
    case_id: int | None = None
    rule_set_version: int = 0


def _now() -> datetime:
    return clock.now()


def unit_of(uow: UnitOfWork, hist: HotHistory, account_id: int) -> int:
    unit = hist.units.get(account_id)
    if unit is None:
        found = uow.session.scalar(
            select(Account.org_unit_id).where(Account.id == account_id),
            execution_options=unscoped("the paying account's unit, to file the event"),
        )
        if found is None:
            raise ValidationProblem("户号不存在 / unknown account", field="account_id")
        unit = hist.units[account_id] = int(found)
    return unit


def insert_event(uow: UnitOfWork, values: dict[str, Any]) -> int:
    event_id = int(
        uow.session.execute(
            insert(RiskEvent).returning(RiskEvent.id),
            [values],
            execution_options=unscoped("risk events are written for every unit"),
        ).scalar_one()
    )
    own_events.track(uow.session, event_id, values)
    return event_id


def _check(req: RiskRequest) -> None:
    if req.kind not in ("payment", "refund"):
        raise ValidationProblem("kind must be payment or refund", field="kind")
    if req.at.tzinfo is None:
        raise ValidationProblem("naive datetime", field="at")
    if req.amount <= 0 or req.amount != req.amount.quantize(FEN):
        raise ValidationProblem("金额须为正且精确到分 / amount must be > 0, in fen", field="amount")


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A decision taken but not yet stored (the two halves of :func:`evaluate`)."""

    req: RiskRequest
    outcome: Outcome
    rules: RuleSet


def evaluate(uow: UnitOfWork, req: RiskRequest) -> RiskDecision:
    return record(uow, prepare(uow, req))


def prepare(uow: UnitOfWork, req: RiskRequest) -> Prepared:
    """The decision itself: the rules against the in-memory windows (tailed from the table
    if the last look is older than the staleness bound) plus this unit of work's own
    uncommitted events. Writes nothing (the benchmark times this half on its own)."""
    _check(req)
    hist = for_session(uow.session)
    with hist.lock:
        hist = synced(uow)
        rules = hist.rules or active_rules(uow)
        outcome = decide(own_events.view(uow.session, hist), rules, req)
    return Prepared(req, outcome, rules)


def record(uow: UnitOfWork, prepared: Prepared) -> RiskDecision:
    """Store the decision with its fired rules and inputs; case, suspension, audit."""
    p = prepared
    hist = for_session(uow.session)
    with hist.lock:
        unit = unit_of(uow, hist, p.req.account_id)
    return persist(uow, p.req, p.outcome, p.rules, unit, kind=EventKind(p.req.kind))


def persist(
    uow: UnitOfWork,
    req: RiskRequest,
    outcome: Outcome,
    rules: RuleSet,
    unit: int,
    *,
    kind: EventKind,
    event_id: int | None = None,
) -> RiskDecision:
    fired = [f.as_dict() for f in outcome.fired]
    values = {
        "kind": kind,
        "account_id": req.account_id,
        "amount": req.amount,
        "device_id": req.device_id,
        "ip": req.ip,
        "at": req.at,
        "action": outcome.action,
        "fired": fired,
        "rule_set_version": rules.version,
        "recorded_by": uow.actor.username,
        "org_unit_id": unit,
    }
    if event_id is None:
        event_id = insert_event(uow, values)
    else:
        uow.session.execute(
            update(RiskEvent)
            .where(RiskEvent.id == event_id)
            .values(action=outcome.action, fired=fired, rule_set_version=rules.version),
            execution_options=unscoped("risk events are written for every unit"),
        )
    until: datetime | None = None
    case_id: int | None = None
    if outcome.action in ("freeze", "review") and outcome.suspend_seconds > 0:
        until = req.at + timedelta(seconds=outcome.suspend_seconds)
        if outcome.action == "review":
            case_id = cases.open_case(
                uow,
                account_id=req.account_id,
                unit=unit,
                decision_id=event_id,
                fired=outcome.fired,
                until=until,
            )
            source = f"case:{case_id}"
        else:
            source = f"decision:{event_id}"
        insert_event(
            uow,
            {
                "kind": EventKind.SUSPENDED,
                "account_id": req.account_id,
                "at": req.at,
                "until": until,
                "source": source,
                "case_id": case_id,
                "recorded_by": uow.actor.username,
                "org_unit_id": unit,
            },
        )
        if case_id is not None:
            uow.session.execute(
                update(RiskEvent).where(RiskEvent.id == event_id).values(case_id=case_id),
                execution_options=unscoped("risk events are written for every unit"),
            )
    elif outcome.action == "freeze":  # refused because already suspended
        until = _parse(outcome.fired[0].inputs.get("suspended_until"))
    if outcome.action != "allow":
        uow.audit(
            f"risk.{outcome.action}",
            object_type="account",
            object_id=req.account_id,
            org_unit_id=unit,
            after={
                "decision_id": event_id,
                "request": kind.value,
                "amount": str(req.amount),
                "rules": [f.rule_id for f in outcome.fired],
                "suspended_until": until.isoformat() if until else None,
                "case_id": case_id,
            },
        )
    return RiskDecision(event_id, outcome.action, outcome.fired, until, case_id, rules.version)


def _parse(value: object) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if isinstance(value, str) else None


def paid_rules_fired(
    seen: Counts, rules: RuleSet, req: RiskRequest, payment_id: int
) -> tuple[list[FiredRule], float]:
    """The test-payment rules (freeze or review) that the captured payment ``req`` fires,
    and the longest suspension they ask for (shared with ``paid_batch``)."""
    at = req.at.timestamp()
    fired: list[FiredRule] = []
    suspend = 0.0
    for rule in rules.rules:
        if (
            rule.enabled
            and rule.kind == RuleKind.TEST_PAYMENTS
            and rule.action in (RuleAction.FREEZE, RuleAction.REVIEW)
        ):
            inputs = measure(seen, rule, req, at)
            if inputs is not None and rule.fires(int(inputs["count"])):
                inputs["payments"] = [*inputs["payments"], payment_id][-10:]
                fired.append(FiredRule(rule.code, rule.kind.value, rule.action.value, inputs))
                suspend = max(suspend, rule.suspend_minutes * 60.0)
    return fired, suspend


def suspended_until(uow: UnitOfWork, account_id: int) -> datetime | None:
    """Until when the account's online functions are suspended, or None."""
    hist = for_session(uow.session)
    with hist.lock:
        seen = own_events.view(uow.session, synced(uow))
        until = seen.suspended_until(account_id, _now().timestamp())
    return None if until is None else datetime.fromtimestamp(until, tz=UTC)
