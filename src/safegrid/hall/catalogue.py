"""What a hall serves: the business types customers queue for, and queue priorities.

The types are a fixed catalogue rather than rows: every hall of the utility offers the
same services (the seed's list), each numbered under its own letter on the ticket.
"""

from __future__ import annotations

import enum
from typing import Final


class BusinessType(enum.StrEnum):
    PAYMENT = "payment"  # 缴费
    NEW_CONNECTION = "new_connection"  # 业扩新装
    CAPACITY = "capacity"  # 增容
    TRANSFER = "transfer"  # 过户
    CONSULT = "consult"  # 咨询
    COMPLAINT = "complaint"  # 投诉


# (letter on the ticket, 中文, English, service minutes assumed before a hall has history)
TYPE_INFO: Final[dict[BusinessType, tuple[str, str, str, float]]] = {
    BusinessType.PAYMENT: ("A", "缴费", "Payment", 3.0),
    BusinessType.NEW_CONNECTION: ("B", "业扩新装", "New connection", 15.0),
    BusinessType.CAPACITY: ("C", "增容", "Capacity increase", 12.0),
    BusinessType.TRANSFER: ("D", "过户", "Change of owner", 10.0),
    BusinessType.CONSULT: ("E", "咨询", "Enquiry", 5.0),
    BusinessType.COMPLAINT: ("F", "投诉", "Complaint", 8.0),
}


def letter(kind: BusinessType) -> str:
    return TYPE_INFO[kind][0]


def type_label(kind: BusinessType) -> str:
    info = TYPE_INFO[kind]
    return f"{info[1]} / {info[2]}"


def default_minutes(kind: BusinessType) -> float:
    return TYPE_INFO[kind][3]


class Priority(enum.IntEnum):
    """Higher is called first; within a priority, the earlier ticket."""

    NORMAL = 0
    APPOINTMENT = 1  # booked a time slot and checked in
    PRIORITY = 2  # elderly, disabled, pregnant (优先)


class Channel(enum.StrEnum):
    KIOSK = "kiosk"
    PORTAL = "portal"
    PHONE = "phone"
    COUNTER = "counter"  # taken by an agent for the customer in front of him


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"  # at a window: being served
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    EXPIRED = "expired"  # still waiting when the hall closed (day boundary)


class WindowStatus(enum.StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


def parse_skills(text: str) -> list[BusinessType]:
    """``payment,consult`` → the types; raises ValueError naming an unknown one."""
    found = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            found.append(BusinessType(part))
        except ValueError:
            raise ValueError(f"未知业务类型 / unknown business type {part!r}") from None
    if not found:
        raise ValueError("窗口至少办理一种业务 / a window serves at least one business type")
    return sorted(set(found), key=list(BusinessType).index)
