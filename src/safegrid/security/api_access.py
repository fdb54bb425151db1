"""``Annotated`` aliases for API routes: ``def list_customers(work: CustomersView, ...)``.

Each alias runs one ``require(...)`` guard (a 401/403 JSON answer when it refuses) and gives
the route a :class:`~safegrid.security.work.Work`. ``SignedIn``: any signed-in staff member;
``Setup``: also a session that must still change its password or enrol a one-time code.
An alias exists per permission a route needs; add one here when a new route needs another.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from safegrid.security.guards import Guard, require
from safegrid.security.policy import Perm
from safegrid.security.work import Work, work_under

AccessLogView = Annotated[Work, Depends(work_under(require(Perm.ACCESS_LOG_VIEW)))]
AlertsAck = Annotated[Work, Depends(work_under(require(Perm.ALERTS_ACK)))]
AlertsView = Annotated[Work, Depends(work_under(require(Perm.ALERTS_VIEW)))]
ArrearsApprove = Annotated[Work, Depends(work_under(require(Perm.ARREARS_APPROVE)))]
AuditVerify = Annotated[Work, Depends(work_under(require(Perm.AUDIT_VERIFY)))]
AuditView = Annotated[Work, Depends(work_under(require(Perm.AUDIT_VIEW)))]
BillsReverse = Annotated[Work, Depends(work_under(require(Perm.BILLS_REVERSE)))]
BillsRun = Annotated[Work, Depends(work_under(require(Perm.BILLS_RUN)))]
BillsView = Annotated[Work, Depends(work_under(require(Perm.BILLS_VIEW)))]
CollectionManage = Annotated[Work, Depends(work_under(require(Perm.COLLECTION_MANAGE)))]
CollectionView = Annotated[Work, Depends(work_under(require(Perm.COLLECTION_VIEW)))]
CounterCheck = Annotated[Work, Depends(work_under(require(Perm.COUNTER_CHECK)))]
CounterPay = Annotated[Work, Depends(work_under(require(Perm.COUNTER_PAY)))]
CounterSettle = Annotated[Work, Depends(work_under(require(Perm.COUNTER_SETTLE)))]
CounterTrace = Annotated[Work, Depends(work_under(require(Perm.COUNTER_TRACE)))]
CounterView = Annotated[Work, Depends(work_under(require(Perm.COUNTER_VIEW)))]
CounterVoid = Annotated[Work, Depends(work_under(require(Perm.COUNTER_VOID)))]
CustomersEdit = Annotated[Work, Depends(work_under(require(Perm.CUSTOMERS_EDIT)))]
CustomersView = Annotated[Work, Depends(work_under(require(Perm.CUSTOMERS_VIEW)))]
DatauseApproveDso = Annotated[Work, Depends(work_under(require(Perm.DATAUSE_APPROVE_DSO)))]
DatauseApproveHead = Annotated[Work, Depends(work_under(require(Perm.DATAUSE_APPROVE_HEAD)))]
DatauseRequest = Annotated[Work, Depends(work_under(require(Perm.DATAUSE_REQUEST)))]
DeparturesRecord = Annotated[Work, Depends(work_under(require(Perm.DEPARTURES_RECORD)))]
DeparturesView = Annotated[Work, Depends(work_under(require(Perm.DEPARTURES_VIEW)))]
EventsManage = Annotated[Work, Depends(work_under(require(Perm.EVENTS_MANAGE)))]
EventsView = Annotated[Work, Depends(work_under(require(Perm.EVENTS_VIEW)))]
HallManage = Annotated[Work, Depends(work_under(require(Perm.HALL_MANAGE)))]
HallServe = Annotated[Work, Depends(work_under(require(Perm.HALL_SERVE)))]
HallView = Annotated[Work, Depends(work_under(require(Perm.HALL_VIEW)))]
ExportCustomers = Annotated[Work, Depends(work_under(require(Perm.EXPORT_CUSTOMERS)))]
FieldSafetyManage = Annotated[Work, Depends(work_under(require(Perm.FIELD_SAFETY_MANAGE)))]
FieldSafetyView = Annotated[Work, Depends(work_under(require(Perm.FIELD_SAFETY_VIEW)))]
FieldWork = Annotated[Work, Depends(work_under(require(Perm.FIELD_WORK)))]
MetersEdit = Annotated[Work, Depends(work_under(require(Perm.METERS_EDIT)))]
MetersView = Annotated[Work, Depends(work_under(require(Perm.METERS_VIEW)))]
NotificationsView = Annotated[Work, Depends(work_under(require(Perm.NOTIFICATIONS_VIEW)))]
OrgManage = Annotated[Work, Depends(work_under(require(Perm.ORG_MANAGE)))]
OrgView = Annotated[Work, Depends(work_under(require(Perm.ORG_VIEW)))]
PaymentsView = Annotated[Work, Depends(work_under(require(Perm.PAYMENTS_VIEW)))]
PermchangeApply = Annotated[Work, Depends(work_under(require(Perm.PERMCHANGE_APPLY)))]
PermchangeApproveHead = Annotated[Work, Depends(work_under(require(Perm.PERMCHANGE_APPROVE_HEAD)))]
PermchangeApproveLeader = Annotated[
    Work, Depends(work_under(require(Perm.PERMCHANGE_APPROVE_LEADER)))
]
PermchangeExecute = Annotated[Work, Depends(work_under(require(Perm.PERMCHANGE_EXECUTE)))]
ReadingsClose = Annotated[Work, Depends(work_under(require(Perm.READINGS_CLOSE)))]
ReadingsEnter = Annotated[Work, Depends(work_under(require(Perm.READINGS_ENTER)))]
ReadingsImport = Annotated[Work, Depends(work_under(require(Perm.READINGS_IMPORT)))]
ReadingsView = Annotated[Work, Depends(work_under(require(Perm.READINGS_VIEW)))]
RefundsApprove = Annotated[Work, Depends(work_under(require(Perm.REFUNDS_APPROVE)))]
RefundsRequest = Annotated[Work, Depends(work_under(require(Perm.REFUNDS_REQUEST)))]
RiskCasesDecide = Annotated[Work, Depends(work_under(require(Perm.RISK_CASES_DECIDE)))]
RiskCasesView = Annotated[Work, Depends(work_under(require(Perm.RISK_CASES_VIEW)))]
RiskRulesManage = Annotated[Work, Depends(work_under(require(Perm.RISK_RULES_MANAGE)))]
RiskRulesView = Annotated[Work, Depends(work_under(require(Perm.RISK_RULES_VIEW)))]
Setup = Annotated[Work, Depends(work_under(Guard(None, "api", allow_setup=True)))]
SignedIn = Annotated[Work, Depends(work_under(require(None)))]
StaffLifecycle = Annotated[Work, Depends(work_under(require(Perm.STAFF_LIFECYCLE)))]
StaffManage = Annotated[Work, Depends(work_under(require(Perm.STAFF_MANAGE)))]
StaffView = Annotated[Work, Depends(work_under(require(Perm.STAFF_VIEW)))]
TariffsManage = Annotated[Work, Depends(work_under(require(Perm.TARIFFS_MANAGE)))]
TariffsView = Annotated[Work, Depends(work_under(require(Perm.TARIFFS_VIEW)))]
TerminalsManage = Annotated[Work, Depends(work_under(require(Perm.TERMINALS_MANAGE)))]
TerminalsView = Annotated[Work, Depends(work_under(require(Perm.TERMINALS_VIEW)))]
WorkordersAssign = Annotated[Work, Depends(work_under(require(Perm.WORKORDERS_ASSIGN)))]
WorkordersView = Annotated[Work, Depends(work_under(require(Perm.WORKORDERS_VIEW)))]
