"""``Annotated`` aliases for console pages: ``def customer_list(work: CustomersViewPage, ...)``.

Each alias runs one ``require_page(...)`` guard (the sign-in redirect or the 403 page when
it refuses) and gives the view a :class:`~safegrid.security.work.Work`. ``SignedInPage``:
any signed-in staff member; ``SetupPage``: also a session that must still change its
password or enrol a one-time code.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from safegrid.security.guards import require_page
from safegrid.security.policy import Perm
from safegrid.security.work import Work, work_under

AccessLogViewPage = Annotated[Work, Depends(work_under(require_page(Perm.ACCESS_LOG_VIEW)))]
AlertsAckPage = Annotated[Work, Depends(work_under(require_page(Perm.ALERTS_ACK)))]
AlertsViewPage = Annotated[Work, Depends(work_under(require_page(Perm.ALERTS_VIEW)))]
ArrearsApprovePage = Annotated[Work, Depends(work_under(require_page(Perm.ARREARS_APPROVE)))]
AuditExportPage = Annotated[Work, Depends(work_under(require_page(Perm.EXPORT_AUDIT)))]
AuditVerifyPage = Annotated[Work, Depends(work_under(require_page(Perm.AUDIT_VERIFY)))]
AuditViewPage = Annotated[Work, Depends(work_under(require_page(Perm.AUDIT_VIEW)))]
BillsReversePage = Annotated[Work, Depends(work_under(require_page(Perm.BILLS_REVERSE)))]
BillsRunPage = Annotated[Work, Depends(work_under(require_page(Perm.BILLS_RUN)))]
BillsViewPage = Annotated[Work, Depends(work_under(require_page(Perm.BILLS_VIEW)))]
CollectionManagePage = Annotated[Work, Depends(work_under(require_page(Perm.COLLECTION_MANAGE)))]
CollectionViewPage = Annotated[Work, Depends(work_under(require_page(Perm.COLLECTION_VIEW)))]
CounterCheckPage = Annotated[Work, Depends(work_under(require_page(Perm.COUNTER_CHECK)))]
CounterPayPage = Annotated[Work, Depends(work_under(require_page(Perm.COUNTER_PAY)))]
CounterSettlePage = Annotated[Work, Depends(work_under(require_page(Perm.COUNTER_SETTLE)))]
CounterTracePage = Annotated[Work, Depends(work_under(require_page(Perm.COUNTER_TRACE)))]
CounterViewPage = Annotated[Work, Depends(work_under(require_page(Perm.COUNTER_VIEW)))]
CounterVoidPage = Annotated[Work, Depends(work_under(require_page(Perm.COUNTER_VOID)))]
CustomersEditPage = Annotated[Work, Depends(work_under(require_page(Perm.CUSTOMERS_EDIT)))]
CustomersViewPage = Annotated[Work, Depends(work_under(require_page(Perm.CUSTOMERS_VIEW)))]
DataInventoryViewPage = Annotated[Work, Depends(work_under(require_page(Perm.DATA_INVENTORY_VIEW)))]
DatauseApproveDsoPage = Annotated[Work, Depends(work_under(require_page(Perm.DATAUSE_APPROVE_DSO)))]
DatauseApproveHeadPage = Annotated[
    Work, Depends(work_under(require_page(Perm.DATAUSE_APPROVE_HEAD)))
]
DatauseRequestPage = Annotated[Work, Depends(work_under(require_page(Perm.DATAUSE_REQUEST)))]
DeparturesRecordPage = Annotated[Work, Depends(work_under(require_page(Perm.DEPARTURES_RECORD)))]
DeparturesViewPage = Annotated[Work, Depends(work_under(require_page(Perm.DEPARTURES_VIEW)))]
EventsManagePage = Annotated[Work, Depends(work_under(require_page(Perm.EVENTS_MANAGE)))]
ExportCustomersPage = Annotated[Work, Depends(work_under(require_page(Perm.EXPORT_CUSTOMERS)))]
HallManagePage = Annotated[Work, Depends(work_under(require_page(Perm.HALL_MANAGE)))]
HallServePage = Annotated[Work, Depends(work_under(require_page(Perm.HALL_SERVE)))]
HallViewPage = Annotated[Work, Depends(work_under(require_page(Perm.HALL_VIEW)))]
FieldSafetyManagePage = Annotated[Work, Depends(work_under(require_page(Perm.FIELD_SAFETY_MANAGE)))]
FieldSafetyViewPage = Annotated[Work, Depends(work_under(require_page(Perm.FIELD_SAFETY_VIEW)))]
JobsRunPage = Annotated[Work, Depends(work_under(require_page(Perm.JOBS_RUN)))]
JobsViewPage = Annotated[Work, Depends(work_under(require_page(Perm.JOBS_VIEW)))]
MetersViewPage = Annotated[Work, Depends(work_under(require_page(Perm.METERS_VIEW)))]
NotificationsViewPage = Annotated[Work, Depends(work_under(require_page(Perm.NOTIFICATIONS_VIEW)))]
OrgViewPage = Annotated[Work, Depends(work_under(require_page(Perm.ORG_VIEW)))]
PaymentsInboxManagePage = Annotated[
    Work, Depends(work_under(require_page(Perm.PAYMENTS_INBOX_MANAGE)))
]
PaymentsViewPage = Annotated[Work, Depends(work_under(require_page(Perm.PAYMENTS_VIEW)))]
PermchangeApplyPage = Annotated[Work, Depends(work_under(require_page(Perm.PERMCHANGE_APPLY)))]
PermchangeApproveHeadPage = Annotated[
    Work, Depends(work_under(require_page(Perm.PERMCHANGE_APPROVE_HEAD)))
]
PermchangeApproveLeaderPage = Annotated[
    Work, Depends(work_under(require_page(Perm.PERMCHANGE_APPROVE_LEADER)))
]
PermchangeExecutePage = Annotated[Work, Depends(work_under(require_page(Perm.PERMCHANGE_EXECUTE)))]
ReadingsClosePage = Annotated[Work, Depends(work_under(require_page(Perm.READINGS_CLOSE)))]
ReadingsEnterPage = Annotated[Work, Depends(work_under(require_page(Perm.READINGS_ENTER)))]
ReadingsImportPage = Annotated[Work, Depends(work_under(require_page(Perm.READINGS_IMPORT)))]
ReadingsSupervisePage = Annotated[Work, Depends(work_under(require_page(Perm.READINGS_SUPERVISE)))]
ReadingsViewPage = Annotated[Work, Depends(work_under(require_page(Perm.READINGS_VIEW)))]
RefundsApprovePage = Annotated[Work, Depends(work_under(require_page(Perm.REFUNDS_APPROVE)))]
RefundsRequestPage = Annotated[Work, Depends(work_under(require_page(Perm.REFUNDS_REQUEST)))]
RiskCasesDecidePage = Annotated[Work, Depends(work_under(require_page(Perm.RISK_CASES_DECIDE)))]
RiskCasesViewPage = Annotated[Work, Depends(work_under(require_page(Perm.RISK_CASES_VIEW)))]
RiskRulesManagePage = Annotated[Work, Depends(work_under(require_page(Perm.RISK_RULES_MANAGE)))]
RiskRulesViewPage = Annotated[Work, Depends(work_under(require_page(Perm.RISK_RULES_VIEW)))]
HazardsManagePage = Annotated[Work, Depends(work_under(require_page(Perm.HAZARDS_MANAGE)))]
SecopsApprovePage = Annotated[Work, Depends(work_under(require_page(Perm.SECOPS_APPROVE)))]
SecopsManagePage = Annotated[Work, Depends(work_under(require_page(Perm.SECOPS_MANAGE)))]
SecopsRespondPage = Annotated[Work, Depends(work_under(require_page(Perm.SECOPS_RESPOND)))]
SecopsViewPage = Annotated[Work, Depends(work_under(require_page(Perm.SECOPS_VIEW)))]
SetupPage = Annotated[Work, Depends(work_under(require_page(None, allow_setup=True)))]
SignedInPage = Annotated[Work, Depends(work_under(require_page(None)))]
StaffLifecyclePage = Annotated[Work, Depends(work_under(require_page(Perm.STAFF_LIFECYCLE)))]
StaffViewPage = Annotated[Work, Depends(work_under(require_page(Perm.STAFF_VIEW)))]
StaffManagePage = Annotated[Work, Depends(work_under(require_page(Perm.STAFF_MANAGE)))]
TariffsManagePage = Annotated[Work, Depends(work_under(require_page(Perm.TARIFFS_MANAGE)))]
TariffsViewPage = Annotated[Work, Depends(work_under(require_page(Perm.TARIFFS_VIEW)))]
TerminalsManagePage = Annotated[Work, Depends(work_under(require_page(Perm.TERMINALS_MANAGE)))]
TerminalsViewPage = Annotated[Work, Depends(work_under(require_page(Perm.TERMINALS_VIEW)))]
WorkordersAssignPage = Annotated[Work, Depends(work_under(require_page(Perm.WORKORDERS_ASSIGN)))]
WorkordersViewPage = Annotated[Work, Depends(work_under(require_page(Perm.WORKORDERS_VIEW)))]
ReconViewPage = Annotated[Work, Depends(work_under(require_page(Perm.RECON_VIEW)))]
ReconWorkPage = Annotated[Work, Depends(work_under(require_page(Perm.RECON_WORK)))]
ReconSignPage = Annotated[Work, Depends(work_under(require_page(Perm.RECON_SIGN)))]
