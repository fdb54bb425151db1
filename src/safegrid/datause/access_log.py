"""Reading the access log (DATA-4): who saw which field of which customer, when."""

from __future__ import annotations

from datetime import datetime

from safegrid.datause.repository import DataUseRepository
from safegrid.datause.schemas import AccessLogOut
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork


def search(
    uow: UnitOfWork,
    staff: str | None,
    customer_id: int | None,
    since: datetime | None,
    until: datetime | None,
    paging: PageQuery,
) -> Page[AccessLogOut]:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ValidationProblem("请给出时区 / give a timezone, e.g. +08:00", field=name)
    with uow:
        items, total = DataUseRepository(uow).access_logs(
            staff=(staff or "").strip() or None,
            customer_id=customer_id,
            since=since,
            until=until,
            paging=paging,
        )
        out = [AccessLogOut.model_validate(a) for a in items]
    return Page[AccessLogOut](items=out, total=total, page=paging.page, size=paging.size)
