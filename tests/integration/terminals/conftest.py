"""A station with a meter reader, his reading area and meter, a system administrator who
registers terminals, and the app under a test client — on a fixed business day."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.customers.models import Meter
from safegrid.platform import clock
from safegrid.security.policy import Post
from safegrid.terminals.client import TerminalClient
from tests.fixtures.apps import app_for
from tests.fixtures.world import Staff, World

NOW = datetime(2026, 11, 15, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@dataclasses.dataclass
class Field:
    world: World
    http: TestClient
    admin: Staff
    reader: Staff
    asset_no: str

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.world.token(self.admin)}"}

    def asset_of(self, meter_id: int) -> str:
        with self.world.platform.engine.connect() as conn:
            return str(conn.scalar(select(Meter.asset_no).where(Meter.id == meter_id)))

    def register(self, reader: Staff | None = None, serial: str | None = None) -> dict[str, Any]:
        reader = reader or self.reader
        self.world._n += 1
        resp = self.http.post(
            "/api/terminals",
            json={
                "serial_no": serial or f"SN{self.world._n:06d}",
                "model": "HT-800",
                "org_unit_id": self.world.units["stationA"],
                "reader_id": reader.id,
            },
            headers=self.admin_headers(),
        )
        assert resp.status_code == 201, resp.text
        body: dict[str, Any] = resp.json()
        return body

    def terminal(self, creds: dict[str, Any], reader: Staff | None = None) -> TerminalClient:
        return TerminalClient(
            self.http,
            creds["terminal_id"],
            creds["secret"],
            base64.b64decode(creds["upload_key"]),
            reader_token=self.world.token(reader or self.reader),
        )

    def reading(self, total: str = "10.00", asset_no: str | None = None) -> dict[str, str]:
        return {
            "asset_no": asset_no or self.asset_no,
            "read_on": clock.business_day().isoformat(),
            "total": total,
        }


@pytest.fixture
def field(world: World) -> Field:
    clock.set_clock(clock.FixedClock(NOW))  # the database fixture resets it afterwards
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    reader = world.staff(Post.METER_READER, "stationA")
    area = world.reading_area("stationA", reader)
    meter_id = world.meter(world.customer("stationA"), area)
    f = Field(world, TestClient(app_for(world.platform)), admin, reader, "")
    f.asset_no = f.asset_of(meter_id)
    return f
