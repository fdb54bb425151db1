"""Self-service terminals of any vendor (HALL-5): registration with their own credentials,
heartbeats, faults (reported by the device or raised for missed heartbeats) and their
handling; every fault sends an SMS to the hall's duty phone through the notification
channel.

Device protocol (JSON over HTTP, ``Authorization: Terminal <code>:<secret>``):

- ``POST /api/hall/device/heartbeat`` ``{}`` → ``{"ok": true, "next_in_seconds": 60}``;
  more often than every ``MIN_HEARTBEAT_SECONDS`` is refused (429) and changes nothing.
- ``POST /api/hall/device/faults`` ``{"code": "PRINTER_JAM", "description": "…"}`` → the
  fault's id (201).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from datetime import timedelta
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from safegrid.hall import store
from safegrid.hall.halls import hall_with_profile
from safegrid.hall.models import HallTerminal, TerminalFault
from safegrid.notifications.channel import Message, OutboxNotifier
from safegrid.platform import clock
from safegrid.platform.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    SafeGridError,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor
from safegrid.security.scope import unscoped
from safegrid.terminals.keys import new_secret, secret_digest, secret_matches

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS: Final = 60
MIN_HEARTBEAT_SECONDS: Final = 10
SILENT_AFTER: Final = timedelta(seconds=3 * HEARTBEAT_SECONDS)
REFUSED = "终端凭证无效 / bad terminal credentials"


class TooFrequentError(SafeGridError):
    status_code = 429


class TerminalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    hall_id: int = Field(gt=0)
    serial_no: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    vendor: str = Field(min_length=2, max_length=64)
    model: str = Field(min_length=2, max_length=64)
    alert_phone: str = Field(pattern=r"^1[3-9]\d{9}$")


class TerminalCreated(BaseModel):
    id: int
    code: str
    secret: str  # shown once


class FaultReport(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Z0-9_]+$")
    description: str = Field(min_length=2, max_length=300)


class FaultUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: Literal["edit", "handle", "close"]
    note: str = Field(min_length=2, max_length=300)


class FaultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    terminal_id: int
    org_unit_id: int
    code: str
    description: str
    status: str
    handled_by: str | None
    note: str | None


@dataclasses.dataclass(frozen=True)
class Device:
    terminal_id: int
    code: str
    hall_id: int


def do_register(uow: UnitOfWork, data: TerminalCreate) -> TerminalCreated:
    secret = new_secret()
    with uow:
        hall_with_profile(uow, data.hall_id)
        t = HallTerminal(
            org_unit_id=data.hall_id,
            code=f"HT{secrets.token_hex(5).upper()}",
            serial_no=data.serial_no,
            vendor=data.vendor,
            model=data.model,
            secret_digest=secret_digest(secret),
            alert_phone=data.alert_phone,
            active=True,
            registered_at=clock.now(),
            registered_by=uow.actor.username,
        )
        uow.session.add(t)
        try:
            uow.session.flush()
        except IntegrityError:
            raise ConflictError(
                "序列号已登记 / serial number registered", field="serial_no"
            ) from None
        uow.audit(
            "hall.terminal_register",
            object_type="hall_terminal",
            object_id=t.id,
            org_unit_id=t.org_unit_id,
            after={"code": t.code, "serial_no": t.serial_no, "vendor": t.vendor},
        )
        uow.commit()
        return TerminalCreated(id=t.id, code=t.code, secret=secret)


def authenticate(uow: UnitOfWork, code: str, secret: str) -> Device:
    """The terminal a credential opens; a wrong one is logged and refused (401)."""
    with uow:
        t = uow.session.scalars(
            select(HallTerminal).where(HallTerminal.code == code, HallTerminal.active),
            execution_options=unscoped("a device credential is checked before any scope"),
        ).first()
        if t is None or not secret_matches(secret, t.secret_digest):
            log.warning("hall terminal: refused credential for code %r", code[:32])
            raise AuthenticationError(REFUSED)
        return Device(t.id, t.code, t.org_unit_id)


def device_actor(device: Device) -> Actor:
    return Actor.system(f"terminal:{device.code}", "api")


def do_heartbeat(uow: UnitOfWork, device: Device) -> dict[str, object]:
    with uow:
        now = clock.now()
        floor = now - timedelta(seconds=MIN_HEARTBEAT_SECONDS)
        beat = uow.session.execute(
            update(HallTerminal)
            .where(
                HallTerminal.id == device.terminal_id,
                (HallTerminal.last_heartbeat_at.is_(None))
                | (HallTerminal.last_heartbeat_at < floor),
            )
            .values(last_heartbeat_at=now, silent_since=None)
            .returning(HallTerminal.id),
            execution_options={"synchronize_session": False},
        ).first()
        if beat is None:
            log.warning("hall terminal %s: heartbeat flood refused", device.code)
            raise TooFrequentError(
                f"心跳过于频繁 / heartbeats at most every {MIN_HEARTBEAT_SECONDS} s"
            )
        uow.audit(
            "hall.terminal_heartbeat",
            object_type="hall_terminal",
            object_id=device.terminal_id,
            org_unit_id=device.hall_id,
        )
        uow.commit()
        return {"ok": True, "next_in_seconds": HEARTBEAT_SECONDS}


def _raise_fault(uow: UnitOfWork, t: HallTerminal, code: str, description: str) -> int:
    fault = TerminalFault(
        org_unit_id=t.org_unit_id,
        terminal_id=t.id,
        code=code,
        description=description,
        status="open",
        reported_at=clock.now(),
    )
    uow.session.add(fault)
    uow.session.flush()
    OutboxNotifier(uow).send(
        Message(
            channel="sms",
            recipient=t.alert_phone,
            topic="hall.terminal_fault",
            body=f"营业厅自助终端 {t.code} 故障：{description} / terminal fault {code}",
            org_unit_id=t.org_unit_id,
            subject_type="hall_terminal_fault",
            subject_id=str(fault.id),
        )
    )
    store.append(
        uow,
        [
            store.Fact(
                t.org_unit_id,
                "terminal_fault",
                {"terminal": t.code, "code": code, "fault_id": fault.id},
            )
        ],
    )
    uow.audit(
        "hall.terminal_fault",
        object_type="hall_terminal_fault",
        object_id=fault.id,
        org_unit_id=t.org_unit_id,
        after={"terminal": t.code, "code": code, "description": description},
    )
    return fault.id


def do_report_fault(uow: UnitOfWork, device: Device, data: FaultReport) -> int:
    with uow:
        t = uow.session.get_one(HallTerminal, device.terminal_id)
        fault_id = _raise_fault(uow, t, data.code, data.description)
        uow.commit()
        return fault_id


def do_flag_silent(uow: UnitOfWork) -> int:
    """Missed heartbeats: a fault and an SMS once per silence (job ``hall.terminal_watch``)."""
    with uow:
        now = clock.now()
        silent = uow.session.scalars(
            select(HallTerminal).where(
                HallTerminal.active,
                HallTerminal.silent_since.is_(None),
                HallTerminal.last_heartbeat_at < now - SILENT_AFTER,
            ),
            execution_options=unscoped("the heartbeat watch covers every hall's terminals"),
        ).all()
        for t in silent:
            t.silent_since = now
            _raise_fault(uow, t, "MISSED_HEARTBEATS", "终端心跳中断 / heartbeats missed")
        if silent:
            uow.commit()
        return len(silent)


def list_faults(uow: UnitOfWork, status: str | None = None) -> list[FaultOut]:
    with uow:
        q = select(TerminalFault).order_by(TerminalFault.id.desc()).limit(200)
        if status:
            q = q.where(TerminalFault.status == status)
        return [FaultOut.model_validate(f) for f in uow.session.scalars(q)]


_NEXT = {"edit": ("open", "handling"), "handle": ("open",), "close": ("open", "handling")}


def do_update_fault(uow: UnitOfWork, fault_id: int, data: FaultUpdate) -> FaultOut:
    """Edit the note, take the fault in hand, or close it; a closed fault stays closed."""
    with uow:
        f = uow.session.scalars(select(TerminalFault).where(TerminalFault.id == fault_id)).first()
        if f is None:
            raise NotFoundError("故障不存在 / fault not found")
        if f.status not in _NEXT[data.action]:
            raise ConflictError(f"故障已{f.status} / the fault is {f.status}", field="action")
        before = {"status": f.status, "note": f.note}
        f.note = data.note
        f.handled_by = uow.actor.username
        if data.action == "handle":
            f.status = "handling"
        elif data.action == "close":
            f.status, f.closed_at = "closed", clock.now()
        uow.session.flush()
        uow.audit(
            f"hall.fault_{data.action}",
            object_type="hall_terminal_fault",
            object_id=f.id,
            org_unit_id=f.org_unit_id,
            before=before,
            after={"status": f.status, "note": f.note},
        )
        uow.commit()
        return FaultOut.model_validate(f)
