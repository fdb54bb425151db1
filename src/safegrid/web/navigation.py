"""The console menu, grouped by business area, each entry shown to whoever holds its
permission (ADR 0024).

Data only: a new console page adds one :class:`NavItem` to ``NAV`` below, in its area
(``AREAS`` keys); nothing else draws the menu. The start page (待办, ``/``) is not an entry:
it is the brand link and the first item of every menu. Labels are English msgids translated
in the catalog; ``blurb`` is the one-line description shown in the start page's index.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from safegrid.security.actor import Actor
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_


@dataclasses.dataclass(frozen=True)
class NavItem:
    area: str  # a key of AREAS
    path: str
    label: str  # English msgid
    perm: Perm | tuple[Perm, ...] | None  # any one of them; None: every signed-in person
    blurb: str = ""  # msgid of the start page's one-line description


@dataclasses.dataclass(frozen=True)
class NavGroup:
    key: str
    label: str  # English msgid
    items: tuple[NavItem, ...]


# 营业/抄表/核算/收费/资金/安全/系统, in the order a county utility names its departments.
AREAS: Final[dict[str, str]] = {
    "service": N_("Customer service"),
    "metering": N_("Meter reading"),
    "billing": N_("Billing"),
    "charges": N_("Charges"),
    "funds": N_("Funds"),
    "security": N_("Security"),
    "system": N_("System"),
}

NAV: Final[tuple[NavItem, ...]] = (
    NavItem(
        "service",
        "/customers",
        N_("Customers"),
        Perm.CUSTOMERS_VIEW,
        N_("Search the customer archive, open a customer's accounts, meters and contracts."),
    ),
    NavItem(
        "metering", "/meters", N_("Meters"), Perm.METERS_VIEW, N_("Meter assets of your area.")
    ),
    NavItem(
        "metering",
        "/readings",
        N_("Meter readings"),
        Perm.READINGS_VIEW,
        N_("Enter and import readings, close a month for billing."),
    ),
    NavItem(
        "metering",
        "/readings/reviews",
        N_("Abnormal readings to review"),
        Perm.READINGS_SUPERVISE,
        N_("Readings a reader confirmed as unusual: accept to store, or reject to read again."),
    ),
    NavItem(
        "metering",
        "/readings/corrections",
        N_("Usage corrections"),
        Perm.READINGS_VIEW,
        N_("A closed month's wrong usage: proposed with evidence, approved by another person."),
    ),
    NavItem(
        "charges",
        "/collection",
        N_("Collection"),
        Perm.COLLECTION_VIEW,
        N_("Billed, collected, written off and outstanding by unit, live."),
    ),
    NavItem(
        "charges",
        "/arrears",
        N_("Arrears"),
        Perm.COLLECTION_VIEW,
        N_("Overdue bills, late fees, reminders and disconnection notices."),
    ),
    NavItem(
        "charges",
        "/analytics/arrears-risk",
        N_("Arrears risk"),
        Perm.COLLECTION_VIEW,
        N_("New bills most at risk of going unpaid, early reminders and instalment offers."),
    ),
    NavItem(
        "service",
        "/analytics/tariff-advice",
        N_("Tariff advice"),
        Perm.CUSTOMERS_VIEW,
        N_("Which customers would pay less on another tariff, priced on their own readings."),
    ),
    NavItem(
        "service",
        "/analytics/profiles",
        N_("Customer profiles"),
        Perm.CUSTOMERS_VIEW,
        N_("Learned customer profiles and each customer's most similar customers."),
    ),
    NavItem(
        "metering",
        "/analytics/forecast",
        N_("Load forecast"),
        Perm.READINGS_VIEW,
        N_("A region's daily kWh forecast from its own readings, beside what was read."),
    ),
    NavItem(
        "security",
        "/analytics/theft",
        N_("Theft suspects"),
        Perm.WORKORDERS_VIEW,
        N_("Each unit's most suspicious meters, the reason in words and the inspection."),
    ),
    NavItem(
        "charges",
        "/notifications",
        N_("Notifications"),
        Perm.NOTIFICATIONS_VIEW,
        N_("Messages sent to customers and staff (the outbox)."),
    ),
    NavItem(
        "billing",
        "/billing",
        N_("Bill runs"),
        Perm.BILLS_VIEW,
        N_("Issue a closed period's bills for your area and follow the runs."),
    ),
    NavItem(
        "billing",
        "/bills",
        N_("Bills"),
        Perm.BILLS_VIEW,
        N_("Every bill with its explanation line by line: tier, kWh, price, amount."),
    ),
    NavItem(
        "billing",
        "/tariffs",
        N_("Tariffs"),
        Perm.TARIFFS_VIEW,
        N_("Residential tiers, time-of-use and business prices, by effective date."),
    ),
    NavItem(
        "service",
        "/hall",
        N_("Business halls"),
        Perm.HALL_VIEW,
        N_("Live queues, windows and ratings of the halls you are responsible for."),
    ),
    NavItem(
        "service",
        "/hall/feedback",
        N_("Portal feedback"),
        Perm.HALL_SERVE,
        N_("Complaints and suggestions customers filed on the portal, waiting for your answer."),
    ),
    NavItem(
        "service",
        "/applications",
        N_("Business applications"),
        Perm.HALL_VIEW,
        N_("New connections and capacity increases to pre-accept: documents, deadlines, history."),
    ),
    NavItem(
        "system",
        "/org",
        N_("Org units"),
        Perm.ORG_VIEW,
        N_("The unit tree you are responsible for."),
    ),
    NavItem(
        "system",
        "/staff",
        N_("Staff"),
        Perm.STAFF_VIEW,
        N_("Staff accounts, posts and last sign-in."),
    ),
    NavItem(
        "metering",
        "/terminals",
        N_("Field terminals"),
        Perm.TERMINALS_VIEW,
        N_("Handheld reading terminals: registration, uploads, loss and remote wipe."),
    ),
    NavItem(
        "security",
        "/data/inventory",
        N_("Data inventory"),
        Perm.DATA_INVENTORY_VIEW,
        N_("Which tables hold which classes of sensitive data, how protected, how many rows."),
    ),
    NavItem(
        "security",
        "/datause",
        N_("Data use"),
        (
            Perm.DATAUSE_REQUEST,
            Perm.DATAUSE_APPROVE_HEAD,
            Perm.DATAUSE_APPROVE_DSO,
            Perm.ACCESS_LOG_VIEW,
        ),
        N_("Requests to see sensitive data unmasked, approvals, grants, access log, exports."),
    ),
    NavItem(
        "charges",
        "/counter/desk",
        N_("Counter"),
        Perm.COUNTER_PAY,
        N_("Take payments by account number and print the receipt."),
    ),
    NavItem(
        "funds",
        "/counter/check",
        N_("Receipt check"),
        Perm.COUNTER_CHECK,
        N_("Confirm each receipt of your hall against the cash; co-sign voids."),
    ),
    NavItem(
        "funds",
        "/counter/settlement",
        N_("Daily settlement"),
        Perm.COUNTER_SETTLE,
        N_("Drawer balance, safe and the bank deposit by two people before 15:00."),
    ),
    NavItem(
        "funds",
        "/counter/offline-cases",
        N_("Offline payment cases"),
        Perm.COUNTER_SETTLE,
        N_("Payments a hall took while cut off that a person must settle (credit or cash)."),
    ),
    NavItem(
        "funds",
        "/counter/trace",
        N_("Cash trace"),
        Perm.COUNTER_TRACE,
        N_("Follow any yuan from its receipt to the bank voucher, and back."),
    ),
    NavItem(
        "charges",
        "/payments",
        N_("Payments"),
        Perm.PAYMENTS_VIEW,
        N_("Search payments, trace every yuan to its bills, receipt and bank voucher."),
    ),
    NavItem(
        "charges",
        "/payments/refunds",
        N_("Refund requests"),
        Perm.PAYMENTS_VIEW,
        N_("Refunds asked for at the counter, approved by finance or a department head."),
    ),
    NavItem(
        "funds",
        "/payments/inbox",
        N_("Callback inbox"),
        Perm.PAYMENTS_VIEW,
        N_("Online payments acknowledged to the channel: waiting for the ledger, or for a person."),
    ),
    NavItem(
        "security",
        "/payments/risk/cases",
        N_("Risk cases"),
        Perm.RISK_CASES_VIEW,
        N_("Accounts suspended by the payment risk rules, to lift, confirm or extend."),
    ),
    NavItem(
        "security",
        "/payments/risk/rules",
        N_("Risk rules"),
        Perm.RISK_RULES_VIEW,
        N_("Thresholds, windows and actions of the payment risk rules, by version."),
    ),
    NavItem(
        "funds",
        "/reconciliation",
        N_("Reconciliation"),
        Perm.RECON_VIEW,
        N_(
            "The month's payments against the bank statements: green, yellow and red items and their cases."
        ),
    ),
    NavItem(
        "funds",
        "/reconciliation/statements",
        N_("Bank statements"),
        Perm.RECON_WORK,
        N_("Upload a bank statement: preview what it holds, then import it all or nothing."),
    ),
    NavItem(
        "funds",
        "/reconciliation/cases",
        N_("Reconciliation cases"),
        Perm.RECON_VIEW,
        N_(
            "Red items to explain within 5 working days: owner, cause, evidence, second-person close."
        ),
    ),
    NavItem(
        "funds",
        "/reconciliation/report",
        N_("Reconciliation report"),
        Perm.RECON_VIEW,
        N_("The month's report: preview, sign-off by the leader in charge, signed Excel and PDF."),
    ),
    NavItem(
        "metering",
        "/workorders",
        N_("Work orders"),
        Perm.WORKORDERS_VIEW,
        N_("Field work orders; contractors see only the meters of their own."),
    ),
    NavItem(
        "metering",
        "/fieldwork/safety",
        N_("Field safety"),
        Perm.FIELD_SAFETY_VIEW,
        N_("Orders by state, overdue tool kits, weather blocks, alarms and rectifications."),
    ),
    NavItem(
        "metering",
        "/field",
        N_("Field app"),
        Perm.FIELD_WORK,
        N_("The phone app for field orders, 三查三测 checklists and readings, also offline."),
    ),
    NavItem(
        "system",
        "/governance/permission-changes",
        N_("Permission changes"),
        Perm.PERMCHANGE_APPLY,
        N_("Apply for a change of post; leaders, heads and administrators decide in turn."),
    ),
    NavItem(
        "system",
        "/governance/training",
        N_("Security training"),
        Perm.STAFF_LIFECYCLE,
        N_("Training records of new staff and account activation."),
    ),
    NavItem(
        "system",
        "/governance/idle-accounts",
        N_("Idle accounts"),
        Perm.STAFF_LIFECYCLE,
        N_("Accounts unused for more than 30 days, to disable or keep."),
    ),
    NavItem(
        "security",
        "/governance/departures",
        N_("Departures"),
        Perm.DEPARTURES_VIEW,
        N_("HR departure notices, account freezes and the 4-hour compliance report."),
    ),
    NavItem(
        "security",
        "/alerts",
        N_("Key-field alerts"),
        Perm.ALERTS_VIEW,
        N_("Changes of bank accounts, payment status, tariffs, multipliers and posts."),
    ),
    NavItem(
        "system",
        "/jobs",
        N_("Scheduled jobs"),
        Perm.JOBS_VIEW,
        N_("Hourly purge, retention and daily runs: schedules and last results."),
    ),
    NavItem(
        "security",
        "/audit",
        N_("Audit log"),
        Perm.AUDIT_VIEW,
        N_("The tamper-evident log of every change; verify the hash chain."),
    ),
    NavItem(
        "security",
        "/secops/posture",
        N_("Security posture"),
        Perm.SECOPS_VIEW,
        N_("Detections, cases, weak accounts, grants, keys, backups and drills in one place."),
    ),
    NavItem(
        "security",
        "/secops/hazards",
        N_("Hazard reports"),
        Perm.HAZARDS_MANAGE,
        N_("安全随手拍: triage, fix and reward the hazards anyone reported."),
    ),
    NavItem(
        "security",
        "/secops/offline-nodes",
        N_("Offline hall nodes"),
        Perm.SECOPS_MANAGE,
        N_("Register a hall's local node, give it its one-time pairing code, revoke it."),
    ),
)


def nav_for(actor: Actor | None) -> list[NavItem]:
    if actor is None:
        return []
    return [item for item in NAV if _may_use(actor, item.perm)]


def _may_use(actor: Actor, perm: Perm | tuple[Perm, ...] | None) -> bool:
    if perm is None:
        return True
    return any(actor.can(p) for p in (perm if isinstance(perm, tuple) else (perm,)))


def nav_groups(actor: Actor | None) -> list[NavGroup]:
    """The areas the person works in, each with only the entries their post uses; an area
    with nothing for them is left out."""
    mine = nav_for(actor)
    groups = []
    for key, label in AREAS.items():
        items = tuple(item for item in mine if item.area == key)
        if items:
            groups.append(NavGroup(key, label, items))
    return groups


def api_docs_for(actor: Actor | None) -> bool:
    """The API documentation is for those who connect other systems or check what they
    receive (the event-feed readers: administrators, data security, auditors)."""
    return actor is not None and actor.can(Perm.EVENTS_VIEW)


def _check_areas() -> None:
    unknown = {item.area for item in NAV} - AREAS.keys()
    if unknown:
        raise ValueError(f"navigation entries name unknown areas: {sorted(unknown)}")


_check_areas()
