"""OPS-7 安全随手拍: an anonymous report through the public form keeps no identity — no
name, phone or address, and the photo is re-encoded without its metadata; an anonymous
report carrying a name is refused (and logged without the name); a named report is
triaged, fixed and rewarded by level; an anonymous one cannot be rewarded."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from safegrid.platform.errors import ConflictError
from safegrid.secops import hazards
from safegrid.secops.hazard_models import HazardReport, HazardStatus
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import World


def _jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x013B] = "Zhang San"  # Artist
    exif[0x0110] = "Phone-SN-123456"  # Model
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _post(client: TestClient, world: World, **over: str) -> int:
    data = {"description": "电杆倾斜 / leaning pole", "latitude": "30.05",
            "longitude": "119.95", "anonymous": "yes",
            "org_unit_id": str(world.units["stationA"]), **over}  # fmt: skip
    files = {"photo": ("p.jpg", _jpeg_with_exif(), "image/jpeg")}
    return client.post("/hazards/report", data=data, files=files).status_code


def test_ops_7_anonymous_report_keeps_no_identity(world: World) -> None:
    client = TestClient(app_for(world.platform))
    assert _post(client, world) == 201
    with world.platform.uow(world.system(), readonly=True) as uow:
        h = uow.session.scalars(select(HazardReport)).one()
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "hazard.reported")
        ).one()
    assert h.anonymous and h.reporter_name is None and h.reporter_phone is None
    assert entry.ip is None and entry.actor_id is None
    assert h.photo is not None and b"Zhang San" not in h.photo and b"Phone-SN" not in h.photo
    assert Image.open(io.BytesIO(h.photo)).getexif().get(0x013B) is None
    # Anonymous but carrying a name: refused, logged without the name.
    assert _post(client, world, reporter_name="张三") == 422
    with world.platform.uow(world.system(), readonly=True) as uow:
        refused = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "hazard.report_refused")
        ).one()
    assert "张三" not in refused.body and refused.ip is None
    # Not an image at all.
    bad = client.post("/hazards/report", data={"description": "x", "latitude": "30",
                      "longitude": "120", "anonymous": "yes",
                      "org_unit_id": str(world.units["stationA"])},
                      files={"photo": ("p.jpg", b"%PDF-1.4 not a photo", "image/jpeg")})  # fmt: skip
    assert bad.status_code == 422


def test_ops_7_named_report_is_triaged_fixed_and_rewarded(world: World) -> None:
    p = world.platform
    supervisor = world.actor(world.staff(Post.SAFETY_SUPERVISOR, "countyA"))
    named = hazards.NewHazard("井盖缺失 / missing cover", hazards.Decimal("30.1"),
                              hazards.Decimal("120.1"), False, world.units["stationA"],
                              "李四", "13812345678")  # fmt: skip
    anon = hazards.NewHazard("树枝压线 / branch on line", hazards.Decimal("30.2"),
                             hazards.Decimal("120.2"), True, world.units["stationA"])  # fmt: skip
    hazards.do_report_hazard(p.uow(world.system()), named)
    hazards.do_report_hazard(p.uow(world.system()), anon)
    with p.uow(world.system(), readonly=True) as uow:
        ids = {h.anonymous: h.id for h in uow.session.scalars(select(HazardReport))}
    for hid in ids.values():
        hazards.do_work_hazard(p.uow(supervisor), hid,
                               hazards.HazardAction("triage", 2, "巡线班 / patrol"))  # fmt: skip
        hazards.do_work_hazard(p.uow(supervisor), hid,
                               hazards.HazardAction("fix", note="已处理 / done"))  # fmt: skip
    assert (
        hazards.do_work_hazard(p.uow(supervisor), ids[False], hazards.HazardAction("reward"))
        == HazardStatus.FIXED
    )
    with pytest.raises(ConflictError, match="anonymous reporter"):
        hazards.do_work_hazard(p.uow(supervisor), ids[True], hazards.HazardAction("reward"))
    with p.uow(world.system(), readonly=True) as uow:
        paid = uow.session.get_one(HazardReport, ids[False])
    assert paid.reward == hazards.Decimal("200.00")
