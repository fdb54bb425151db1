"""Complaints and suggestions from the portal (HALL-10), with the satisfaction survey.

A customer files one about one of his bound accounts; it is filed in the hall that handles
that account's unit (the one 业扩 applications go to), where it is the hall staff's to-do (``web/portal/todo.py``) until someone answers it in the
console. Once answered, the customer rates the handling once (1-5 and a comment)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Final

from sqlalchemy import select, update

from safegrid.applications.applicants import handling_unit
from safegrid.platform import clock, numbering
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.events import Event
from safegrid.platform.uow import UnitOfWork
from safegrid.portal.accounts import owned
from safegrid.portal.identity import PortalIdentity
from safegrid.portal.models import FeedbackKind, FeedbackStatus, PortalFeedback

# Past this without an answer, the to-do item turns red.
ANSWER_WITHIN: Final = timedelta(days=2)
NOT_FOUND: Final = "未找到该诉求 / no such complaint or suggestion"


@dataclasses.dataclass(frozen=True)
class FeedbackFiled(Event):
    feedback_id: int
    number: str
    kind: str
    account_id: int


@dataclasses.dataclass(frozen=True)
class FeedbackAnswered(Event):
    feedback_id: int
    number: str


@dataclasses.dataclass(frozen=True)
class FeedbackRated(Event):
    feedback_id: int
    number: str
    rating: int


def _text(value: str, field: str, limit: int, what: tuple[str, str]) -> str:
    value = value.strip()
    if not value:
        raise ValidationProblem(f"请填写{what[0]} / enter {what[1]}", field=field)
    if len(value) > limit:
        raise ValidationProblem(
            f"{what[0]}不能超过 {limit} 字 / {what[1]} is longer than {limit} characters",
            field=field,
        )
    return value


def do_file(
    uow: UnitOfWork, me: PortalIdentity, account_no: str, kind: str, subject: str, body: str
) -> PortalFeedback:
    try:
        kind_value = FeedbackKind(kind)
    except ValueError:
        raise ValidationProblem(
            "请选择投诉或建议 / choose complaint or suggestion", field="kind"
        ) from None
    subject = _text(subject, "subject", 100, ("标题", "a subject"))
    body = _text(body, "body", 2000, ("内容", "the details"))
    now = clock.now()
    with uow:
        account = owned(uow, me, account_no)
        prefix = f"FB{clock.business_day(now):%Y%m%d}"
        [number] = numbering.take(uow.session, prefix, digits=5)
        row = PortalFeedback(
            number=number,
            customer_id=me.customer_id,
            account_id=account.account_id,
            kind=kind_value,
            subject=subject,
            body=body,
            status=FeedbackStatus.OPEN,
            created_at=now,
            org_unit_id=handling_unit(uow, account.org_unit_id),
        )
        uow.session.add(row)
        uow.session.flush()
        uow.audit(
            "portal.feedback_filed",
            object_type="portal_feedback",
            object_id=row.id,
            org_unit_id=row.org_unit_id,
            after={"number": number, "kind": kind_value.value, "account_id": account.account_id},
        )
        uow.emit(FeedbackFiled(row.id, number, kind_value.value, account.account_id))
        uow.commit()
        return row


def mine(uow: UnitOfWork, me: PortalIdentity) -> list[PortalFeedback]:
    with uow:
        rows = list(
            uow.session.scalars(
                select(PortalFeedback)
                .where(PortalFeedback.customer_id == me.customer_id)
                .order_by(PortalFeedback.id.desc())
                .limit(50)
            )
        )
        uow.session.expunge_all()
        return rows


def do_rate(
    uow: UnitOfWork, me: PortalIdentity, feedback_id: int, rating: int, comment: str
) -> None:
    if not 1 <= rating <= 5:
        raise ValidationProblem("评分须为 1–5 / the rating is 1 to 5", field="rating")
    comment = comment.strip()[:500]
    with uow:
        row = uow.session.scalars(
            select(PortalFeedback).where(
                PortalFeedback.id == feedback_id, PortalFeedback.customer_id == me.customer_id
            )
        ).first()
        if row is None:
            raise NotFoundError(NOT_FOUND)
        # Conditional on "answered": a rating before the answer, or a second one, is refused.
        done = uow.session.execute(
            update(PortalFeedback)
            .where(PortalFeedback.id == row.id, PortalFeedback.status == FeedbackStatus.ANSWERED)
            .values(
                status=FeedbackStatus.RATED,
                rating=rating,
                rating_comment=comment or None,
                rated_at=clock.now(),
            )
        )
        if int(getattr(done, "rowcount", 0) or 0) != 1:
            raise ConflictError(
                "答复后才能评价，且只能评价一次 / you can rate once, after the answer",
                field="rating",
            )
        uow.audit(
            "portal.feedback_rated",
            object_type="portal_feedback",
            object_id=row.id,
            org_unit_id=row.org_unit_id,
            after={"rating": rating},
        )
        uow.emit(FeedbackRated(row.id, row.number, rating))
        uow.commit()


def open_items(uow: UnitOfWork) -> list[PortalFeedback]:
    """Staff side: what waits for an answer in the caller's scope, oldest first."""
    with uow:
        rows = list(
            uow.session.scalars(
                select(PortalFeedback)
                .where(PortalFeedback.status == FeedbackStatus.OPEN)
                .order_by(PortalFeedback.id)
                .limit(200)
            )
        )
        uow.session.expunge_all()
        return rows


def do_answer(uow: UnitOfWork, feedback_id: int, answer: str) -> None:
    """Staff answer an open item of their unit (the row scope hides the others: 404)."""
    answer = _text(answer, "answer", 2000, ("答复", "an answer"))
    with uow:
        row = uow.session.scalars(
            select(PortalFeedback).where(PortalFeedback.id == feedback_id)
        ).first()
        if row is None:
            raise NotFoundError(NOT_FOUND)
        done = uow.session.execute(
            update(PortalFeedback)
            .where(PortalFeedback.id == row.id, PortalFeedback.status == FeedbackStatus.OPEN)
            .values(
                status=FeedbackStatus.ANSWERED,
                answer=answer,
                answered_by=uow.actor.username,
                answered_at=clock.now(),
            )
        )
        if int(getattr(done, "rowcount", 0) or 0) != 1:
            raise ConflictError("该诉求已答复 / already answered", field="answer")
        uow.audit(
            "portal.feedback_answered",
            object_type="portal_feedback",
            object_id=row.id,
            org_unit_id=row.org_unit_id,
        )
        uow.emit(FeedbackAnswered(row.id, row.number))
        uow.commit()
