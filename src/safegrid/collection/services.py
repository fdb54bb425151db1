"""Collection and arrears use cases (BILL-5, BILL-6), one import for web, API, CLI and jobs.

Every ``do_*`` takes a unit of work, runs in one transaction, audits and emits events; the
modules below hold one concept each.
"""

from __future__ import annotations

from safegrid.collection.instalments import do_create_plan, get_plan, split
from safegrid.collection.late_fees import do_accrue_late_fees, do_set_late_fee_rate
from safegrid.collection.monitoring import summary
from safegrid.collection.notices import (
    do_create_notice,
    do_decide_notice,
    do_execute_notice,
    list_notices,
)
from safegrid.collection.reminders import do_send_reminders
from safegrid.collection.reports import get_bill_collection, list_arrears
from safegrid.collection.writeoffs import (
    apply_reversal,
    apply_write_off,
    apply_write_off_oldest_first,
    do_apply_reversal,
    do_write_off,
    do_write_off_oldest_first,
)

__all__ = [
    "apply_reversal",
    "apply_write_off",
    "apply_write_off_oldest_first",
    "do_accrue_late_fees",
    "do_apply_reversal",
    "do_create_notice",
    "do_create_plan",
    "do_decide_notice",
    "do_execute_notice",
    "do_send_reminders",
    "do_set_late_fee_rate",
    "do_write_off",
    "do_write_off_oldest_first",
    "get_bill_collection",
    "get_plan",
    "list_arrears",
    "list_notices",
    "split",
    "summary",
]
