"""Posts and their permissions, declared once (IAM-1).

A permission is ``<area>.<verb>``. Every route names the permission it needs; the
permission matrix in ``tests/permissions`` is generated from this table.
"""

from __future__ import annotations

import enum
from typing import Final


class Post(enum.StrEnum):
    METER_READER = "meter_reader"
    CASHIER = "cashier"
    CHECKER = "checker"
    FINANCE = "finance"
    HALL_AGENT = "hall_agent"
    HALL_MANAGER = "hall_manager"
    FIELD_WORKER = "field_worker"
    SAFETY_SUPERVISOR = "safety_supervisor"
    TEAM_LEADER = "team_leader"
    DEPARTMENT_HEAD = "department_head"
    DATA_SECURITY_OFFICER = "data_security_officer"
    SYSTEM_ADMIN = "system_admin"
    AUDITOR = "auditor"
    CONTRACTOR = "contractor"


POST_LABELS: Final[dict[Post, tuple[str, str]]] = {
    Post.METER_READER: ("抄表员", "Meter reader"),
    Post.CASHIER: ("收费员", "Cashier"),
    Post.CHECKER: ("复核员", "Checker"),
    Post.FINANCE: ("财务核算", "Finance"),
    Post.HALL_AGENT: ("营业厅柜员", "Hall agent"),
    Post.HALL_MANAGER: ("营业厅主任", "Hall manager"),
    Post.FIELD_WORKER: ("现场作业人员", "Field worker"),
    Post.SAFETY_SUPERVISOR: ("安全监护人", "Safety supervisor"),
    Post.TEAM_LEADER: ("班组长", "Team leader"),
    Post.DEPARTMENT_HEAD: ("部门负责人", "Department head"),
    Post.DATA_SECURITY_OFFICER: ("数据安全专员", "Data security officer"),
    Post.SYSTEM_ADMIN: ("系统管理员", "System administrator"),
    Post.AUDITOR: ("审计员", "Auditor"),
    Post.CONTRACTOR: ("外包人员", "Contractor"),
}


