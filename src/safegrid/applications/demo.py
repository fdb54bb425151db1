"""Demo 业扩 applications (a small core step of ``safegrid demo generate``, ADR 0021): in
every county a few of its customers have applied — one waiting for the hall, one past the
hall's deadline (in red), one asked for more, one accepted (with its installation work
order) and one rejected — through the services, with real PDF and JPEG documents. The
applications are filed on the portal as the customer (``PortalCustomer`` of his account)
or at the counter by the county's hall agent. Well under a second."""

from __future__ import annotations

import functools
import io
from datetime import timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from safegrid.applications import services
from safegrid.applications.applicants import PortalCustomer
from safegrid.applications.documents import Upload
from safegrid.applications.kinds import DocumentType
from safegrid.applications.schemas import (
    ApplicationSubmit,
    Decision,
    Rejection,
    RequestMore,
)
from safegrid.bootstrap import Platform
from safegrid.customers.models import Account, SupplyPoint
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform import clock
from safegrid.security.actor import Actor
from safegrid.security.scope import unscoped

_FONT = "STSong-Light"
# (kind, capacity kVA — for an increase, kVA added to the present —, what happens next)
STORY = (
    ("lv_new", "12", "wait"),
    ("capacity_increase", "20", "late"),
    ("lv_new", "16", "ask"),
    ("lv_new", "10", "accept"),
    ("capacity_increase", "12", "reject"),
)


def _pdf(title: str, body: str) -> bytes:
    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    buf = io.BytesIO()
    page = canvas.Canvas(buf, pagesize=A4, invariant=True)
    page.setFont(_FONT, 16)
    page.drawString(72, 760, title)
    page.setFont(_FONT, 11)
    page.drawString(72, 730, body)
    page.save()
    return buf.getvalue()


def _jpeg(text: str) -> bytes:
    img = Image.new("RGB", (320, 200), (236, 240, 245))
    ImageDraw.Draw(img).text((16, 90), text, fill=(30, 30, 30))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return buf.getvalue()


@functools.cache
def _documents(kind: str) -> tuple[Upload, ...]:
    # The same scans for every demo applicant: drawing them is most of this step's time.
    docs = [Upload(DocumentType.IDENTITY, "身份证.jpg", _jpeg("ID card (demo)"))]
    if kind == "capacity_increase":
        docs.append(
            Upload(
                DocumentType.LOAD_LIST,
                "用电设备清单.pdf",
                _pdf("用电设备清单", "空调 3 台，电热水器 1 台，充电桩 1 个"),
            )
        )
    else:
        docs.append(
            Upload(
                DocumentType.PROPERTY,
                "房屋产权证明.pdf",
                _pdf("房屋产权证明", "用电地址房屋产权人证明（演示）"),
            )
        )
    return tuple(docs)


def seed_applications(platform: Platform) -> int:
    """Returns the number of applications filed."""
    system = Actor.system("demo-generate", channel="cli")
    opts = unscoped("the demo seeds applications in every county")
    with platform.uow(system, readonly=True) as uow:
        stations = uow.session.scalars(
            select(OrgUnit.id).where(OrgUnit.kind == UnitKind.STATION).order_by(OrgUnit.id),
            execution_options=opts,
        ).all()
        accounts = {
            unit: uow.session.execute(
                select(Account.number, func.sum(SupplyPoint.capacity_kva))
                .join(SupplyPoint, SupplyPoint.account_id == Account.id)
                .where(Account.org_unit_id == unit)
                .group_by(Account.id, Account.number)
                .order_by(Account.id)
                .limit(len(STORY)),
                execution_options=opts,
            ).all()
            for unit in stations
        }
    portal = Actor(
        account_id=None,
        username="portal",
        real_name="网上营业厅客户 / portal customer",
        post=None,
        org_unit_id=None,
        permissions=frozenset(),
        scope=system.scope,
        channel="web",
    )
    real_clock = clock.current()
    filed = 0
    try:
        for unit in stations:
            for i, ((kind, kva, fate), (number, present)) in enumerate(
                zip(STORY, accounts[unit], strict=False)
            ):
                if fate == "late":  # filed a week ago: past the hall's two working days
                    clock.set_clock(clock.FixedClock(real_clock.now() - timedelta(days=7)))
                asked = Decimal(kva)
                if kind == "capacity_increase":  # more than the account has today
                    asked += Decimal(present or 0)
                data = ApplicationSubmit(account_no=number, kind=kind, capacity_kva=asked)
                by_portal = i % 2 == 0
                out = services.do_submit(
                    platform.uow(portal if by_portal else system),
                    data,
                    _documents(kind),
                    customer=PortalCustomer.of(f"portal:{number}", [number]) if by_portal else None,
                )
                clock.set_clock(real_clock)
                filed += 1
                if fate == "ask":
                    services.do_request_more(
                        platform.uow(system),
                        out.id,
                        RequestMore(missing="请补充房屋产权证明原件照片（两面）"),
                    )
                elif fate == "accept":
                    services.do_accept(
                        platform.uow(system), out.id, Decision(note="资料齐全，受理")
                    )
                elif fate == "reject":
                    services.do_reject(
                        platform.uow(system),
                        out.id,
                        Rejection(reason="现有线路容量不足，需先行配网改造"),
                    )
    finally:
        clock.set_clock(real_clock)
    return filed
