"""The console menu: one entry per area, shown to whoever holds its permission.

The dashboard draws a card per entry with its ``blurb``; labels are English msgids
translated in the catalog.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from safegrid.security.actor import Actor
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_


@dataclasses.dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # English msgid
    perm: Perm | None
    blurb: str = ""  # msgid of the dashboard card text


NAV: Final[tuple[NavItem, ...]] = (
    NavItem("/", N_("Dashboard"), None),
    NavItem(
        "/customers",
        N_("Customers"),
        Perm.CUSTOMERS_VIEW,
        N_("Search the customer archive, open a customer's accounts, meters and contracts."),
    ),
    NavItem("/meters", N_("Meters"), Perm.METERS_VIEW, N_("Meter assets of your area.")),
    NavItem(
        "/readings",
        N_("Meter readings"),
        Perm.READINGS_VIEW,
        N_("Enter and import readings, close a month for billing."),
    ),
    NavItem(
        "/collection",
        N_("Collection"),
        Perm.COLLECTION_VIEW,
        N_("Billed, collected, written off and outstanding by unit, live."),
    ),
    NavItem(
        "/arrears",
        N_("Arrears"),
        Perm.COLLECTION_VIEW,
        N_("Overdue bills, late fees, reminders and disconnection notices."),
    ),
    NavItem(
        "/notifications",
        N_("Notifications"),
        Perm.NOTIFICATIONS_VIEW,
        N_("Messages sent to customers and staff (the outbox)."),
    ),
    NavItem(
        "/billing",
        N_("Bill runs"),
        Perm.BILLS_VIEW,
        N_("Issue a closed period's bills for your area and follow the runs."),
    ),
    NavItem(
        "/bills",
        N_("Bills"),
        Perm.BILLS_VIEW,
        N_("Every bill with its explanation line by line: tier, kWh, price, amount."),
    ),
    NavItem(
        "/tariffs",
        N_("Tariffs"),
        Perm.TARIFFS_VIEW,
        N_("Residential tiers, time-of-use and business prices, by effective date."),
    ),
    NavItem("/org", N_("Org units"), Perm.ORG_VIEW, N_("The unit tree you are responsible for.")),
    NavItem("/staff", N_("Staff"), Perm.STAFF_VIEW, N_("Staff accounts, posts and last sign-in.")),
    NavItem(
        "/terminals",
        N_("Field terminals"),
        Perm.TERMINALS_VIEW,
        N_("Handheld reading terminals: registration, uploads, loss and remote wipe."),
    ),
    NavItem(
        "/data/inventory",
        N_("Data inventory"),
        Perm.DATA_INVENTORY_VIEW,
        N_("Which tables hold which classes of sensitive data, how protected, how many rows."),
    ),
    NavItem(
        "/datause",
        N_("Data use"),
        None,
        N_("Requests to see sensitive data unmasked, approvals, grants, access log, exports."),
    ),
    NavItem(
        "/counter/desk",
        N_("Counter"),
        Perm.COUNTER_PAY,
        N_("Take payments by account number and print the receipt."),
    ),
    NavItem(
        "/counter/check",
        N_("Receipt check"),
        Perm.COUNTER_CHECK,
        N_("Confirm each receipt of your hall against the cash; co-sign voids."),
    ),
    NavItem(
        "/counter/settlement",
        N_("Daily settlement"),
        Perm.COUNTER_SETTLE,
        N_("Drawer balance, safe and the bank deposit by two people before 15:00."),
    ),
    NavItem(
        "/counter/trace",
        N_("Cash trace"),
        Perm.COUNTER_TRACE,
        N_("Follow any yuan from its receipt to the bank voucher, and back."),
    ),
    NavItem(
        "/payments",
        N_("Payments"),
        Perm.PAYMENTS_VIEW,
        N_("Search payments, trace every yuan to its bills, receipt and bank voucher."),
    ),
    NavItem(
        "/payments/refunds",
        N_("Refund requests"),
        Perm.PAYMENTS_VIEW,
        N_("Refunds asked for at the counter, approved by finance or a department head."),
    ),
    NavItem(
        "/payments/inbox",
        N_("Callback inbox"),
        Perm.PAYMENTS_VIEW,
        N_("Online payments acknowledged to the channel: waiting for the ledger, or for a person."),
    ),
    NavItem(
        "/payments/risk/cases",
        N_("Risk cases"),
        Perm.RISK_CASES_VIEW,
        N_("Accounts suspended by the payment risk rules, to lift, confirm or extend."),
    ),
    NavItem(
        "/payments/risk/rules",
        N_("Risk rules"),
        Perm.RISK_RULES_VIEW,
        N_("Thresholds, windows and actions of the payment risk rules, by version."),
    ),
    NavItem(
        "/workorders",
        N_("Work orders"),
        Perm.WORKORDERS_VIEW,
        N_("Field work orders; contractors see only the meters of their own."),
    ),
    NavItem(
        "/governance/permission-changes",
        N_("Permission changes"),
        Perm.PERMCHANGE_APPLY,
        N_("Apply for a change of post; leaders, heads and administrators decide in turn."),
    ),
    NavItem(
        "/governance/training",
        N_("Security training"),
        Perm.STAFF_LIFECYCLE,
        N_("Training records of new staff and account activation."),
    ),
    NavItem(
        "/governance/idle-accounts",
        N_("Idle accounts"),
        Perm.STAFF_LIFECYCLE,
        N_("Accounts unused for more than 30 days, to disable or keep."),
    ),
    NavItem(
        "/governance/departures",
        N_("Departures"),
        Perm.DEPARTURES_VIEW,
        N_("HR departure notices, account freezes and the 4-hour compliance report."),
    ),
    NavItem(
        "/alerts",
        N_("Key-field alerts"),
        Perm.ALERTS_VIEW,
        N_("Changes of bank accounts, payment status, tariffs, multipliers and posts."),
    ),
    NavItem(
        "/jobs",
        N_("Scheduled jobs"),
        Perm.JOBS_VIEW,
        N_("Hourly purge, retention and daily runs: schedules and last results."),
    ),
    NavItem(
        "/audit",
        N_("Audit log"),
        Perm.AUDIT_VIEW,
        N_("The tamper-evident log of every change; verify the hash chain."),
    ),
    NavItem(
        "/secops/posture",
        N_("Security posture"),
        Perm.SECOPS_VIEW,
        N_("Detections, cases, weak accounts, grants, keys, backups and drills in one place."),
    ),
    NavItem(
        "/secops/hazards",
        N_("Hazard reports"),
        Perm.HAZARDS_MANAGE,
        N_("安全随手拍: triage, fix and reward the hazards anyone reported."),
    ),
)


def nav_for(actor: Actor | None) -> list[NavItem]:
    if actor is None:
        return []
    return [item for item in NAV if item.perm is None or actor.can(item.perm)]
