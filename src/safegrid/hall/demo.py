"""Demo halls (HALL-1..5): every demo hall gets a profile, windows, two self-service
terminals (one with a fault on record) and a month of queue history up to yesterday.

The history is a first-come-first-served simulation per hall and day, so the waits, the
service times and the Erlang-C staffing page agree with each other: arrivals follow the
hall's day (a morning peak from 9:00, a smaller one after lunch) and the month-end
payment rush (more payment customers from the 25th); each arrival goes to the window of
its business that frees first. Written set-based in the demo's core transaction (~20k
tickets, about a second), the event store and the service-time averages with it.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from safegrid.hall import store
from safegrid.hall.catalogue import BusinessType, Channel, TicketStatus, WindowStatus, letter
from safegrid.hall.models import (
    HallEvent,
    HallProfile,
    HallTerminal,
    HallWindow,
    ServiceStat,
    TerminalFault,
    Ticket,
)
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.terminals import keys

DAYS = 30
OPENS, CLOSES = time(8, 30), time(17, 30)
# Windows: (number, skills)
WINDOWS = (
    (1, "payment"),
    (2, "payment,consult"),
    (3, "new_connection,capacity,transfer"),
    (4, "consult,complaint,transfer"),
)
# Share of customers per business, and mean service minutes.
MIX = {
    BusinessType.PAYMENT: (0.50, 3.0),
    BusinessType.CONSULT: (0.18, 5.0),
    BusinessType.NEW_CONNECTION: (0.10, 14.0),
    BusinessType.CAPACITY: (0.06, 12.0),
    BusinessType.TRANSFER: (0.08, 9.0),
    BusinessType.COMPLAINT: (0.08, 8.0),
}
# Arrivals per hour by Beijing hour (a weekday of a busy county hall).
HOURLY = {8: 6, 9: 22, 10: 20, 11: 14, 12: 6, 13: 10, 14: 16, 15: 14, 16: 10, 17: 4}


def _arrivals(rng: random.Random, day: date) -> list[tuple[datetime, BusinessType]]:
    weekend = day.weekday() >= 5
    month_end = day.day >= 25
    out = []
    for hour, rate in HOURLY.items():
        start = datetime.combine(day, time(hour, 30 if hour == 8 else 0), BUSINESS_TZ)
        minutes = 30 if hour in (8, 17) else 60
        lam = rate * (0.6 if weekend else 1.0) * (1.3 if month_end else 1.0) * minutes / 60
        for _ in range(_poisson(rng, lam)):
            at = start + timedelta(seconds=rng.uniform(0, minutes * 60))
            out.append((at, _kind(rng, month_end)))
    return sorted(out, key=lambda a: a[0])


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method is fine for the small rates of one hour of one hall.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _kind(rng: random.Random, month_end: bool) -> BusinessType:
    weights = [
        w * (2.0 if k == BusinessType.PAYMENT and month_end else 1.0) for k, (w, _) in MIX.items()
    ]
    return rng.choices(list(MIX), weights)[0]


def seed_halls(
    session: Session, rng: random.Random, now: datetime, actor: str, last_day: date
) -> int:
    """Profiles, windows, terminals and the queue history of every hall; returns tickets."""
    halls = session.scalars(
        select(OrgUnit).where(OrgUnit.kind == UnitKind.HALL).order_by(OrgUnit.id)
    ).all()
    tickets = 0
    for hall in halls:
        session.add(
            HallProfile(
                org_unit_id=hall.id,
                address=f"{hall.name}（营业大厅）",
                opens_at=OPENS,
                closes_at=CLOSES,
                queue_threshold=15,
                wait_limit_minutes=30,
                updated_at=now,
            )
        )
        windows = [
            HallWindow(
                org_unit_id=hall.id, number=n, name=f"{n}号窗口", skills=s, status=WindowStatus.OPEN
            )
            for n, s in WINDOWS
        ]
        session.add_all(windows)
        session.flush()
        _terminals(session, hall, now, actor)
        tickets += _history(session, rng, hall.id, windows, last_day, actor)
    return tickets


def _terminals(session: Session, hall: OrgUnit, now: datetime, actor: str) -> None:
    made = []
    for k, (vendor, model) in enumerate((("新大陆", "NL-K8"), ("科大讯飞", "KX-700"))):
        t = HallTerminal(
            org_unit_id=hall.id,
            code=f"HT-DEMO{hall.id:03d}{k}",
            serial_no=f"{hall.code.upper()}-K{k + 1}",
            vendor=vendor,
            model=model,
            secret_digest=keys.secret_digest(keys.new_secret()),
            alert_phone="13800000000",
            active=True,
            registered_at=now - timedelta(days=DAYS),
            registered_by=actor,
            last_heartbeat_at=now - timedelta(seconds=30),
        )
        session.add(t)
        made.append(t)
    session.flush()
    session.add(
        TerminalFault(
            org_unit_id=hall.id,
            terminal_id=made[1].id,
            code="PRINTER_JAM",
            description="凭条打印机卡纸 / receipt printer jammed",
            status="handling",
            reported_at=now - timedelta(hours=3),
            handled_by=actor,
            note="已通知厂家 / vendor called",
        )
    )


def _history(
    session: Session,
    rng: random.Random,
    hall_id: int,
    windows: list[HallWindow],
    last_day: date,
    actor: str,
) -> int:
    rows: list[dict[str, Any]] = []
    for offset in range(DAYS, 0, -1):
        day = last_day - timedelta(days=offset - 1)
        free = {w.id: datetime.combine(day, OPENS, BUSINESS_TZ) for w in windows}
        serial: dict[BusinessType, int] = defaultdict(int)
        for at, kind in _arrivals(rng, day):
            able = [w.id for w in windows if kind.value in w.skills.split(",")]
            window = min(able, key=lambda w: free[w])
            called = max(at, free[window])
            service = timedelta(minutes=rng.lognormvariate(math.log(MIX[kind][1]), 0.45))
            finished = called + service
            free[window] = finished
            serial[kind] += 1
            no_show = rng.random() < 0.03
            rated = not no_show and rng.random() < 0.35
            rows.append(
                {
                    "org_unit_id": hall_id,
                    "business_day": day,
                    "business_type": kind,
                    "number": f"{letter(kind)}{serial[kind]:04d}",
                    "priority": 2 if rng.random() < 0.05 else 0,
                    "channel": Channel.KIOSK if rng.random() < 0.8 else Channel.PORTAL,
                    "status": TicketStatus.NO_SHOW if no_show else TicketStatus.COMPLETED,
                    "window_id": window,
                    "taken_at": at,
                    "called_at": called,
                    "call_count": 2 if no_show else 1,
                    "served_by": actor,
                    "finished_at": finished,
                    "service_seconds": None if no_show else int(service.total_seconds()),
                    "wait_alerted": False,
                    "rating": rng.choices([5, 4, 3, 2, 1], [60, 25, 8, 4, 3])[0] if rated else None,
                }
            )
    if not rows:
        return 0
    # Core executemany without RETURNING (the ORM's bulk path with RETURNING goes row by
    # row on SQLite); the ids come back by the (hall, day, number) unique key.
    session.execute(insert(cast(Table, Ticket.__table__)), rows)
    id_of = {
        (day, number): ticket_id
        for ticket_id, day, number in session.execute(
            select(Ticket.id, Ticket.business_day, Ticket.number).where(
                Ticket.org_unit_id == hall_id
            )
        )
    }
    ids = [id_of[(r["business_day"], r["number"])] for r in rows]
    numbers = {w.id: w.number for w in windows}
    events = [
        {
            "org_unit_id": hall_id,
            "kind": store.WINDOW_CHANGED,
            "ticket_id": None,
            "customer_id": None,
            "window_id": w.id,
            "actor": actor,
            "payload": {
                "number": w.number,
                "name": w.name,
                "skills": w.skills,
                "status": w.status.value,
            },
            "occurred_at": rows[0]["taken_at"] - timedelta(hours=1),
        }
        for w in windows
    ]
    for ticket_id, r in zip(ids, rows, strict=True):
        facts = {
            "number": r["number"],
            "business_type": r["business_type"].value,
            "priority": r["priority"],
        }
        window = numbers[r["window_id"]]
        steps = [
            (store.TICKET_TAKEN, r["taken_at"], facts),
            (store.TICKET_CALLED, r["called_at"], {**facts, "window": window}),
            (
                store.TICKET_NO_SHOW
                if r["status"] == TicketStatus.NO_SHOW
                else store.TICKET_COMPLETED,
                r["finished_at"],
                {**facts, "window": window},
            ),
        ]
        if r["rating"] is not None:
            steps.append(
                (
                    store.TICKET_RATED,
                    r["finished_at"],
                    {**facts, "window": None, "score": r["rating"]},
                )
            )
        for fact, at, payload in steps:
            events.append(
                {
                    "org_unit_id": hall_id,
                    "kind": fact,
                    "ticket_id": ticket_id,
                    "customer_id": None,
                    "window_id": r["window_id"] if fact != store.TICKET_TAKEN else None,
                    "actor": actor,
                    "payload": payload,
                    "occurred_at": at,
                }
            )
    session.execute(insert(cast(Table, HallEvent.__table__)), events)
    by_type: dict[BusinessType, list[int]] = defaultdict(list)
    for r in rows:
        if r["service_seconds"]:
            by_type[r["business_type"]].append(r["service_seconds"])
    session.execute(
        insert(ServiceStat),
        [
            {
                "org_unit_id": hall_id,
                "business_type": k,
                "avg_seconds": sum(v) // len(v),
                "samples": len(v),
                "computed_at": datetime.combine(last_day, CLOSES, BUSINESS_TZ),
            }
            for k, v in by_type.items()
        ],
    )
    return len(rows)
