"""Receipt numbers (PAY-1): a gapless sequence per hall and business day, with a date code.

Format — ``<HALL>-<YYYYMMDD>-<NNNNNN>``, e.g. ``ZJ-HZ-FY-HALL-20261102-000017``:

* ``HALL``: the hall's org-unit code in capitals (``H<id>`` when the code is longer than
  15 characters, so a number always fits the 32 characters the ledger keeps);
* ``YYYYMMDD``: the business day in Beijing time, the receipt stamp's date code;
* ``NNNNNN``: the serial of that hall on that day, 000001, 000002, … with no gaps.

Why gapless: the checker and the auditor count receipts 1..n of a day against the cash.
The serial lives in :class:`ReceiptCounter` and is taken by one atomic
``UPDATE … SET last_serial = last_serial + 1 RETURNING`` inside the payment's own
transaction. The row stays locked until that transaction ends (SQLite serialises writers
with BEGIN IMMEDIATE; PostgreSQL holds the row lock), so two cashiers of one hall queue
for a number, and a payment that rolls back gives its number back with it. A voided
receipt keeps its number (status ``voided``), so voids leave no gap either.

Offline series (OPS-6): a hall's local node, cut off from the server, numbers its receipts
from :data:`OFFLINE_FIRST_SERIAL` up (gapless on the node); the server's own series stops
below it, so the two never meet and an offline receipt keeps its number after the sync.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Final

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safegrid.org.models import OrgUnit
from safegrid.payments.counter.models import ReceiptCounter
from safegrid.platform.db import OFFLINE_NODE
from safegrid.platform.errors import ValidationProblem

MAX_SERIAL: Final = 999_999
OFFLINE_FIRST_SERIAL: Final = 900_001
_PREFIX_MAX: Final = 15
RECEIPT_NO: Final = re.compile(r"^(?P<hall>[A-Z0-9-]+)-(?P<day>\d{8})-(?P<serial>\d{6})$")


@dataclasses.dataclass(frozen=True)
class ReceiptNumber:
    hall_prefix: str
    business_day: date
    serial: int

    def __str__(self) -> str:
        return f"{self.hall_prefix}-{self.business_day:%Y%m%d}-{self.serial:06d}"


def hall_prefix(hall: OrgUnit) -> str:
    code = hall.code.upper()
    if len(code) > _PREFIX_MAX or not re.fullmatch(r"[A-Z0-9-]+", code):
        return f"H{hall.id}"
    return code


def parse(text: str) -> ReceiptNumber:
    """A receipt number as typed by a person (spaces and case forgiven)."""
    match = RECEIPT_NO.match(text.strip().upper())
    if match is None:
        raise ValidationProblem(
            "收据号格式应为 厅代码-年月日-6位流水号 / a receipt number looks like "
            "HALL-YYYYMMDD-000001",
            field="receipt_no",
        )
    try:
        day = date(int(match["day"][:4]), int(match["day"][4:6]), int(match["day"][6:]))
    except ValueError:
        raise ValidationProblem(
            "收据号中的日期无效 / the receipt number's date is not a date", field="receipt_no"
        ) from None
    return ReceiptNumber(match["hall"], day, int(match["serial"]))


def next_number(session: Session, hall: OrgUnit, day: date) -> ReceiptNumber:
    """Take the next serial of ``hall`` on ``day`` in the caller's transaction; on a hall's
    offline node (the session says so) from the offline series."""
    offline = bool(session.info.get(OFFLINE_NODE))
    serial = _increment(session, hall.id, day)
    if serial is None:
        # First receipt of the day: create the row. Two cashiers may race here on
        # PostgreSQL; the loser's insert fails on the unique key inside its savepoint and
        # it simply increments the winner's row.
        start = OFFLINE_FIRST_SERIAL - 1 if offline else 0
        try:
            with session.begin_nested():
                session.execute(
                    insert(ReceiptCounter).values(
                        hall_id=hall.id, business_day=day, last_serial=start
                    )
                )
        except IntegrityError:
            pass
        serial = _increment(session, hall.id, day)
    limit = MAX_SERIAL if offline else OFFLINE_FIRST_SERIAL - 1
    if serial is None or serial > limit:
        raise ValidationProblem(
            "本厅今日收据号已用完 / this hall has used up today's receipt numbers",
            field="hall_id",
        )
    return ReceiptNumber(hall_prefix(hall), day, serial)


def offline_number(hall: OrgUnit, text: str) -> ReceiptNumber:
    """An offline node's receipt number for ``hall``, checked (hall, offline series)."""
    number = parse(text)
    if number.hall_prefix != hall_prefix(hall) or not (
        OFFLINE_FIRST_SERIAL <= number.serial <= MAX_SERIAL
    ):
        raise ValidationProblem(
            "离线收据号不属于本厅的离线号段 / the offline receipt number is not in this hall's "
            "offline series",
            field="receipt_no",
        )
    return number


def _increment(session: Session, hall_id: int, day: date) -> int | None:
    row = session.execute(
        update(ReceiptCounter)
        .where(ReceiptCounter.hall_id == hall_id, ReceiptCounter.business_day == day)
        .values(last_serial=ReceiptCounter.last_serial + 1)
        .returning(ReceiptCounter.last_serial)
    ).first()
    return None if row is None else int(row[0])


def issued_serials(session: Session, hall_id: int, day: date) -> int:
    """How many numbers the hall has issued on ``day`` (0 when none)."""
    last = session.scalar(
        select(ReceiptCounter.last_serial).where(
            ReceiptCounter.hall_id == hall_id, ReceiptCounter.business_day == day
        )
    )
    return int(last or 0)