class Perm(enum.StrEnum):
    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"
    CUSTOMERS_VIEW = "customers.view"
    CUSTOMERS_EDIT = "customers.edit"
    METERS_VIEW = "meters.view"
    METERS_EDIT = "meters.edit"
    STAFF_VIEW = "staff.view"
    STAFF_MANAGE = "staff.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_VERIFY = "audit.verify"
    COLLECTION_VIEW = "collection.view"
    COLLECTION_MANAGE = "collection.manage"
    ARREARS_APPROVE = "arrears.approve"
    NOTIFICATIONS_VIEW = "notifications.view"
    TARIFFS_VIEW = "tariffs.view"
    TARIFFS_MANAGE = "tariffs.manage"
    BILLS_VIEW = "bills.view"
    BILLS_RUN = "bills.run"
    BILLS_REVERSE = "bills.reverse"
    READINGS_VIEW = "readings.view"
    READINGS_ENTER = "readings.enter"
    READINGS_IMPORT = "readings.import"
    READINGS_CLOSE = "readings.close"
    # Reading supervisor: walking order of the books, review of abnormal readings.
    READINGS_SUPERVISE = "readings.supervise"
    # Account lifecycle (IAM-4..8).
    PERMCHANGE_APPLY = "permchange.apply"
    PERMCHANGE_APPROVE_LEADER = "permchange.approve_leader"
    PERMCHANGE_APPROVE_HEAD = "permchange.approve_head"
    PERMCHANGE_EXECUTE = "permchange.execute"
    DEPARTURES_RECORD = "departures.record"
    DEPARTURES_VIEW = "departures.view"
    STAFF_LIFECYCLE = "staff.lifecycle"
    WORKORDERS_VIEW = "workorders.view"
    WORKORDERS_ASSIGN = "workorders.assign"
    # Field work safety (FLD-1..8): the crew's own steps and sync; the safety dashboard;
    # kits, kit tests, rectification, team results, supervision draws.
    FIELD_WORK = "fieldwork.work"
    FIELD_SAFETY_VIEW = "fieldwork.safety_view"
    FIELD_SAFETY_MANAGE = "fieldwork.safety_manage"
    # Data use (DATA-4, DATA-5): request a grant, the two approval steps, the access log.
    DATAUSE_REQUEST = "datause.request"
    DATAUSE_APPROVE_HEAD = "datause.approve_head"
    DATAUSE_APPROVE_DSO = "datause.approve_dso"
    ACCESS_LOG_VIEW = "access_log.view"
    EXPORT_CUSTOMERS = "exports.customers"
    # A searched view of the audit log as a watermarked file (issue 13).
    EXPORT_AUDIT = "exports.audit"
    # Field terminals (DATA-7): the registry, registration, loss and remote wipe.
    TERMINALS_VIEW = "terminals.view"
    TERMINALS_MANAGE = "terminals.manage"
    # Data protection (DATA-1, DATA-2): the generated data inventory; data key rotation.
    DATA_INVENTORY_VIEW = "data.inventory"
    KEYS_MANAGE = "keys.manage"
    # Key-field alerts (AUD-3) and scheduled jobs (DATA-6, AUD-4).
    ALERTS_VIEW = "alerts.view"
    ALERTS_ACK = "alerts.ack"
    JOBS_VIEW = "jobs.view"
    JOBS_RUN = "jobs.run"
    # Counter and daily cash (PAY-1, PAY-2): take payments, confirm them, settle the drawer
    # and deposit the cash, trace a yuan from its receipt to the bank voucher.
    COUNTER_VIEW = "counter.view"
    COUNTER_PAY = "counter.pay"
    COUNTER_CHECK = "counter.check"
    COUNTER_VOID = "counter.void"
    COUNTER_SETTLE = "counter.settle"
    COUNTER_TRACE = "counter.trace"
    # Payment risk engine (PAY-4, PAY-5): reviewers work the risk cases; rules are configured.
    RISK_CASES_VIEW = "risk.cases_view"
    RISK_CASES_DECIDE = "risk.cases_decide"
    RISK_RULES_VIEW = "risk.rules_view"
    RISK_RULES_MANAGE = "risk.rules_manage"
    # Payment ledger (PAY-7): search and trace payments; refunds are requested by the
    # counter or hall and approved by finance or a department head (not the requester).
    PAYMENTS_VIEW = "payments.view"
    REFUNDS_REQUEST = "refunds.request"
    REFUNDS_APPROVE = "refunds.approve"
    # The callback inbox (ADR 0013): put a row that failed repeatedly back to the applier.
    PAYMENTS_INBOX_MANAGE = "payments.inbox_manage"
    # The outbox relay (ADR 0016): see the backlog; manage webhooks, re-queue dead deliveries.
    EVENTS_VIEW = "events.view"
    EVENTS_MANAGE = "events.manage"
    # Reconciliation (REC-1..4): statements, matching, cases.
    RECON_VIEW = "reconciliation.view"
    RECON_WORK = "reconciliation.work"
    RECON_SIGN = "reconciliation.sign"
    # Business hall (HALL-1..9): watch the monitor, serve at a window, configure halls,
    # windows and the outbound feed's subscribers.
    HALL_VIEW = "hall.view"
    HALL_SERVE = "hall.serve"
    HALL_MANAGE = "hall.manage"
    # Security operations (OPS-1..8): the posture and detections; running response
    # playbooks; approving an unfreeze; editing playbooks (an administration function).
    SECOPS_VIEW = "secops.view"
    SECOPS_RESPOND = "secops.respond"
    SECOPS_APPROVE = "secops.approve"
    SECOPS_MANAGE = "secops.manage"
    # Hazard reports (OPS-7): triage, assignment, fix and rewards.
    HAZARDS_MANAGE = "hazards.manage"


