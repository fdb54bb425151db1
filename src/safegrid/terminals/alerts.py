"""Telling the unit's managers that a terminal was lost (DATA-7, in the spirit of AUD-3).

The managers are found the way key-field alerts find them (``alerts.recipients``: the
unit's department head / hall manager / team leader, else the nearest ancestor's). Each
manager with a mobile number gets an SMS through the notification channel (the outbox
row is written in the caller's transaction, so it exists exactly when the loss does).
"""

from __future__ import annotations

from safegrid.alerts.recipients import managers_of
from safegrid.notifications.channel import Message, OutboxNotifier
from safegrid.platform.uow import UnitOfWork
from safegrid.terminals.models import Terminal

TOPIC = "terminal.lost"


def alert_managers(uow: UnitOfWork, terminal: Terminal, reason: str) -> list[str]:
    """Queue the SMS; returns the usernames of the managers told (for the audit entry)."""
    managers = managers_of(uow.session, terminal.org_unit_id)
    body = (
        f"【终端挂失】手持终端 {terminal.code}（序列号 {terminal.serial_no}）已挂失，"
        f"凭据已吊销并下发远程擦除指令。原因：{reason}"
    )
    messages = [
        Message(
            channel="sms",
            recipient=m.mobile,
            topic=TOPIC,
            body=body,
            org_unit_id=terminal.org_unit_id,
            subject_type="field_terminal",
            subject_id=str(terminal.id),
        )
        for m in managers
        if m.mobile
    ]
    OutboxNotifier(uow).send_many(messages)
    return [m.username for m in managers]
