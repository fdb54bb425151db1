"""Appointments for a time slot (HALL-2): booked ahead, checked in at the hall on the day,
which takes a ticket ahead of walk-ins (priority ``appointment``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update

from safegrid.customers.models import Customer
from safegrid.hall.catalogue import BusinessType, Channel, Priority
from safegrid.hall.halls import hall_with_profile
from safegrid.hall.models import Appointment
from safegrid.hall.queue import take
from safegrid.hall.schemas import AppointmentCreate, TicketOut, TicketTake
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork

# Check in from this long before the slot until this long after its start.
EARLY = timedelta(minutes=60)
LATE = timedelta(minutes=30)


class AppointmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_unit_id: int
    business_type: BusinessType
    slot_start: datetime
    contact_name: str
    ticket_id: int | None


def do_book(uow: UnitOfWork, hall_id: int, data: AppointmentCreate) -> AppointmentOut:
    with uow:
        _unit, profile = hall_with_profile(uow, hall_id)
        local = data.slot_start.astimezone(BUSINESS_TZ)
        if data.slot_start <= clock.now():
            raise ValidationProblem("预约时段已过 / the slot is in the past", field="slot_start")
        if not profile.opens_at <= local.time() < profile.closes_at:
            raise ValidationProblem(
                "预约时段不在营业时间内 / the slot is outside opening hours", field="slot_start"
            )
        if data.customer_id is not None and uow.session.get(Customer, data.customer_id) is None:
            raise ValidationProblem("客户不存在 / unknown customer", field="customer_id")
        appt = Appointment(
            org_unit_id=hall_id,
            business_type=data.business_type,
            slot_start=data.slot_start,
            customer_id=data.customer_id,
            contact_name=data.contact_name,
            booked_at=clock.now(),
        )
        uow.session.add(appt)
        uow.session.flush()
        uow.audit(
            "hall.appointment_book",
            object_type="hall_appointment",
            object_id=appt.id,
            org_unit_id=hall_id,
            after={"business_type": appt.business_type.value, "slot": local.isoformat()},
        )
        uow.commit()
        return AppointmentOut.model_validate(appt)


def do_check_in(uow: UnitOfWork, appointment_id: int) -> TicketOut:
    """The customer arrived: an appointment ticket, once, within the slot's window."""
    with uow:
        appt = uow.session.scalars(
            select(Appointment).where(Appointment.id == appointment_id)
        ).first()
        if appt is None:
            raise NotFoundError("预约不存在 / appointment not found")
        now = clock.now()
        if appt.cancelled_at is not None or appt.ticket_id is not None:
            raise ConflictError("该预约已签到或已取消 / already checked in or cancelled")
        if not appt.slot_start - EARLY <= now <= appt.slot_start + LATE:
            raise ConflictError(
                "不在预约签到时间内 / outside the appointment's check-in time", field="slot_start"
            )
        out = take(
            uow,
            appt.org_unit_id,
            TicketTake(
                business_type=appt.business_type,
                channel=Channel.COUNTER,
                priority=Priority.APPOINTMENT,
                customer_id=appt.customer_id,
            ),
        )
        linked = uow.session.execute(
            update(Appointment)
            .where(Appointment.id == appt.id, Appointment.ticket_id.is_(None))
            .values(ticket_id=out.id)
            .returning(Appointment.id),
            execution_options={"synchronize_session": False},
        ).first()
        if linked is None:
            raise ConflictError("该预约已签到 / already checked in")
        uow.audit(
            "hall.appointment_check_in",
            object_type="hall_appointment",
            object_id=appt.id,
            org_unit_id=appt.org_unit_id,
            after={"ticket": out.number},
        )
        uow.commit()
        return out
