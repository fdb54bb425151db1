"""Meters with a history for the readings tests, on a fixed business day."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from safegrid.customers.models import Meter
from safegrid.customers.schemas import MeterCreate
from safegrid.customers.services import do_install_meter
from safegrid.platform import clock
from safegrid.readings.models import DailyReading, ReadSource, RegisterRead
from tests.fixtures.world import World

# 2026-11-15 10:00 in Beijing: October 2026 is over, November is open.
NOW = datetime(2026, 11, 15, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_day() -> None:
    clock.set_clock(clock.FixedClock(NOW))  # the database fixture resets it afterwards


@dataclasses.dataclass
class Meters:
    world: World
    n: int = 0

    def make(
        self,
        unit: str = "stationA",
        *,
        area: int | None = None,
        tou: bool = False,
        multiplier: int = 1,
        installed_on: date = date(2024, 1, 1),
    ) -> tuple[int, str]:
        self.n += 1
        asset = f"RD{self.n:06d}X"
        area_id = area or self.world.reading_area(unit)
        meter_id = do_install_meter(
            self.world.platform.uow(self.world.system()),
            self.world.customer(unit),
            MeterCreate(
                asset_no=asset,
                model="DDZY71-Z",
                multiplier=multiplier,
                is_tou=tou,
                reading_area_id=area_id,
                latitude=Decimal("30.050000"),
                longitude=Decimal("119.950000"),
                installed_on=installed_on,
            ),
        )
        return meter_id, asset

    def unit_of(self, meter_id: int) -> int:
        with self.world.platform.engine.connect() as conn:
            return int(
                conn.execute(select(Meter.org_unit_id).where(Meter.id == meter_id)).scalar_one()
            )

    def stored_read(self, meter_id: int, day: date, total: str, **registers: str) -> None:
        """A reading already in the store (as an earlier import left it)."""
        with self.world.platform.engine.begin() as conn:
            conn.execute(
                insert(RegisterRead).values(
                    meter_id=meter_id,
                    read_on=day,
                    total_register=Decimal(total),
                    peak_register=Decimal(registers["peak"]) if "peak" in registers else None,
                    valley_register=Decimal(registers["valley"]) if "valley" in registers else None,
                    estimated=False,
                    source=ReadSource.IMPORT.value,
                    entered_by="fixture",
                    org_unit_id=self.unit_of(meter_id),
                )
            )

    def daily(self, meter_id: int, rows: list[tuple[date, str, str, str | None]]) -> None:
        """(day, register, kwh, peak) daily readings; valley = kwh − peak."""
        unit = self.unit_of(meter_id)
        with self.world.platform.engine.begin() as conn:
            conn.execute(
                insert(DailyReading),
                [
                    {
                        "meter_id": meter_id,
                        "day": d,
                        "register_kwh": Decimal(reg),
                        "kwh": Decimal(kwh),
                        "peak_kwh": None if peak is None else Decimal(peak),
                        "valley_kwh": None if peak is None else Decimal(kwh) - Decimal(peak),
                        "source": "ami",
                        "org_unit_id": unit,
                    }
                    for d, reg, kwh, peak in rows
                ],
            )


@pytest.fixture
def meters(world: World) -> Meters:
    return Meters(world)
