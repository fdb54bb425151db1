"""Helpers of the 业扩 application tests: a customer with an account, supply point (8 kVA) and meter at stationA (countyA, whose
hall is hallA), the documents an application carries, and the people who act on it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from sqlalchemy import select

from safegrid.applications import services
from safegrid.applications.applicants import PortalCustomer
from safegrid.applications.documents import Upload
from safegrid.applications.kinds import DocumentType
from safegrid.applications.schemas import ApplicationOut, ApplicationSubmit
from safegrid.customers.models import Account
from safegrid.payments.online.orders import portal_actor
from safegrid.security.actor import Actor
from safegrid.security.policy import Post
from tests.fixtures.world import World

# The first bytes are what makes each of these a PDF, a PNG or a JPEG to a content sniffer.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def identity(content: bytes = JPEG, name: str = "身份证.jpg") -> Upload:
    return Upload(DocumentType.IDENTITY, name, content, None)


def deed(content: bytes = PDF, name: str = "房产证.pdf") -> Upload:
    return Upload(DocumentType.PROPERTY, name, content, "application/pdf")


def loads(content: bytes = PDF, name: str = "用电设备清单.pdf") -> Upload:
    return Upload(DocumentType.LOAD_LIST, name, content, "application/pdf")


@dataclasses.dataclass
class Applying:
    world: World
    account_no: str
    other_account_no: str  # someone else's, in countyB
    customer: PortalCustomer
    agent: Actor  # hall agent of countyA
    outsider: Actor  # hall agent of countyB
    desk: Actor  # hall agent placed in hallA itself (sees the hall, not the station)

    def portal(self) -> Actor:
        return portal_actor("198.51.100.7")

    def submit(
        self, kind: str = "lv_new", capacity: str = "12", uploads: list[Upload] | None = None
    ) -> ApplicationOut:
        return services.do_submit(
            self.world.platform.uow(self.portal()),
            ApplicationSubmit(
                account_no=self.account_no, kind=kind, capacity_kva=Decimal(capacity)
            ),
            [identity(), deed()] if uploads is None else uploads,
            customer=self.customer,
        )


def _account(w: World, unit: str) -> str:
    customer_id = w.customer(unit)
    w.meter(customer_id, w.reading_area(unit))
    with w.platform.engine.connect() as c:
        return str(c.scalar(select(Account.number).where(Account.customer_id == customer_id)))


def make_applying(world: World) -> Applying:
    mine, other = _account(world, "stationA"), _account(world, "stationB")
    return Applying(
        world,
        mine,
        other,
        PortalCustomer.of("portal:138****0001", [mine]),
        world.actor(world.staff(Post.HALL_AGENT, "countyA")),
        world.actor(world.staff(Post.HALL_AGENT, "countyB")),
        world.actor(world.staff(Post.HALL_AGENT, "hallA")),
    )
