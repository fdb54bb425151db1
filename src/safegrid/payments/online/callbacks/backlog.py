"""The callback inbox's backlog watch (PAY-7; ADR 0020): acknowledged money that has not
reached the ledger for too long means the applier is down, stuck or outrun — the channel
was told ``success``, the customer's bill still shows arrears. A scheduled job raises an
``inbox_backlog`` alert to the managers (:mod:`safegrid.alerts.raise_alert`) when the
oldest unapplied row is older than ``SAFEGRID_PAY_INBOX_BACKLOG_ALERT_MINUTES``.

Once per backlog, not once per run: no new alert while one was raised after the oldest
unapplied row arrived (the same backlog, still being worked off); a backlog that cleared
and formed again alerts again. Registered at import; listed in ``platform.jobs.JOB_MODULES``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import func, select

from safegrid.alerts.models import Alert
from safegrid.alerts.raise_alert import raise_alert
from safegrid.payments.online.callbacks.applier import MAX_ATTEMPTS
from safegrid.payments.online.callbacks.models import CallbackInbox, InboxState
from safegrid.payments.online.settings import get_channel_settings
from safegrid.platform import clock, jobs
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor
from safegrid.security.scope import unscoped

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform

KIND: Final = "inbox_backlog"


def do_check_backlog(uow: UnitOfWork, max_age: timedelta) -> int | None:
    """Raise the backlog alert if the oldest unapplied row is older than ``max_age`` and
    this backlog has not been alerted yet; returns the alert id, or None."""
    with uow:
        s = uow.session
        pending = CallbackInbox.state == InboxState.PENDING
        oldest, count, stuck = s.execute(
            select(
                func.min(CallbackInbox.received_at),
                func.count(),
                func.count().filter(CallbackInbox.attempts >= MAX_ATTEMPTS),
            ).where(pending),
            execution_options=unscoped("the inbox backlog is the whole utility's"),
        ).one()
        now = clock.now()
        if oldest is None or now - oldest <= max_age:
            return None
        last = s.scalar(
            select(func.max(Alert.raised_at)).where(Alert.key_field == KIND),
            execution_options=unscoped("backlog alerts are raised for the whole utility"),
        )
        if last is not None and last >= oldest:
            return None  # this backlog was alerted already
        minutes = int((now - oldest).total_seconds() // 60)
        since = oldest.astimezone(BUSINESS_TZ)
        alert_id = raise_alert(
            s,
            kind=KIND,
            object_type="payment_callback_inbox",
            object_id=str(count),
            label=f"{count} pending",
            before=f"oldest {since:%Y-%m-%d %H:%M}",
            after=f"{minutes} min unapplied, {stuck} stuck",
            unit_id=None,
            actor=uow.actor,
            text=(
                f"【SafeGrid】支付回调 {count} 笔已确认未入账，最早 {since:%m-%d %H:%M}（{minutes} 分钟）"
                f"，其中 {stuck} 笔需人工处理 / {count} acknowledged payment callbacks not in "
                f"the ledger, oldest {minutes} min"
            ),
        )
        uow.audit(
            "payment.inbox_backlog_alerted",
            object_type="payment_callback_inbox",
            object_id=str(alert_id),
            after={
                "pending": int(count),
                "stuck": int(stuck),
                "oldest": oldest.isoformat(),
                "minutes": minutes,
                "alert_id": alert_id,
            },
        )
        uow.commit()
        return alert_id


def run_backlog_watch(platform: Platform, actor: Actor) -> dict[str, int]:
    """Alert the managers when acknowledged callbacks wait too long for the ledger (PAY-7)"""
    minutes = get_channel_settings().inbox_backlog_alert_minutes
    alert_id = do_check_backlog(platform.uow(actor), timedelta(minutes=minutes))
    return {"alerted": 0 if alert_id is None else 1}


jobs.register(
    "payments.inbox_backlog",
    "*/5 * * * *",  # each run is two audit entries: every 5 minutes, like departure_freeze
    run_backlog_watch,
    "Alert when acknowledged payment callbacks wait too long for the ledger (PAY-7)",
)
