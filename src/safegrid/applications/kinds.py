"""What a customer may apply for (业扩, HALL-6) and which documents each kind needs.

Kinds are data: a new kind of business (过户, 销户 …) is one more :class:`Kind` in
:data:`KINDS` naming its documents, capacity rule and whether acceptance opens a field
installation order; no service branches on a kind's code.
"""

from __future__ import annotations

import dataclasses
import enum
from decimal import Decimal
from typing import Final

from safegrid.hall.catalogue import BusinessType
from safegrid.platform.errors import ValidationProblem


class DocumentType(enum.StrEnum):
    IDENTITY = "identity"  # 身份证明 (ID card or business licence)
    PROPERTY = "property"  # 产权证明 (house deed, lease)
    LOAD_LIST = "load_list"  # 用电设备清单
    SITE_PLAN = "site_plan"  # 用电地址平面图
    OTHER = "other"  # 其他补充材料


DOCUMENT_LABELS: Final[dict[DocumentType, str]] = {
    DocumentType.IDENTITY: "身份证明 / Proof of identity",
    DocumentType.PROPERTY: "产权证明 / Proof of property",
    DocumentType.LOAD_LIST: "用电设备清单 / List of electrical loads",
    DocumentType.SITE_PLAN: "用电地址平面图 / Site plan",
    DocumentType.OTHER: "其他材料 / Other documents",
}


@dataclasses.dataclass(frozen=True)
class Kind:
    code: str
    label: str  # "中文 / English"
    voltage_kv: Decimal
    documents: tuple[DocumentType, ...]  # required when the application is submitted
    hall_type: BusinessType  # the hall business it belongs to (queue and monitor)
    # Capacity asked for must be more than the account's present capacity (增容).
    increases_capacity: bool = False
    max_capacity_kva: Decimal = Decimal("100000")
    # Acceptance opens a field installation work order (fieldwork kind ``install``).
    opens_installation: bool = False


KINDS: Final[dict[str, Kind]] = {
    k.code: k
    for k in (
        Kind(
            "lv_new",
            "低压新装 / Low-voltage new connection",
            Decimal("0.4"),
            (DocumentType.IDENTITY, DocumentType.PROPERTY),
            BusinessType.NEW_CONNECTION,
            max_capacity_kva=Decimal("160"),
            opens_installation=True,
        ),
        Kind(
            "hv_new",
            "高压新装 / High-voltage new connection",
            Decimal("10"),
            (
                DocumentType.IDENTITY,
                DocumentType.PROPERTY,
                DocumentType.LOAD_LIST,
                DocumentType.SITE_PLAN,
            ),
            BusinessType.NEW_CONNECTION,
            opens_installation=True,
        ),
        Kind(
            "capacity_increase",
            "增容 / Capacity increase",
            Decimal("0.4"),
            (DocumentType.IDENTITY, DocumentType.LOAD_LIST),
            BusinessType.CAPACITY,
            increases_capacity=True,
        ),
    )
}


def kind(code: str) -> Kind:
    found = KINDS.get(code)
    if found is None:
        raise ValidationProblem(
            f"未知的业务类型 {code[:24]!r} / unknown application kind; one of {', '.join(KINDS)}",
            field="kind",
        )
    return found
