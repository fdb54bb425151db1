"""The server's replay of an offline hall node's queue (OPS-6, hall side; ADR 0035).

Order of the checks: the node is known and active; the caller is a cashier of the node's
hall; the batch opens under the node's key (a forged or altered batch fails the tag: 422,
audited); the send time is not in the future; then the batch key is claimed (a replayed
batch: 409, audited, nothing applied). Each entry then goes through the counter's own
``do_record_payment`` as its cashier, with the offline receipt number and time, and its
key as the counter's ``request_key`` — so an entry is recorded at most once whatever
happens to the answers, and a resent entry answers ``replayed`` with its first receipt.
The checker's offline count becomes the counter's ``do_confirm`` as the checker.

Money already taken is never dropped: a bill paid online meanwhile leaves the money as
credit on the account (the ledger allocates nothing to a paid bill) and opens a case; an
entry the server refuses (an unknown account, a cashier who is not the hall's) opens a
case naming its receipt and amount. Cases are keyed by the entry: one per entry, ever.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from safegrid.bootstrap import Platform
from safegrid.org.models import OrgUnit
from safegrid.payments.counter import halls
from safegrid.payments.counter import services as counter
from safegrid.payments.counter.models import CounterMethod, CounterReceipt, ReceiptStatus
from safegrid.payments.counter.schemas import ConfirmIn, PaymentIn, ReceiptOut
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SafeGridError,
    ValidationProblem,
)
from safegrid.secops.offline import sealing
from safegrid.secops.offline.models import OfflineBatch, OfflineCase, OfflineNode
from safegrid.security import authn, sm4
from safegrid.security.actor import Actor
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Perm
from safegrid.security.scope import unscoped

log = logging.getLogger("safegrid.secops.offline")
SKEW = timedelta(minutes=2)
REVOKED = (
    "该离线节点已被吊销或尚未配对，批次被拒收 / this offline node is revoked or not paired: "
    "its batches are refused"
)
FORGED = "离线批次校验失败（伪造或被篡改） / the offline batch failed its seal (forged or altered)"


class BatchIn(BaseModel):
    node: str = Field(min_length=1, max_length=32)
    batch_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    sent_at: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
    sealed: str = Field(min_length=1, max_length=8_000_000)

    @field_validator("sent_at")
    @classmethod
    def _a_real_time(cls, value: str) -> str:
        datetime.fromisoformat(value.replace("Z", "+00:00"))  # ValueError → 422 naming it
        return value


class Entry(BaseModel):
    key: str = Field(min_length=8, max_length=48, pattern=r"^[A-Za-z0-9_-]+$")
    receipt_no: str = Field(max_length=64)
    account_no: str = Field(min_length=1, max_length=20)
    amount: Decimal
    method: CounterMethod
    bill_id: int | None = Field(default=None, gt=0)
    card_voucher: str | None = Field(default=None, max_length=64)
    cashier: str = Field(min_length=1, max_length=64)
    checker: str = Field(min_length=1, max_length=64)
    taken_at: datetime


class EntryResult(BaseModel):
    key: str
    receipt_no: str
    status: Literal["applied", "replayed", "conflict", "refused"]
    message: str | None = None


class SyncOut(BaseModel):
    batch_key: str
    results: list[EntryResult]


_ENTRIES = TypeAdapter(list[Entry])


def _audit_refusal(platform: Platform, actor: Actor, action: str, batch: BatchIn, why: str) -> None:
    log.warning(
        "offline sync %s by %s: node %r batch %r",
        action,
        actor.username,
        batch.node,
        batch.batch_key,
    )
    with platform.uow(actor) as uow:
        uow.audit(
            action,
            object_type="offline_sync_batch",
            after={"node": batch.node, "batch_key": batch.batch_key},
            note=why[:300],
        )
        uow.commit()


def _opened(platform: Platform, actor: Actor, batch: BatchIn) -> tuple[OfflineNode, list[Entry]]:
    with platform.uow(actor, readonly=True) as uow:
        node = uow.session.scalars(
            select(OfflineNode).where(OfflineNode.code == batch.node),
            execution_options=unscoped("a node is identified before its hall is known"),
        ).first()
        if node is None:
            raise NotFoundError("离线节点不存在 / offline node unknown", field="node")
        uow.session.expunge(node)
        hall = halls.hall(uow, node.org_unit_id)
    if not actor.can(Perm.COUNTER_PAY):
        raise PermissionDeniedError("只有收费员可以同步离线收款 / only a cashier syncs")
    halls.require_works_at(actor, hall)
    if not node.active or node.claimed_at is None:
        _audit_refusal(platform, actor, "offline.sync_revoked", batch, REVOKED)
        raise PermissionDeniedError(REVOKED)
    try:
        plain = sealing.open_batch(
            sealing.decode_key(node.seal_key),
            batch.node,
            batch.batch_key,
            batch.sent_at,
            batch.sealed,
        )
    except (sm4.CryptoError, ValueError):
        _audit_refusal(platform, actor, "offline.sync_forged", batch, FORGED)
        raise ValidationProblem(FORGED, field="sealed") from None
    sent = datetime.fromisoformat(batch.sent_at.replace("Z", "+00:00"))
    if sent > clock.now() + SKEW:
        raise ValidationProblem("发送时间在未来 / the send time is in the future", field="sent_at")
    try:
        entries = _ENTRIES.validate_python(json.loads(plain)["entries"])
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        raise ValidationProblem(
            f"离线批次内容无效 / the batch's entries are invalid: {exc}"[:300], field="sealed"
        ) from None
    return node, entries


def _claim(platform: Platform, actor: Actor, node: OfflineNode, batch: BatchIn, n: int) -> None:
    try:
        with platform.uow(actor) as uow:
            uow.session.add(
                OfflineBatch(
                    batch_key=batch.batch_key,
                    node_id=node.id,
                    entries=n,
                    synced_by=actor.username,
                    received_at=clock.now(),
                    org_unit_id=node.org_unit_id,
                )
            )
            uow.session.flush()
            uow.audit(
                "offline.sync_batch",
                object_type="offline_sync_batch",
                org_unit_id=node.org_unit_id,
                after={"node": node.code, "batch_key": batch.batch_key, "entries": n},
            )
            uow.commit()
    except IntegrityError:
        why = (
            "该离线批次已提交过 / this offline batch was already received; the node resends "
            "unanswered entries under a new batch key"
        )
        _audit_refusal(platform, actor, "offline.sync_replay_refused", batch, why)
        raise ConflictError(why, field="batch_key") from None


def _staff(platform: Platform, username: str, ip: str | None) -> Actor:
    with platform.uow(Actor.system("offline-sync", "api"), readonly=True) as uow:
        row = uow.session.execute(
            select(StaffAccount, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == StaffAccount.org_unit_id)
            .where(StaffAccount.username == username),
            execution_options=unscoped("the offline entry names its signer by username"),
        ).first()
    if row is None or row[0].status != AccountStatus.ACTIVE:
        raise PermissionDeniedError(
            f"签字人 {username} 不是在职员工 / signer {username} is not an active member of staff"
        )
    return authn.actor_for(row[0], row[1], "api", ip)


def _existing(platform: Platform, actor: Actor, key: str) -> tuple[Any, Any]:
    with platform.uow(actor, readonly=True) as uow:
        skip = unscoped("entry keys are unique utility-wide")
        receipt = uow.session.scalars(
            select(CounterReceipt).where(CounterReceipt.request_key == key), execution_options=skip
        ).first()
        case = uow.session.scalars(
            select(OfflineCase).where(OfflineCase.entry_key == key), execution_options=skip
        ).first()
        return (
            None if receipt is None else ReceiptOut.model_validate(receipt),
            None if case is None else (case.kind, case.message),
        )


def _open_case(
    platform: Platform,
    actor: Actor,
    hall_id: int,
    e: Entry,
    kind: str,
    why: str,
    receipt: ReceiptOut | None = None,
) -> None:
    try:
        with platform.uow(actor) as uow:
            case = OfflineCase(
                entry_key=e.key,
                kind=kind,
                receipt_no=e.receipt_no,
                receipt_id=None if receipt is None else receipt.id,
                account_no=e.account_no,
                amount=e.amount,
                credited=Decimal(0) if receipt is None else receipt.credited,
                message=why[:400],
                status="open",
                opened_at=clock.now(),
                org_unit_id=hall_id,
            )
            uow.session.add(case)
            uow.session.flush()
            uow.audit(
                f"offline.case_{kind}",
                object_type="offline_case",
                object_id=case.id,
                org_unit_id=hall_id,
                after={
                    "receipt_no": e.receipt_no,
                    "amount": str(e.amount),
                    "account_no": e.account_no,
                },
                note=why[:300],
            )
            uow.commit()
    except IntegrityError:
        pass  # this entry's case exists already: one case per entry


def _paid_meanwhile(e: Entry, receipt: ReceiptOut) -> str | None:
    if e.bill_id is None or receipt.credited <= 0:
        return None
    return (
        f"账单 {e.bill_id} 已在离线期间缴清，{receipt.credited} 元转为预存 / bill {e.bill_id} "
        f"was paid meanwhile; {receipt.credited} yuan became credit on the account"
    )


def _apply(platform: Platform, actor: Actor, node: OfflineNode, e: Entry) -> EntryResult:
    receipt, case = _existing(platform, actor, e.key)
    if receipt is None and case is not None:
        return EntryResult(key=e.key, receipt_no=e.receipt_no, status="refused", message=case[1])
    replayed = receipt is not None
    try:
        cashier = _staff(platform, e.cashier, actor.ip)
        checker = _staff(platform, e.checker, actor.ip)
        if e.cashier == e.checker or not checker.can(Perm.COUNTER_CHECK):
            raise PermissionDeniedError(counter.CHECKER_IS_CASHIER)
        if receipt is None:
            data = PaymentIn(
                account_no=e.account_no,
                amount=e.amount,
                method=e.method,
                request_key=e.key,
                bill_id=e.bill_id,
                card_voucher=e.card_voucher,
                hall_id=node.org_unit_id,
            )
            taking = counter.OfflineTaking(e.receipt_no, e.taken_at)
            receipt = counter.do_record_payment(platform.uow(cashier), data, taking)
        if receipt.receipt_no != e.receipt_no:
            raise ConflictError(
                "同一幂等键的收据号不同 / this entry key was used for another receipt", field="key"
            )
        if receipt.status == ReceiptStatus.RECORDED:
            receipt = counter.do_confirm(
                platform.uow(checker), receipt.id, ConfirmIn(counted=e.amount)
            )
    except IntegrityError:  # another entry holds this receipt number
        why = "收据号已被另一笔收款使用 / the receipt number belongs to another payment"
        _open_case(platform, actor, node.org_unit_id, e, "refused", why)
        return EntryResult(key=e.key, receipt_no=e.receipt_no, status="refused", message=why)
    except SafeGridError as exc:
        if receipt is not None:  # recorded; only the checker's signature is missing
            return EntryResult(
                key=e.key, receipt_no=e.receipt_no, status="applied", message=exc.message
            )
        _open_case(platform, actor, node.org_unit_id, e, "refused", exc.message)
        return EntryResult(
            key=e.key, receipt_no=e.receipt_no, status="refused", message=exc.message
        )
    conflict = _paid_meanwhile(e, receipt)
    if conflict is not None:
        _open_case(platform, actor, node.org_unit_id, e, "paid_meanwhile", conflict, receipt)
        return EntryResult(key=e.key, receipt_no=e.receipt_no, status="conflict", message=conflict)
    return EntryResult(
        key=e.key, receipt_no=e.receipt_no, status="replayed" if replayed else "applied"
    )


def do_sync_offline(platform: Platform, actor: Actor, batch: BatchIn) -> SyncOut:
    """Replay a node's sealed queue in order; every entry gets its own outcome."""
    node, entries = _opened(platform, actor, batch)
    _claim(platform, actor, node, batch, len(entries))
    results = [_apply(platform, actor, node, e) for e in entries]
    counts = {
        s: sum(r.status == s for r in results)
        for s in ("applied", "replayed", "conflict", "refused")
    }
    with platform.uow(actor) as uow:
        uow.session.execute(
            update(OfflineBatch)
            .where(OfflineBatch.batch_key == batch.batch_key)
            .values(
                applied=counts["applied"],
                replayed=counts["replayed"],
                conflicts=counts["conflict"],
                refused=counts["refused"],
            ),
            execution_options=unscoped("the batch row this request claimed"),
        )
        uow.audit(
            "offline.sync_done",
            object_type="offline_sync_batch",
            org_unit_id=node.org_unit_id,
            after={"batch_key": batch.batch_key, **counts},
        )
        uow.commit()
    return SyncOut(batch_key=batch.batch_key, results=results)
