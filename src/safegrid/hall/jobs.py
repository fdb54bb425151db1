"""The hall's scheduled jobs: the wait-limit check (HALL-4) every minute and the day's
close (HALL-2) each evening after every hall has closed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from safegrid.hall import alarms, days, terminals
from safegrid.platform import jobs
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform


def do_flag_long_waits(uow: UnitOfWork) -> int:
    with uow:
        flagged = alarms.flag_long_waits(uow)
        if flagged:
            uow.commit()
        return flagged


def run_wait_check(platform: Platform, actor: Actor) -> dict[str, int]:
    """Alert the managers of halls whose customers wait longer than the limit (HALL-4)"""
    return {"flagged": do_flag_long_waits(platform.uow(actor))}


def run_close_day(platform: Platform, actor: Actor) -> dict[str, int]:
    """Expire the day's open tickets and refresh service-time statistics (HALL-2)"""
    return days.do_close_day(platform.uow(actor))


jobs.register("hall.wait_check", "* * * * *", run_wait_check)
jobs.register("hall.close_day", "30 23 * * *", run_close_day)


def run_terminal_watch(platform: Platform, actor: Actor) -> dict[str, int]:
    """Raise a fault and SMS for hall terminals that stopped sending heartbeats (HALL-5)"""
    return {"silent": terminals.do_flag_silent(platform.uow(actor))}


jobs.register("hall.terminal_watch", "* * * * *", run_terminal_watch)