# Whoever sees the (masked) archive may ask to see a value unmasked (DATA-4).
_READ_ARCHIVE = {Perm.ORG_VIEW, Perm.CUSTOMERS_VIEW, Perm.METERS_VIEW, Perm.DATAUSE_REQUEST}
# 抄表 (BILL-2): readers enter and upload readings; closing a month is a head's decision.
_READ_READINGS = {Perm.READINGS_VIEW}
_TAKE_READINGS = {Perm.READINGS_VIEW, Perm.READINGS_ENTER, Perm.READINGS_IMPORT}
# Bills and the prices behind them: whoever answers a customer's question about a bill.
_READ_BILLS = {Perm.BILLS_VIEW, Perm.TARIFFS_VIEW}
# 核算: issuing a period's bills and correcting one by a reversal (BILL-4).
_ISSUE_BILLS = {Perm.BILLS_RUN, Perm.BILLS_REVERSE}
# 收费: write-offs, instalment plans, disconnection notices (BILL-5, BILL-6).
_MANAGE_COLLECTION = {Perm.COLLECTION_VIEW, Perm.COLLECTION_MANAGE, Perm.NOTIFICATIONS_VIEW}

POLICY: Final[dict[Post, frozenset[Perm]]] = {
    Post.METER_READER: frozenset(_TAKE_READINGS | {Perm.ORG_VIEW, Perm.METERS_VIEW}),
    Post.CASHIER: frozenset(_READ_READINGS | _READ_ARCHIVE | _READ_BILLS | {Perm.COLLECTION_VIEW}),
    Post.CHECKER: frozenset(_READ_READINGS | _READ_ARCHIVE | _READ_BILLS | {Perm.COLLECTION_VIEW}),
    Post.FINANCE: frozenset(
        _READ_READINGS | _READ_ARCHIVE | _READ_BILLS | _ISSUE_BILLS | _MANAGE_COLLECTION
    ),
    Post.HALL_AGENT: frozenset(
        _READ_READINGS | _READ_ARCHIVE | _READ_BILLS | {Perm.CUSTOMERS_EDIT}
    ),
    Post.HALL_MANAGER: frozenset(
        _READ_READINGS
        | _READ_ARCHIVE
        | _READ_BILLS
        | {Perm.CUSTOMERS_EDIT, Perm.STAFF_VIEW, Perm.EXPORT_CUSTOMERS}
    ),
    Post.FIELD_WORKER: frozenset({Perm.ORG_VIEW, Perm.METERS_VIEW}),
    Post.SAFETY_SUPERVISOR: frozenset({Perm.ORG_VIEW, Perm.METERS_VIEW, Perm.STAFF_VIEW}),
    Post.TEAM_LEADER: frozenset(
        _TAKE_READINGS
        | {Perm.READINGS_SUPERVISE}
        | _READ_ARCHIVE
        | _READ_BILLS
        | {Perm.STAFF_VIEW, Perm.TERMINALS_VIEW}
    ),
    Post.DEPARTMENT_HEAD: frozenset(
        _TAKE_READINGS
        | {Perm.READINGS_CLOSE, Perm.READINGS_SUPERVISE}
        | _READ_ARCHIVE
        | _READ_BILLS
        | _ISSUE_BILLS
        | _MANAGE_COLLECTION
        | {Perm.ARREARS_APPROVE}
        | {Perm.CUSTOMERS_EDIT, Perm.METERS_EDIT, Perm.STAFF_VIEW, Perm.TARIFFS_MANAGE}
        | {Perm.DATAUSE_APPROVE_HEAD, Perm.EXPORT_CUSTOMERS}
    ),
    Post.DATA_SECURITY_OFFICER: frozenset(
        {
            Perm.ORG_VIEW,
            Perm.STAFF_VIEW,
            Perm.AUDIT_VIEW,
            Perm.AUDIT_VERIFY,
            Perm.NOTIFICATIONS_VIEW,
            Perm.DATAUSE_APPROVE_DSO,
            Perm.ACCESS_LOG_VIEW,
        }
    ),
    Post.SYSTEM_ADMIN: frozenset(
        {
            Perm.ORG_VIEW,
            Perm.ORG_MANAGE,
            Perm.STAFF_VIEW,
            Perm.STAFF_MANAGE,
            Perm.METERS_EDIT,
            Perm.METERS_VIEW,
            Perm.TERMINALS_VIEW,
            Perm.TERMINALS_MANAGE,
        }
    ),
    Post.AUDITOR: frozenset(
        _READ_READINGS
        | _READ_ARCHIVE
        | _READ_BILLS
        | {Perm.STAFF_VIEW, Perm.AUDIT_VIEW, Perm.AUDIT_VERIFY, Perm.ACCESS_LOG_VIEW}
        | {Perm.COLLECTION_VIEW, Perm.NOTIFICATIONS_VIEW}
    ),
    Post.CONTRACTOR: frozenset({Perm.METERS_VIEW}),
}


