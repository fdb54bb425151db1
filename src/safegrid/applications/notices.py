"""The applicant hears of the hall's decision by SMS (through the notification channel's
outbox, in the decision's transaction): what is missing and by when, accepted, or rejected
and why. Customer SMS are Chinese, like the arrears reminders."""

from __future__ import annotations

from safegrid.applications.models import ApplicationStatus, BusinessApplication
from safegrid.notifications.channel import Message, OutboxNotifier
from safegrid.platform.uow import UnitOfWork

TOPIC = "application.decision"


def _body(app: BusinessApplication) -> str | None:
    head = f"您的业扩申请{app.number}"
    if app.status == ApplicationStatus.MORE_REQUESTED:
        return f"{head}需补充资料：{app.missing}；请于{app.supply_by:%Y-%m-%d}前补交。"
    if app.status == ApplicationStatus.ACCEPTED:
        return f"{head}已受理，我们将尽快安排现场勘查。"
    if app.status == ApplicationStatus.REJECTED:
        return f"{head}不予受理，原因：{app.reject_reason}。"
    return None


def tell_applicant(uow: UnitOfWork, app: BusinessApplication) -> None:
    body = _body(app)
    if body is None or not app.contact_phone:
        return
    OutboxNotifier(uow).send(
        Message(
            channel="sms",
            recipient=app.contact_phone,
            topic=TOPIC,
            body=body,
            org_unit_id=app.org_unit_id,
            subject_type="business_application",
            subject_id=str(app.id),
        )
    )
