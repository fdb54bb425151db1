"""Tool kits (FLD-1): a numbered 8-piece kit bound to one worker, insulation-tested monthly
(due on the 25th). Dispatch asks :func:`kit_problems` and refuses a crew member whose kit
is missing, failed or overdue, naming the kit and the date."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safegrid.fieldwork.refusals import logged
from safegrid.fieldwork.safety_models import KitPiece, KitTest, ToolKit
from safegrid.platform import clock, numbering
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import snapshot
from safegrid.security.models import AccountStatus, StaffAccount

DUE_DAY = 25
PIECES = frozenset(p.value for p in KitPiece)


@dataclasses.dataclass(frozen=True)
class NewKit:
    holder_id: int
    pieces: dict[str, str]  # KitPiece → serial number


@dataclasses.dataclass(frozen=True)
class KitTestIn:
    kit_number: str
    certificate_no: str
    tested_on: date
    results: dict[str, bool]  # KitPiece → passed


def last_due(day: date) -> date:
    """The latest due date (the 25th) already behind ``day``."""
    if day.day > DUE_DAY:
        return day.replace(day=DUE_DAY)
    first = day.replace(day=1)
    prev = (
        date(first.year - 1, 12, DUE_DAY)
        if first.month == 1
        else first.replace(month=first.month - 1, day=DUE_DAY)
    )
    return prev


def _month_before(d: date) -> date:
    return date(d.year - 1, 12, d.day) if d.month == 1 else d.replace(month=d.month - 1)


def kit_problem(kit: ToolKit | None, day: date) -> str | None:
    """Why the kit's holder may not be dispatched on ``day``, or None."""
    if kit is None:
        return "未配发工具包 / has no tool kit"
    if kit.last_test_passed is False:
        return (
            f"工具包 {kit.number} 于 {kit.last_test_on} 绝缘试验不合格 / "
            f"kit {kit.number} failed its insulation test on {kit.last_test_on}"
        )
    due = last_due(day)
    if kit.last_test_on is None or kit.last_test_on <= _month_before(due):
        return (
            f"工具包 {kit.number} 绝缘试验已于 {due} 到期 / "
            f"kit {kit.number} insulation test was due {due}"
        )
    return None


def kit_problems(session: Session, account_ids: Sequence[int], day: date) -> dict[int, str]:
    """account id → problem, for those who may not be dispatched (one query)."""
    kits = {
        k.holder_id: k
        for k in session.scalars(select(ToolKit).where(ToolKit.holder_id.in_(set(account_ids))))
    }
    found = {a: kit_problem(kits.get(a), day) for a in set(account_ids)}
    return {a: p for a, p in found.items() if p is not None}


def _check_pieces(pieces: dict[str, str]) -> None:
    if set(pieces) != PIECES or any(not str(v).strip() for v in pieces.values()):
        raise ValidationProblem(
            "工具包须含 8 件且各有编号 / a kit has exactly the 8 pieces, each with a serial: "
            + ", ".join(sorted(PIECES)),
            field="pieces",
        )


def do_issue_kits(uow: UnitOfWork, kits: Sequence[NewKit]) -> list[str]:
    """Number and bind kits (one per worker: the holder column is unique)."""
    with logged(uow, "toolkit.issue_refused", "tool_kit", [k.holder_id for k in kits]), uow:
        now = clock.now()
        for k in kits:
            _check_pieces(k.pieces)
        holders = {
            a.id: a
            for a in uow.session.scalars(
                select(StaffAccount).where(StaffAccount.id.in_([k.holder_id for k in kits]))
            )
        }
        numbers = numbering.take(uow.session, "KIT", len(kits), digits=5) if kits else []
        rows = []
        for k, number in zip(kits, numbers, strict=True):
            holder = holders.get(k.holder_id)
            if holder is None or holder.status != AccountStatus.ACTIVE:
                raise NotFoundError("持有人不存在或已停用 / holder not found", field="holder_id")
            rows.append(
                ToolKit(
                    number=number,
                    holder_id=holder.id,
                    pieces=dict(k.pieces),
                    issued_at=now,
                    org_unit_id=holder.org_unit_id,
                )
            )
        uow.session.add_all(rows)
        try:
            uow.session.flush()
        except IntegrityError:
            raise ConflictError(
                "该人员已有工具包 / this worker already holds a kit", field="holder_id"
            ) from None
        for row in rows:
            uow.audit(
                "toolkit.issued",
                object_type="tool_kit",
                object_id=row.id,
                org_unit_id=row.org_unit_id,
                after=snapshot(row),
            )
        uow.commit()
        return numbers


def do_record_kit_tests(uow: UnitOfWork, tests: Sequence[KitTestIn]) -> list[int]:
    """Record monthly insulation tests. Refused as forged: a test of one's own kit, a date
    in the future or before the kit's last test, pieces that are not the kit's eight, a
    certificate number already used."""
    names = [t.kit_number for t in tests]
    with logged(uow, "toolkit.test_refused", "tool_kit", names), uow:
        now = clock.now()
        today = clock.business_day(now)
        kits = {
            k.number: k
            for k in uow.session.scalars(select(ToolKit).where(ToolKit.number.in_(names)))
        }
        ids = []
        for t in tests:
            kit = kits.get(t.kit_number)
            if kit is None:
                raise NotFoundError(f"工具包 {t.kit_number} 不存在 / kit not found", field="kit")
            if kit.holder_id == uow.actor.account_id:
                raise ValidationProblem(
                    "不能为自己的工具包录入试验 / nobody records the test of his own kit",
                    field="kit",
                )
            if t.tested_on > today:
                raise ValidationProblem(
                    "试验日期在未来 / the test date lies in the future", field="tested_on"
                )
            if kit.last_test_on is not None and t.tested_on < kit.last_test_on:
                raise ValidationProblem(
                    f"试验日期早于上次试验 {kit.last_test_on} / the test predates the kit's "
                    "last test",
                    field="tested_on",
                )
            if set(t.results) != PIECES:
                raise ValidationProblem(
                    "须逐件记录 8 件的结果 / a result for each of the 8 pieces", field="results"
                )
            passed = all(t.results.values())
            test = KitTest(
                kit_id=kit.id,
                certificate_no=t.certificate_no.strip(),
                tested_on=t.tested_on,
                tester_id=uow.actor.account_id,
                results=dict(t.results),
                passed=passed,
                recorded_at=now,
                org_unit_id=kit.org_unit_id,
            )
            uow.session.add(test)
            try:
                uow.session.flush()
            except IntegrityError:
                raise ConflictError(
                    "试验证书号已被使用 / this test certificate number was already used",
                    field="certificate_no",
                ) from None
            before = {"last_test_on": str(kit.last_test_on), "passed": kit.last_test_passed}
            kit.last_test_on, kit.last_test_passed = t.tested_on, passed
            uow.audit(
                "toolkit.tested",
                object_type="tool_kit",
                object_id=kit.id,
                org_unit_id=kit.org_unit_id,
                before=before,
                after={"certificate_no": test.certificate_no, **snapshot(test)},
            )
            ids.append(test.id)
        uow.commit()
        return ids