# Account lifecycle (IAM-4..8), granted in one block: every staff member may apply for a
# permission change (auditors are read-only, contractors are outsiders); a team leader then a
# department head approve; a system administrator executes, records departures, activates
# trained staff and disables idle accounts. Contractors see work orders assigned to them.
_LIFECYCLE: Final[dict[Post, frozenset[Perm]]] = {
    **{
        post: frozenset({Perm.PERMCHANGE_APPLY})
        for post in Post
        if post not in (Post.AUDITOR, Post.CONTRACTOR)
    },
    Post.FIELD_WORKER: frozenset({Perm.PERMCHANGE_APPLY, Perm.WORKORDERS_VIEW}),
    Post.SAFETY_SUPERVISOR: frozenset({Perm.PERMCHANGE_APPLY, Perm.WORKORDERS_VIEW}),
    Post.TEAM_LEADER: frozenset(
        {
            Perm.PERMCHANGE_APPLY,
            Perm.PERMCHANGE_APPROVE_LEADER,
            Perm.WORKORDERS_VIEW,
            Perm.WORKORDERS_ASSIGN,
        }
    ),
    Post.DEPARTMENT_HEAD: frozenset(
        {
            Perm.PERMCHANGE_APPLY,
            Perm.PERMCHANGE_APPROVE_HEAD,
            Perm.DEPARTURES_RECORD,
            Perm.DEPARTURES_VIEW,
            Perm.WORKORDERS_VIEW,
            Perm.WORKORDERS_ASSIGN,
        }
    ),
    Post.DATA_SECURITY_OFFICER: frozenset({Perm.PERMCHANGE_APPLY, Perm.DEPARTURES_VIEW}),
    Post.SYSTEM_ADMIN: frozenset(
        {
            Perm.PERMCHANGE_APPLY,
            Perm.PERMCHANGE_EXECUTE,
            Perm.DEPARTURES_RECORD,
            Perm.DEPARTURES_VIEW,
            Perm.STAFF_LIFECYCLE,
        }
    ),
    Post.AUDITOR: frozenset({Perm.DEPARTURES_VIEW, Perm.WORKORDERS_VIEW}),
    Post.CONTRACTOR: frozenset({Perm.WORKORDERS_VIEW}),
}
for _post, _extra in _LIFECYCLE.items():
    POLICY[_post] = POLICY[_post] | _extra


# Data protection (DATA-1, DATA-2): the data security officer and the auditor read the
# inventory of sensitive data; the system administrator rotates data keys.
POLICY[Post.DATA_SECURITY_OFFICER] |= {Perm.DATA_INVENTORY_VIEW}
POLICY[Post.AUDITOR] |= {Perm.DATA_INVENTORY_VIEW}
# Those who read the audit log may take a searched view of it away, watermarked (issue 13).
POLICY[Post.DATA_SECURITY_OFFICER] |= {Perm.EXPORT_AUDIT}
POLICY[Post.AUDITOR] |= {Perm.EXPORT_AUDIT}
POLICY[Post.SYSTEM_ADMIN] |= {Perm.KEYS_MANAGE}


