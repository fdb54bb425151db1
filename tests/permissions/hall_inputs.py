"""Inside/outside objects and example bodies for the hall routes (HALL-1..9): hallA sits in
countyA (the callers' county), hallB in countyB."""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from safegrid.hall import queue, terminals
from safegrid.hall.catalogue import BusinessType
from safegrid.hall.models import Appointment, HallProfile
from safegrid.hall.schemas import TicketTake
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from tests.fixtures.hall import Halls
from tests.fixtures.world import Staff, World

if TYPE_CHECKING:  # inputs.py imports this module
    from tests.permissions.inputs import Ctx

HALLS = ("hallA", "hallB")
_numbers = itertools.count()


def _opened(w: World, key: str) -> int:
    with w.platform.engine.connect() as c:
        known = c.scalar(select(HallProfile.id).where(HallProfile.org_unit_id == w.units[key]))
    return w.units[key] if known else Halls(w).open(key)


def _hall(w: World, s: Staff) -> tuple[int, int]:
    a, b = (_opened(w, k) for k in HALLS)
    return a, b


def _window_in(w: World, key: str, skills: str = "payment,consult") -> int:
    _opened(w, key)
    return Halls(w).window(key, 100 + next(_numbers) % 899, skills)


def _window(w: World, s: Staff) -> tuple[int, int]:
    a, b = (_window_in(w, k) for k in HALLS)
    return a, b


def _called_ticket(w: World, key: str) -> int:
    """A ticket being served at a window of its own (the routes act on it)."""
    # Complaints only: a ticket the routes transferred to another line is not called here.
    window = _window_in(w, key, "complaint")
    ticket = queue.do_take_ticket(
        w.platform.uow(w.system()), w.units[key], TicketTake(business_type=BusinessType.COMPLAINT)
    )
    queue.do_call_next(w.platform.uow(w.system()), window)
    return ticket.id


def _ticket(w: World, s: Staff) -> tuple[int, int]:
    a, b = (_called_ticket(w, k) for k in HALLS)
    return a, b


def _appointment_in(w: World, key: str) -> int:
    hall_id = _opened(w, key)
    with w.platform.uow(w.system()) as uow:
        appt = Appointment(
            org_unit_id=hall_id,
            business_type=BusinessType.PAYMENT,
            slot_start=clock.now() + timedelta(minutes=10),
            contact_name="预约客户",
            booked_at=clock.now(),
        )
        uow.session.add(appt)
        uow.session.flush()
        uow.audit("hall.appointment_book", object_type="hall_appointment", object_id=appt.id)
        uow.commit()
        return appt.id


def _appointment(w: World, s: Staff) -> tuple[int, int]:
    a, b = (_appointment_in(w, k) for k in HALLS)
    return a, b


def _fault_in(w: World, key: str) -> int:
    hall_id = _opened(w, key)
    made = terminals.do_register(
        w.platform.uow(w.system()),
        terminals.TerminalCreate(
            hall_id=hall_id,
            serial_no=f"PERM-{secrets.token_hex(5)}",
            vendor="新大陆",
            model="NL-8",
            alert_phone="13900001111",
        ),
    )
    device = terminals.Device(made.id, made.code, hall_id)
    report = terminals.FaultReport(code="CARD_READER", description="读卡器无响应")
    return terminals.do_report_fault(w.platform.uow(w.system()), device, report)


def _fault(w: World, s: Staff) -> tuple[int, int]:
    a, b = (_fault_in(w, k) for k in HALLS)
    return a, b


def _tomorrow_ten() -> str:
    day = clock.business_day() + timedelta(days=1)
    return datetime.combine(day, time(10), BUSINESS_TZ).isoformat()


def _hall_json(c: Ctx) -> dict[str, Any]:
    return {
        "json": {
            "parent_id": c.world.units["countyA"],
            "code": f"hall-{c.unique()}-{secrets.token_hex(2)}",
            "name": "新营业厅",
            "name_en": "New hall",
            "address": "浙江省杭州市富阳区银泉路2号",
        }
    }


HALL_PARAMS = {
    "hall_id": _hall,
    "window_id": _window,
    "ticket_id": _ticket,
    "appointment_id": _appointment,
    "fault_id": _fault,
}
HALL_BODIES = {
    "POST /api/hall/halls": _hall_json,
    "PUT /api/hall/halls/{hall_id}": lambda c: {
        "json": {
            "address": "浙江省杭州市富阳区富春街道桂花路1号",
            "opens_at": "08:30",
            "closes_at": "17:30",
            "queue_threshold": 30,
            "wait_limit_minutes": 20,
        }
    },
    "POST /api/hall/halls/{hall_id}/windows": lambda c: {
        "json": {"number": 200 + c.unique() % 700, "name": "新窗口", "skills": "payment"}
    },
    "PUT /api/hall/windows/{window_id}": lambda c: {
        "json": {"name": "综合窗口", "skills": "payment,consult", "status": "open"}
    },
    "POST /api/hall/halls/{hall_id}/tickets": lambda c: {"json": {"business_type": "payment"}},
    "POST /api/hall/windows/{window_id}/call-next": lambda c: {},
    "POST /api/hall/tickets/{ticket_id}/step": lambda c: {"json": {"step": "complete"}},
    "POST /api/hall/tickets/{ticket_id}/transfer": lambda c: {"json": {"business_type": "payment"}},
    "POST /api/hall/tickets/{ticket_id}/rating": lambda c: {"json": {"score": 5}},
    "POST /api/hall/halls/{hall_id}/appointments": lambda c: {
        "json": {
            "business_type": "payment",
            "slot_start": _tomorrow_ten(),
            "contact_name": "王先生",
        }
    },
    "POST /api/hall/appointments/{appointment_id}/check-in": lambda c: {},
    "POST /api/hall/feed/subscribers": lambda c: {
        "json": {
            "name": f"centre-{c.unique()}-{secrets.token_hex(2)}",
            "org_unit_id": c.world.units["hallA"],
        }
    },
    "POST /api/hall/terminals": lambda c: {
        "json": {
            "hall_id": _opened(c.world, "hallA"),
            "serial_no": f"PERM-{secrets.token_hex(5)}",
            "vendor": "新大陆",
            "model": "NL-8",
            "alert_phone": "13900001111",
        }
    },
    "PUT /api/hall/faults/{fault_id}": lambda c: {"json": {"action": "handle", "note": "已派人"}},
    # Console forms.
    "POST /hall/windows/{window_id}/call-next": lambda c: {"data": {}},
    "POST /hall/tickets/{ticket_id}/step": lambda c: {"data": {"step": "recall"}},
    "POST /hall/tickets/{ticket_id}/rating": lambda c: {"data": {"score": "5"}},
}
HALL_ALLOWED_BUSINESS = {
    # The example ticket is at a window, not yet served: a rating is refused (409), which
    # proves the guard let the caller through.
    "POST /api/hall/tickets/{ticket_id}/rating": {409},
    "POST /hall/tickets/{ticket_id}/rating": {409},
}
