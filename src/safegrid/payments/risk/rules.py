"""Risk rules as data (PAY-4, PAY-5): versioned rule sets, changed without code.

Version 0 is the SPEC default built into the code, in force until someone saves a version;
every save creates the next version (never an edit in place), is audited with before and
after, and appends a ``rules`` event so every process reloads its rules at its next
decision. Activating an old version copies it into a new one, so history stays linear and
the highest version is always the one in force.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import func, insert, select

from safegrid.alerts.recipients import root_unit_id
from safegrid.payments.risk.models import EventKind, RiskEvent, RiskRule, RiskRuleSet, RuleAction
from safegrid.payments.risk.models import RuleKind as Kind
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.platform.money import FEN
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

DAY: Final = 24 * 60
MAX_WINDOW_MINUTES: Final = 7 * DAY  # the in-memory history keeps the longest window
# The velocity rules fire when the count is MORE than the threshold (SPEC: "> 3", "> 10");
# the pattern rules fire when it is AT LEAST the threshold ("several" test payments).
STRICTLY_MORE: Final = frozenset({Kind.DEVICE_VELOCITY, Kind.IP_VELOCITY, Kind.ACCOUNT_VELOCITY})


@dataclasses.dataclass(frozen=True)
class Rule:
    code: str
    kind: Kind
    threshold: int
    window_minutes: int
    action: RuleAction
    suspend_minutes: int
    amount: Decimal | None = None  # test payments: at most this amount counts
    enabled: bool = True

    def fires(self, count: int) -> bool:
        return count > self.threshold if self.kind in STRICTLY_MORE else count >= self.threshold

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["kind"], out["action"] = self.kind.value, self.action.value
        out["amount"] = None if self.amount is None else str(self.amount)
        return out


@dataclasses.dataclass(frozen=True)
class RuleSet:
    version: int
    rules: tuple[Rule, ...]
    created_at: datetime | None = None
    created_by: str = "SPEC"
    note: str = ""

    @property
    def longest_window_minutes(self) -> int:
        return max((r.window_minutes for r in self.rules), default=0)


DEFAULT_RULES: Final = RuleSet(
    version=0,
    note="SPEC PAY-4 / PAY-5 defaults",
    rules=(
        Rule("PAY4-DEVICE", Kind.DEVICE_VELOCITY, 3, 30, RuleAction.STEP_UP, 60),
        Rule("PAY4-IP", Kind.IP_VELOCITY, 10, DAY, RuleAction.STEP_UP, 60),
        Rule("PAY5-TEST", Kind.TEST_PAYMENTS, 3, DAY, RuleAction.REVIEW, 48 * 60, Decimal("0.01")),
        Rule("PAY5-REFUND", Kind.PAY_THEN_REFUND, 1, DAY, RuleAction.REVIEW, 48 * 60),
    ),
)


def _field(i: int, name: str) -> str:
    return f"rules[{i}].{name}"


def validate(rules: Sequence[Rule]) -> None:
    """Refuse a rule set that could not work, naming the field (422)."""
    if not rules:
        raise ValidationProblem(
            "规则集不能为空 / a rule set needs at least one rule", field="rules"
        )
    seen: set[str] = set()
    for i, r in enumerate(rules):
        if not r.code.strip() or len(r.code) > 32 or r.code in seen:
            raise ValidationProblem(
                f"规则编号为空、过长或重复 / rule code empty, too long or repeated: {r.code!r}",
                field=_field(i, "code"),
            )
        seen.add(r.code)
        if not 0 <= r.threshold <= 100_000:
            raise ValidationProblem(
                "阈值须在 0–100000 / threshold must be 0–100000", field=_field(i, "threshold")
            )
        if not 1 <= r.window_minutes <= MAX_WINDOW_MINUTES:
            raise ValidationProblem(
                f"时间窗须在 1–{MAX_WINDOW_MINUTES} 分钟 / window must be 1–{MAX_WINDOW_MINUTES} min",
                field=_field(i, "window_minutes"),
            )
        if not 1 <= r.suspend_minutes <= 30 * DAY:
            raise ValidationProblem(
                "暂停时长须在 1 分钟–30 天 / suspension must be 1 minute to 30 days",
                field=_field(i, "suspend_minutes"),
            )
        if r.kind == Kind.TEST_PAYMENTS and (
            r.amount is None or r.amount <= 0 or r.amount != r.amount.quantize(FEN)
        ):
            raise ValidationProblem(
                "试探性支付金额须为正且精确到分 / test-payment amount must be > 0, in fen",
                field=_field(i, "amount"),
            )


def _load(uow: UnitOfWork, rule_set: RiskRuleSet) -> RuleSet:
    rows = uow.session.scalars(
        select(RiskRule).where(RiskRule.rule_set_id == rule_set.id).order_by(RiskRule.id)
    ).all()
    return RuleSet(
        version=rule_set.version,
        created_at=rule_set.created_at,
        created_by=rule_set.created_by,
        note=rule_set.note,
        rules=tuple(
            Rule(
                r.code,
                r.kind,
                r.threshold,
                r.window_minutes,
                r.action,
                r.suspend_minutes,
                r.amount,
                r.enabled,
            )
            for r in rows
        ),
    )


def active_rules(uow: UnitOfWork) -> RuleSet:
    """The rule set in force: the highest saved version, else the SPEC defaults."""
    latest = uow.session.scalars(
        select(RiskRuleSet).order_by(RiskRuleSet.version.desc()).limit(1)
    ).first()
    return DEFAULT_RULES if latest is None else _load(uow, latest)


def history(uow: UnitOfWork) -> list[RuleSet]:
    """Every version, newest first, ending with the built-in defaults (version 0)."""
    sets = uow.session.scalars(select(RiskRuleSet).order_by(RiskRuleSet.version.desc())).all()
    return [_load(uow, s) for s in sets] + [DEFAULT_RULES]


def version(uow: UnitOfWork, number: int) -> RuleSet:
    if number == 0:
        return DEFAULT_RULES
    row = uow.session.scalars(select(RiskRuleSet).where(RiskRuleSet.version == number)).first()
    if row is None:
        raise NotFoundError("规则版本不存在 / rule-set version not found")
    return _load(uow, row)


def do_save_rules(uow: UnitOfWork, rules: Sequence[Rule], *, note: str) -> RuleSet:
    """Save ``rules`` as the next version, which is in force from now on."""
    validate(rules)
    note = note.strip()
    if not note or len(note) > 200:
        raise ValidationProblem(
            "请说明修改原因（200 字以内）/ give a reason for the change (≤ 200 chars)", field="note"
        )
    with uow:
        before = active_rules(uow)
        number = int(uow.session.scalar(select(func.max(RiskRuleSet.version))) or 0) + 1
        now = clock.now()
        row = RiskRuleSet(version=number, created_at=now, created_by=uow.actor.username, note=note)
        uow.session.add(row)
        uow.session.flush()
        uow.session.add_all(
            RiskRule(rule_set_id=row.id, **{**r.as_dict(), "amount": r.amount}) for r in rules
        )
        # Every process reloads its rules when it sees this event: this one at commit,
        # the others when they tail the table.
        from safegrid.payments.risk import own_events  # it imports this module

        values = {
            "kind": EventKind.RULES,
            "at": now,
            "rule_set_version": number,
            "recorded_by": uow.actor.username,
            "org_unit_id": _root_unit(uow),
        }
        event_id = uow.session.execute(
            insert(RiskEvent)
            .returning(RiskEvent.id)
            .execution_options(**unscoped("rule sets are utility-wide risk events")),
            [values],
        ).scalar_one()
        own_events.track(uow.session, int(event_id), values)
        uow.audit(
            "risk.rules_saved",
            object_type="risk_rule_set",
            object_id=number,
            before={"version": before.version, "rules": [r.as_dict() for r in before.rules]},
            after={"version": number, "note": note, "rules": [r.as_dict() for r in rules]},
        )
        uow.commit()
    return RuleSet(number, tuple(rules), now, uow.actor.username, note)


def _root_unit(uow: UnitOfWork) -> int:
    unit = root_unit_id(uow.session)
    if unit is None:
        raise ValidationProblem("no organisation unit yet", field="org")
    return unit


def list_versions(uow: UnitOfWork) -> list[RuleSet]:
    """For the configuration page and the API: every version, the one in force first."""
    with uow:
        return history(uow)