# Key-field alerts (AUD-3): the data security officer and department heads work the inbox,
# auditors read it. Scheduled jobs: the system administrator sees runs and starts one.
_ALERTS = frozenset({Perm.ALERTS_VIEW, Perm.ALERTS_ACK})
POLICY[Post.DATA_SECURITY_OFFICER] |= _ALERTS
POLICY[Post.DEPARTMENT_HEAD] |= _ALERTS
POLICY[Post.AUDITOR] |= {Perm.ALERTS_VIEW}
POLICY[Post.SYSTEM_ADMIN] |= {Perm.JOBS_VIEW, Perm.JOBS_RUN}
# Events leaving the platform (ADR 0016): the system administrator runs the webhooks; the
# data security officer and auditors see what is subscribed and what is stuck.
POLICY[Post.SYSTEM_ADMIN] |= {Perm.EVENTS_VIEW, Perm.EVENTS_MANAGE}
POLICY[Post.DATA_SECURITY_OFFICER] |= {Perm.EVENTS_VIEW}
POLICY[Post.AUDITOR] |= {Perm.EVENTS_VIEW}


# Payment risk (PAY-4, PAY-5): the data security officer and finance review risk cases (lift,
# confirm, extend); the system administrator configures the rules; auditors read both.
_RISK_REVIEW = frozenset({Perm.RISK_CASES_VIEW, Perm.RISK_CASES_DECIDE, Perm.RISK_RULES_VIEW})
POLICY[Post.DATA_SECURITY_OFFICER] |= _RISK_REVIEW
POLICY[Post.FINANCE] |= _RISK_REVIEW
POLICY[Post.SYSTEM_ADMIN] |= {Perm.RISK_RULES_VIEW, Perm.RISK_RULES_MANAGE}
POLICY[Post.AUDITOR] |= {Perm.RISK_CASES_VIEW, Perm.RISK_RULES_VIEW}


# Counter (PAY-1, PAY-2): the cashier takes money, the checker confirms it (separation of
# duties is enforced per receipt by the service); both settle the drawer and deposit the cash
# with the hall manager; finance, department heads and auditors trace receipts to the bank.
_COUNTER_DESK = {Perm.COUNTER_VIEW, Perm.COUNTER_VOID, Perm.COUNTER_SETTLE}
POLICY[Post.CASHIER] |= _COUNTER_DESK | {Perm.COUNTER_PAY}
POLICY[Post.CHECKER] |= _COUNTER_DESK | {Perm.COUNTER_CHECK}
POLICY[Post.HALL_MANAGER] |= {Perm.COUNTER_VIEW, Perm.COUNTER_SETTLE, Perm.COUNTER_TRACE}
POLICY[Post.FINANCE] |= {Perm.COUNTER_VIEW, Perm.COUNTER_TRACE}
POLICY[Post.DEPARTMENT_HEAD] |= {Perm.COUNTER_VIEW, Perm.COUNTER_TRACE}
POLICY[Post.AUDITOR] |= {Perm.COUNTER_VIEW, Perm.COUNTER_TRACE}


# Payments and refunds (PAY-7): search and trace for those who answer for the money; a
# refund is asked for at the counter or hall and approved by finance or a department head.
POLICY[Post.CASHIER] |= {Perm.PAYMENTS_VIEW, Perm.REFUNDS_REQUEST}
POLICY[Post.HALL_AGENT] |= {Perm.PAYMENTS_VIEW, Perm.REFUNDS_REQUEST}
POLICY[Post.HALL_MANAGER] |= {Perm.PAYMENTS_VIEW}
POLICY[Post.CHECKER] |= {Perm.PAYMENTS_VIEW}
POLICY[Post.FINANCE] |= {
    Perm.PAYMENTS_VIEW,
    Perm.REFUNDS_REQUEST,
    Perm.REFUNDS_APPROVE,
    Perm.PAYMENTS_INBOX_MANAGE,
}
POLICY[Post.DEPARTMENT_HEAD] |= {Perm.PAYMENTS_VIEW, Perm.REFUNDS_APPROVE}
POLICY[Post.AUDITOR] |= {Perm.PAYMENTS_VIEW}
# Field work safety (FLD-1..8)
for _post in (Post.FIELD_WORKER, Post.SAFETY_SUPERVISOR, Post.CONTRACTOR, Post.METER_READER):
    POLICY[_post] |= {Perm.FIELD_WORK}
