"""To-do of the hall staff: portal complaints and suggestions waiting for an answer."""

from __future__ import annotations

from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.portal.feedback import ANSWER_WITHIN
from safegrid.portal.models import FeedbackStatus, PortalFeedback
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.todo import Tally, TodoProvider, tally_rows


def _open(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        PortalFeedback,
        PortalFeedback.status == FeedbackStatus.OPEN,
        overdue=PortalFeedback.created_at < clock.now() - ANSWER_WITHIN,
    )


PROVIDERS = (
    TodoProvider(
        key="portal.feedback_to_answer",
        label=N_("Customer complaints and suggestions to answer"),
        area="service",
        perm=Perm.HALL_SERVE,
        link="/hall/feedback",
        count=_open,
        overdue_hint=N_("Waiting more than two days for an answer"),
    ),
)
