"""Showing one sensitive value unmasked (DATA-4).

Only with an active grant of the caller covering that customer and field; every unmasked
view writes an access-log row and an audit entry in the same transaction. A refusal is
audited too (committed before the 403 is raised) and never carries the value.
"""

from __future__ import annotations

from datetime import datetime

from safegrid.datause import rate_limit
from safegrid.datause.events import SensitiveValueRevealed
from safegrid.datause.fields import revealable, value_of
from safegrid.datause.models import AccessLog, DataUseGrant, RequestKind
from safegrid.datause.repository import DataUseRepository
from safegrid.datause.schemas import RevealIn, RevealOut
from safegrid.datause.settings import get_datause_settings
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError, PermissionDeniedError, ValidationProblem
from safegrid.platform.uow import UnitOfWork

CUSTOMER_NOT_FOUND = "客户不存在 / customer not found"


class RevealRefusedError(PermissionDeniedError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _fmt(at: datetime) -> str:
    return at.astimezone(clock.BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


def choose_grant(
    grants: list[DataUseGrant],
    customer_id: int,
    path: str,
    field: str,
    at: datetime,
) -> DataUseGrant | RevealRefusedError:
    """The caller's grant to use, or why there is none. ``grants`` are the caller's own."""
    covering = [g for g in grants if g.covers_customer(customer_id, path)]
    if not covering:
        return RevealRefusedError(
            "no_grant",
            "没有覆盖该客户的数据使用授权 / no data-use grant of yours covers this customer",
        )
    with_field = [g for g in covering if field in g.fields]
    if not with_field:
        return RevealRefusedError(
            "field_not_covered",
            f"授权不包含字段 {field} / your grant does not cover the field {field}",
        )
    revoked = [g.revoked_at for g in with_field if g.revoked_at is not None]
    with_field = [g for g in with_field if g.revoked_at is None]
    if not with_field:
        when = _fmt(max(revoked))
        return RevealRefusedError(
            "revoked", f"授权已于 {when} 撤销 / your grant was revoked at {when}"
        )
    active = [g for g in with_field if g.active_at(at)]
    if active:
        return max(active, key=lambda g: g.valid_to)
    expired = [g for g in with_field if g.valid_to <= at]
    if expired:
        last = max(g.valid_to for g in expired)
        return RevealRefusedError(
            "expired", f"授权已于 {_fmt(last)} 过期 / your grant expired at {_fmt(last)}"
        )
    first = min(g.valid_from for g in with_field)
    return RevealRefusedError(
        "not_yet_valid",
        f"授权自 {_fmt(first)} 起生效 / your grant is not valid before {_fmt(first)}",
    )


def do_reveal(uow: UnitOfWork, customer_id: int, data: RevealIn) -> RevealOut:
    if data.field not in revealable():
        raise ValidationProblem(
            f"字段不可显示 / field must be one of {sorted(revealable())}", field="field"
        )
    actor = uow.actor
    now = clock.now()
    with uow:
        repo = DataUseRepository(uow)
        found = repo.customer_with_path(customer_id)
        if found is None:  # outside the caller's area looks exactly like absent
            raise NotFoundError(CUSTOMER_NOT_FOUND)
        customer, path = found
        own = repo.grants_of(actor.account_id or -1, RequestKind.VIEW)
        chosen: DataUseGrant | RevealRefusedError
        if data.grant_id is not None:
            named = repo.grant_anywhere(data.grant_id)
            if named is None:
                chosen = RevealRefusedError("no_grant", "授权不存在 / no such grant")
            elif named.grantee_id != actor.account_id:
                chosen = RevealRefusedError(
                    "foreign", "该授权属于他人，不能使用 / this grant was given to someone else"
                )
            elif named.kind != RequestKind.VIEW:
                chosen = RevealRefusedError(
                    "wrong_kind", "导出授权不能用于查看 / an export grant does not allow viewing"
                )
            else:
                chosen = choose_grant([named], customer.id, path, data.field, now)
        else:
            chosen = choose_grant(own, customer.id, path, data.field, now)
        if isinstance(chosen, RevealRefusedError):
            uow.audit(
                "datause.reveal_refused",
                object_type="customer",
                object_id=customer.id,
                org_unit_id=customer.org_unit_id,
                after={"field": data.field, "reason": chosen.reason, "grant_id": data.grant_id},
                note=chosen.message,
            )
            uow.commit()
            raise chosen
        try:
            rate_limit.take(uow, "reveal", get_datause_settings().reveals_per_hour)
        except rate_limit.RateLimitedError as exc:
            uow.audit(
                "datause.rate_limited",
                object_type="customer",
                object_id=customer.id,
                org_unit_id=customer.org_unit_id,
                after={"action": "reveal", "retry_after": exc.retry_after},
            )
            uow.commit()
            raise
        log = AccessLog(
            at=now,
            staff_id=actor.account_id,
            staff_name=actor.username,
            channel=actor.channel,
            ip=actor.ip,
            customer_id=customer.id,
            field=data.field,
            grant_id=chosen.id,
            org_unit_id=customer.org_unit_id,
        )
        uow.session.add(log)
        uow.session.flush()
        uow.audit(
            "datause.reveal",
            object_type="customer",
            object_id=customer.id,
            org_unit_id=customer.org_unit_id,
            after={"field": data.field, "grant_id": chosen.id, "access_log_id": log.id},
        )
        uow.emit(
            SensitiveValueRevealed(
                access_log_id=log.id,
                customer_id=customer.id,
                field=data.field,
                staff_id=actor.account_id,
            )
        )
        value = value_of(customer, data.field)
        out = RevealOut(
            customer_id=customer.id,
            field=data.field,
            value=None if value is None else str(value),
            grant_id=chosen.id,
            access_log_id=log.id,
            grant_valid_to=chosen.valid_to,
        )
        uow.commit()
        return out


def revealable_fields(uow: UnitOfWork, customer_id: int) -> list[str]:
    """Fields of this customer an active grant of the caller covers now (console buttons)."""
    now = clock.now()
    with uow:
        repo = DataUseRepository(uow)
        found = repo.customer_with_path(customer_id)
        if found is None:
            return []
        customer, path = found
        fields: set[str] = set()
        for g in repo.grants_of(uow.actor.account_id or -1, RequestKind.VIEW):
            if g.active_at(now) and g.covers_customer(customer.id, path):
                fields.update(g.fields)
        return sorted(f for f in fields if f in revealable())
