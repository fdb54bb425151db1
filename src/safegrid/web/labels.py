"""How enum values read on screen, grouped by the domain they belong to.

Templates look a value up with ``label(value)``; the msgids are translated in the catalog.
The lookup is by value alone, so one value must read the same wherever it appears:
:func:`_merge` refuses a value two domains would label differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from safegrid.web.i18n import N_

# Customers and org units (BILL-1, ORG-1); record states shared by them.
PARTY_LABELS: Final[dict[str, str]] = {
    "resident": N_("Resident"),
    "enterprise": N_("Enterprise"),
    "active": N_("Active"),
    "closed": N_("Closed"),
    "frozen": N_("Frozen"),
    "disabled": N_("Disabled"),
    "province": N_("Province"),
    "city": N_("City"),
    "county": N_("County"),
    "station": N_("Station"),
    "hall": N_("Service hall"),
}

# Where a change came from, as the audit log records it.
CHANNEL_LABELS: Final[dict[str, str]] = {
    "console": N_("Console"),
    "api": N_("API"),
    "web": N_("Web"),
    "cli": N_("CLI"),
    "job": N_("Job"),
    "schedule": N_("On schedule"),  # a job run's trigger, beside cli and console
}

# Tariffs and bills (BILL-3, BILL-4).
BILLING_LABELS: Final[dict[str, str]] = {
    "residential": N_("Residential"),
    "commercial": N_("Commercial"),
    "industrial": N_("Industrial"),
    "issued": N_("Issued"),
    "reversed": N_("Reversed"),
    "normal": N_("Normal"),
    "running": N_("Running"),
    "completed": N_("Completed"),
    "open": N_("Open"),
    "tiered_annual": N_("Annual tiers"),
    "tiered_monthly": N_("Monthly tiers"),
    "flat": N_("Flat price"),
    "tou": N_("Time of use"),
    "annual": N_("annual"),
    "monthly": N_("monthly"),
}

# Collection and arrears (BILL-5, BILL-6).
COLLECTION_LABELS: Final[dict[str, str]] = {
    "payment": N_("Payment"),
    "adjustment": N_("Adjustment"),
    "reversal": N_("Reversal"),
    "pending": N_("Pending approval"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "executed": N_("Disconnected"),
    "cancelled": N_("Cancelled"),
    "paid": N_("Paid"),
    "partly_paid": N_("Partly paid"),
    "due": N_("Due"),
    "overdue": N_("Overdue"),
    "queued": N_("Queued"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
}

# Scheduled job runs.
JOB_LABELS: Final[dict[str, str]] = {
    "succeeded": N_("Succeeded"),
    "skipped": N_("Skipped"),
}

# Data use (DATA-4).
DATAUSE_LABELS: Final[dict[str, str]] = {
    "pending_head": N_("Waiting for department head"),
    "pending_dso": N_("Waiting for data security officer"),
    "view": N_("View"),
    "export": N_("Export"),
}

# Field terminals and their commands (DATA-7).
TERMINAL_LABELS: Final[dict[str, str]] = {
    "lost": N_("Lost"),
    "wiped": N_("Wiped"),
    "retired": N_("Retired"),
    "wipe": N_("Wipe"),
    "delivered": N_("Delivered"),
    "acknowledged": N_("Acknowledged"),
}

# Classes of sensitive data in the inventory (DATA-1).
DATA_CLASS_LABELS: Final[dict[str, str]] = {
    "class_id_number": N_("ID number"),
    "class_phone": N_("Phone number"),
    "class_address": N_("Detailed address"),
    "class_bank_account": N_("Bank account"),
    "class_credit_code": N_("Credit code"),
    "class_secret": N_("Credential secret"),
}


# Key fields whose change raises an alert (AUD-3), and the alerts of the money flow.
KEY_FIELD_LABELS: Final[dict[str, str]] = {
    "bank_account": N_("Bank account"),
    "payment_status": N_("Payment status"),
    "tariff": N_("Tariff"),
    "meter_multiplier": N_("Meter multiplier"),
    "permissions": N_("Permissions (post)"),
    "deposit_late": N_("Late bank deposit"),
    "callback_tampered": N_("Tampered payment callback"),
    "risk_case": N_("Payment risk case"),
    "inbox_backlog": N_("Payment callbacks waiting for the ledger"),
    "login_spray": N_("Failed sign-ins from one address"),
    "hall_queue": N_("Hall queue over its threshold"),
    "hall_wait": N_("Hall waiting time over its limit"),
    "hall_terminal": N_("Hall terminal fault"),
}

# Payments, the counter and risk (PAY-1..7).
PAYMENT_LABELS: Final[dict[str, str]] = {
    "counter_cash": N_("Counter, cash"),
    "counter_card": N_("Counter, bank card"),
    "online_sandbox": N_("Online (sandbox gateway)"),
    "online_wechat": N_("WeChat Pay"),
    "bank_direct_debit": N_("Bank direct debit"),
    "captured": N_("Captured"),
    "refunded": N_("Refunded"),
    "voided": N_("Voided"),
    "cash": N_("Cash"),
    "card": N_("Bank card"),
    "recorded": N_("Waiting for check"),
    "confirmed": N_("Checked"),
    "void_requested": N_("Void requested"),
    "held": N_("Held for risk review"),
    "extended": N_("Under review, extended"),
    "lifted": N_("Lifted"),
    "step_up": N_("SMS code required"),
    "freeze": N_("Freeze"),
    "review": N_("Manual review"),
}

# Meter reading (BILL-2) and field work (IAM-7).
READING_LABELS: Final[dict[str, str]] = {
    "manual": N_("By hand"),
    "import": N_("File import"),
    "ami": N_("Smart meter (AMI)"),
    "terminal": N_("Handheld terminal"),
    "closed_here": N_("Closed for my unit"),
    "install": N_("Install"),
    "replace": N_("Replace"),
    "inspect": N_("Inspect"),
    "disconnect": N_("Disconnect"),
    "reconnect": N_("Reconnect"),
    "estimated": N_("Estimated"),
    "rollover": N_("Register rollover"),
    "outlier": N_("Outlier"),
    "apportioned": N_("Apportioned"),
    "assigned": N_("Assigned"),
    "done": N_("Done"),
}

# Security operations (OPS-1, OPS-2, OPS-5, OPS-7).
SECOPS_LABELS: Final[dict[str, str]] = {
    "night_export": N_("Bulk export at night"),
    "volume_spike": N_("Volume spike"),
    "new_network": N_("New network"),
    "off_hours": N_("Off-hours access"),
    "departed_token": N_("Departed employee's token used"),
    "grant_reveals": N_("Many reveals under one grant"),
    "many_units": N_("Many units touched"),
    "rule": N_("Detection rule"),
    "manual": N_("By hand"),
    "dry_run": N_("Dry run"),
    "done": N_("Done"),
    "undone": N_("Undone"),
    "new": N_("New"),
    "triaged": N_("Triaged"),
    "fixed": N_("Fixed"),
}


def _merge(*groups: Mapping[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for group in groups:
        for value, msgid in group.items():
            if merged.setdefault(value, msgid) != msgid:
                raise ValueError(f"enum value {value!r} has two labels")
    return merged


ENUM_LABELS: Final[dict[str, str]] = _merge(
    PARTY_LABELS,
    CHANNEL_LABELS,
    BILLING_LABELS,
    COLLECTION_LABELS,
    JOB_LABELS,
    DATAUSE_LABELS,
    TERMINAL_LABELS,
    DATA_CLASS_LABELS,
    KEY_FIELD_LABELS,
    PAYMENT_LABELS,
    READING_LABELS,
    SECOPS_LABELS,
)