for _post in (Post.SAFETY_SUPERVISOR, Post.TEAM_LEADER, Post.DEPARTMENT_HEAD):
    POLICY[_post] |= {Perm.FIELD_SAFETY_VIEW, Perm.FIELD_SAFETY_MANAGE}
POLICY[Post.AUDITOR] |= {Perm.FIELD_SAFETY_VIEW}


# Business hall (HALL-1..9): agents serve at windows, the hall manager also configures the
# hall; department heads and auditors watch the monitor of their region (HALL-9: ORG-2).
POLICY[Post.HALL_AGENT] |= {Perm.HALL_VIEW, Perm.HALL_SERVE}
POLICY[Post.HALL_MANAGER] |= {Perm.HALL_VIEW, Perm.HALL_SERVE, Perm.HALL_MANAGE}
POLICY[Post.DEPARTMENT_HEAD] |= {Perm.HALL_VIEW, Perm.HALL_MANAGE}
POLICY[Post.AUDITOR] |= {Perm.HALL_VIEW}


# Security operations (OPS-1..8): the data security officer watches and responds; the
# system administrator approves an unfreeze (never his own request) and edits playbooks;
# auditors and department heads read the posture of their units.
POLICY[Post.DATA_SECURITY_OFFICER] |= {Perm.SECOPS_VIEW, Perm.SECOPS_RESPOND}
POLICY[Post.SYSTEM_ADMIN] |= {Perm.SECOPS_VIEW, Perm.SECOPS_APPROVE, Perm.SECOPS_MANAGE}
POLICY[Post.AUDITOR] |= {Perm.SECOPS_VIEW}
POLICY[Post.DEPARTMENT_HEAD] |= {Perm.SECOPS_VIEW}
# Hazard reports (安全随手拍, OPS-7) are worked by the safety supervisors and department heads.
POLICY[Post.SAFETY_SUPERVISOR] |= {Perm.HAZARDS_MANAGE}
POLICY[Post.DEPARTMENT_HEAD] |= {Perm.HAZARDS_MANAGE}


# Administration functions (OPS-8): reachable only from the allow-listed administration
# networks (security/admin_networks.py), checked by the route guard for these permissions.
ADMIN_PERMS: Final[frozenset[Perm]] = frozenset(
    {
        Perm.ORG_MANAGE,
        Perm.STAFF_MANAGE,
        Perm.STAFF_LIFECYCLE,
        Perm.PERMCHANGE_EXECUTE,
        Perm.KEYS_MANAGE,
        Perm.RISK_RULES_MANAGE,
        Perm.EVENTS_MANAGE,
        Perm.JOBS_RUN,
        Perm.SECOPS_MANAGE,
        Perm.SECOPS_APPROVE,
    }
)


def permissions_of(post: Post) -> frozenset[Perm]:
    return POLICY[post]


# Reconciliation (REC-1..4): finance imports statements, runs the matching and works the
# cases; a department head owns and closes cases as the second person; auditors read.
POLICY[Post.FINANCE] |= {Perm.RECON_VIEW, Perm.RECON_WORK}
# The leader in charge signs the monthly report off (REC-4).
POLICY[Post.DEPARTMENT_HEAD] |= {Perm.RECON_VIEW, Perm.RECON_WORK, Perm.RECON_SIGN}
POLICY[Post.AUDITOR] |= {Perm.RECON_VIEW}
