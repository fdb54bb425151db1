"""The rules applied to one request against the hot history — pure, no database.

Kept apart from the engine so the benchmark can time exactly this step, and the naive
baseline can reuse the same precedence and inputs with its counts taken from SQL.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, Literal, Protocol

from safegrid.payments.risk.history import Paid, Table
from safegrid.payments.risk.models import RuleAction
from safegrid.payments.risk.models import RuleKind as Kind
from safegrid.payments.risk.rules import STRICTLY_MORE, Rule, RuleSet

Action = Literal["allow", "step_up", "freeze", "review"]
SEVERITY: Final[dict[str, int]] = {"allow": 0, "step_up": 1, "freeze": 2, "review": 3}
SUSPENDED_RULE: Final = "SUSPENDED"
_ACTIONS: Final[dict[RuleAction, Action]] = {
    RuleAction.STEP_UP: "step_up",
    RuleAction.FREEZE: "freeze",
    RuleAction.REVIEW: "review",
}


class Counts(Protocol):
    """What a decision reads: the shared history (``HotHistory``), or it with a unit of
    work's own uncommitted events on top (``own_events.Overlay``)."""

    def velocity(self, table: Table, key: str | int, at: float, window: float) -> int: ...
    def paid_in(self, account_id: int, at: float, window: float) -> list[Paid]: ...
    def suspension_sources(self, account_id: int) -> dict[str, float]: ...
    def suspended_until(self, account_id: int, at: float) -> float | None: ...


@dataclasses.dataclass(frozen=True)
class RiskRequest:
    kind: Literal["payment", "refund"]
    account_id: int
    amount: Decimal
    device_id: str | None
    ip: str | None
    at: datetime


@dataclasses.dataclass(frozen=True)
class FiredRule:
    rule_id: str  # the rule's code, stable across versions (e.g. PAY4-DEVICE)
    kind: str
    action: str
    inputs: dict[str, Any]  # what the rule counted: key, count, threshold, window...

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Outcome:
    action: Action
    fired: list[FiredRule]
    suspend_seconds: float  # how long a freeze/review suspends online functions (0: none)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def _inputs(rule: Rule, key: str, value: str | int, count: int, at: float) -> dict[str, Any]:
    return {
        key: value,
        "count": count,
        "comparison": "more than" if rule.kind in STRICTLY_MORE else "at least",
        "threshold": rule.threshold,
        "window_minutes": rule.window_minutes,
        "since": _iso(at - rule.window_minutes * 60),
    }


def measure(hist: Counts, rule: Rule, req: RiskRequest, at: float) -> dict[str, Any] | None:
    """The inputs of ``rule`` for ``req`` if it applies; the current request counts itself."""
    window = rule.window_minutes * 60.0
    if req.kind == "payment":
        if rule.kind == Kind.DEVICE_VELOCITY and req.device_id:
            n = hist.velocity("device", req.device_id, at, window) + 1
            return _inputs(rule, "device_id", req.device_id, n, at)
        if rule.kind == Kind.IP_VELOCITY and req.ip:
            n = hist.velocity("ip", req.ip, at, window) + 1
            return _inputs(rule, "ip", req.ip, n, at)
        if rule.kind == Kind.ACCOUNT_VELOCITY:
            n = hist.velocity("account", req.account_id, at, window) + 1
            return _inputs(rule, "account_id", req.account_id, n, at)
        if rule.kind == Kind.TEST_PAYMENTS and rule.amount is not None:
            small = [p for p in hist.paid_in(req.account_id, at, window) if p.amount <= rule.amount]
            n = len(small) + (1 if req.amount <= rule.amount else 0)
            out = _inputs(rule, "account_id", req.account_id, n, at)
            out["max_amount"] = str(rule.amount)
            out["payments"] = [p.payment_id for p in small][-10:]
            return out
    elif rule.kind == Kind.PAY_THEN_REFUND:
        paid = hist.paid_in(req.account_id, at, window)
        out = _inputs(rule, "account_id", req.account_id, len(paid), at)
        if paid:
            out["last_payment_id"] = paid[-1].payment_id
            out["last_payment_at"] = _iso(paid[-1].at)
            out["last_payment_amount"] = str(paid[-1].amount)
        return out
    return None


def decide(hist: Counts, rules: RuleSet, req: RiskRequest) -> Outcome:
    """Every enabled rule, then the most severe action (review > freeze > step-up > allow)."""
    at = req.at.timestamp()
    if req.kind == "payment":
        until = hist.suspended_until(req.account_id, at)
        if until is not None:
            held: dict[str, Any] = {
                "suspended_until": _iso(until),
                "sources": sorted(hist.suspension_sources(req.account_id)),
            }
            return Outcome("freeze", [FiredRule(SUSPENDED_RULE, "suspension", "freeze", held)], 0)
    fired: list[FiredRule] = []
    action: Action = "allow"
    suspend = 0.0
    for rule in rules.rules:
        if not rule.enabled:
            continue
        inputs = measure(hist, rule, req, at)
        if inputs is None or not rule.fires(int(inputs["count"])):
            continue
        fired.append(FiredRule(rule.code, rule.kind.value, rule.action.value, inputs))
        if SEVERITY[rule.action.value] > SEVERITY[action]:
            action = _ACTIONS[rule.action]
        if rule.action in (RuleAction.FREEZE, RuleAction.REVIEW):
            suspend = max(suspend, rule.suspend_minutes * 60.0)
    return Outcome(action, fired, suspend)
