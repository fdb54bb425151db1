"""Tariff configuration use cases (BILL-3): one unit of work each, audited, with events
other systems (and the AUD-3 key-field alerts) can follow."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import snapshot
from safegrid.tariffs.events import TariffCreated, TariffVersionAdded, TariffVersionChanged
from safegrid.tariffs.models import MeterKind, Tariff, TariffVersion
from safegrid.tariffs.repository import TariffRepository
from safegrid.tariffs.schemas import (
    TariffCreate,
    TariffOut,
    VersionCreate,
    VersionOut,
    VersionUpdate,
)
from safegrid.tariffs.terms import Structure, ThresholdPeriod

NOT_FOUND = "电价不存在 / tariff not found"
VERSION_NOT_FOUND = "电价版本不存在 / tariff version not found"


def _outs(repo: TariffRepository, tariffs: Sequence[Tariff]) -> list[TariffOut]:
    # One question for every version listed: bills have no index by version (bulk
    # inserts pay per index), so each question reads the bills once.
    used = repo.used_version_ids([v.id for t in tariffs for v in t.versions])
    outs = [TariffOut.model_validate(t) for t in tariffs]
    for out in outs:
        for v in out.versions:
            v.used = v.id in used
    return outs


def list_tariffs(uow: UnitOfWork) -> list[TariffOut]:
    with uow:
        repo = TariffRepository(uow)
        return _outs(repo, repo.all())


def get_tariff(uow: UnitOfWork, tariff_id: int) -> TariffOut:
    with uow:
        repo = TariffRepository(uow)
        tariff = repo.get(tariff_id)
        if tariff is None:
            raise NotFoundError(NOT_FOUND)
        return _outs(repo, [tariff])[0]


def do_create_tariff(uow: UnitOfWork, data: TariffCreate) -> int:
    with uow:
        repo = TariffRepository(uow)
        if repo.by_code(data.code) is not None:
            raise ConflictError("电价代码已存在 / tariff code already exists", field="code")
        kind = MeterKind.of(data.structure)
        if any(t.category == data.category and t.meter_kind == kind for t in repo.all()):
            raise ConflictError(
                f"该类别已有{'分时' if kind == MeterKind.TOU else '标准'}电价 / "
                f"category {data.category.value} already has a {kind.value} tariff",
                field="structure",
            )
        tariff = Tariff(
            code=data.code,
            name=data.name,
            name_en=data.name_en,
            category=data.category,
            structure=data.structure,
            meter_kind=kind,
            created_at=clock.now(),
        )
        uow.session.add(tariff)
        uow.session.flush()
        uow.audit(
            "tariff.create", object_type="tariff", object_id=tariff.id, after=snapshot(tariff)
        )
        uow.emit(TariffCreated(tariff_id=tariff.id, code=tariff.code))
        uow.commit()
        return tariff.id


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _period(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _check_dates(effective_from: date, effective_to: date | None) -> None:
    if effective_from.day != 1:
        raise ValidationProblem(
            "电价版本须从某月1日起生效 / a version takes effect on the 1st of a month",
            field="effective_from",
        )
    if effective_to is not None:
        if effective_to != _month_end(effective_to):
            raise ValidationProblem(
                "电价版本须在月末截止 / a version ends on the last day of a month",
                field="effective_to",
            )
        if effective_to < effective_from:
            raise ValidationProblem(
                "截止日早于生效日 / effective_to is before effective_from", field="effective_to"
            )


def _threshold_period(
    structure: Structure, given: ThresholdPeriod | None
) -> ThresholdPeriod | None:
    wanted = {
        Structure.TIERED_ANNUAL: ThresholdPeriod.ANNUAL,
        Structure.TIERED_MONTHLY: ThresholdPeriod.MONTHLY,
    }.get(structure)
    if given is not None and given != wanted:
        raise ValidationProblem(
            f"{structure.value} 电价的阶梯周期应为 {wanted} / "
            f"a {structure.value} tariff has threshold_period {wanted}",
            field="threshold_period",
        )
    return wanted


def _check_terms(structure: Structure, version: TariffVersion) -> None:
    problems = version.terms(structure).problems()
    if problems:
        field, message = problems[0]
        raise ValidationProblem(message, field=field)


def _overlaps(a: TariffVersion, start: date, end: date | None) -> bool:
    far = date.max
    return a.effective_from <= (end or far) and start <= (a.effective_to or far)


def _span(v: TariffVersion) -> str:
    return f"{v.effective_from.isoformat()}…{v.effective_to.isoformat() if v.effective_to else ''}"


def do_add_tariff_version(uow: UnitOfWork, tariff_id: int, data: VersionCreate) -> int:
    _check_dates(data.effective_from, data.effective_to)
    with uow:
        repo = TariffRepository(uow)
        tariff = repo.get(tariff_id)
        if tariff is None:
            raise NotFoundError(NOT_FOUND)
        version = TariffVersion(
            tariff_id=tariff.id,
            **data.model_dump(exclude={"close_current", "threshold_period"}),
            threshold_period=_threshold_period(tariff.structure, data.threshold_period),
            created_at=clock.now(),
            created_by=uow.actor.username,
        )
        _check_terms(tariff.structure, version)
        closed: tuple[TariffVersion, dict[str, Any]] | None = None
        for other in tariff.versions:
            if not _overlaps(other, data.effective_from, data.effective_to):
                continue
            closable = (
                data.close_current
                and other.effective_to is None
                and other.effective_from < data.effective_from
            )
            if not closable:
                raise ValidationProblem(
                    f"与版本 {other.id}（{_span(other)}）的生效期重叠 / overlaps version "
                    f"{other.id} ({_span(other)}); close it first or start later",
                    field="effective_from",
                )
            if repo.used_from(other.id, _period(data.effective_from)):
                raise ConflictError(
                    f"版本 {other.id} 已用于 {_period(data.effective_from)} 及以后的账单 / "
                    f"version {other.id} already priced bills from {_period(data.effective_from)}",
                    field="effective_from",
                )
            before = snapshot(other)
            other.effective_to = data.effective_from - timedelta(days=1)
            closed = (other, before)
        uow.session.add(version)
        uow.session.flush()
        if closed is not None:
            other, before = closed
            uow.audit(
                "tariff.version.close",
                object_type="tariff_version",
                object_id=other.id,
                before=before,
                after=snapshot(other),
            )
        uow.audit(
            "tariff.version.add",
            object_type="tariff_version",
            object_id=version.id,
            after=snapshot(version),
            note=f"tariff {tariff.code}",
        )
        uow.emit(
            TariffVersionAdded(
                tariff_id=tariff.id,
                version_id=version.id,
                code=tariff.code,
                effective_from=version.effective_from,
            )
        )
        uow.commit()
        return version.id


def do_update_tariff_version(uow: UnitOfWork, version_id: int, data: VersionUpdate) -> None:
    """Correct a version before any bill used it; afterwards it is immutable (close it
    and add a new version instead)."""
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise ValidationProblem("没有要修改的字段 / nothing to change")
    with uow:
        repo = TariffRepository(uow)
        version = repo.version(version_id)
        if version is None:
            raise NotFoundError(VERSION_NOT_FOUND)
        if repo.used_version_ids([version.id]):
            raise ConflictError(
                "该电价版本已用于出账，不可修改；请截止后新增版本 / this version priced issued "
                "bills and is immutable: close it and add a new version",
                field="version_id",
            )
        tariff = version.tariff
        before = snapshot(version)
        for key, value in changes.items():
            if value is None and key not in {"effective_to", "peak_price", "valley_price", "note"}:
                raise ValidationProblem(f"{key} cannot be empty", field=key)
            setattr(version, key, value)
        _check_dates(version.effective_from, version.effective_to)
        _check_terms(tariff.structure, version)
        for other in tariff.versions:
            if other.id != version.id and _overlaps(
                other, version.effective_from, version.effective_to
            ):
                raise ValidationProblem(
                    f"与版本 {other.id} 重叠 / overlaps version {other.id} ({_span(other)})",
                    field="effective_to",
                )
        uow.audit(
            "tariff.version.update",
            object_type="tariff_version",
            object_id=version.id,
            before=before,
            after=snapshot(version),
        )
        uow.emit(TariffVersionChanged(tariff_id=tariff.id, version_id=version.id))
        uow.commit()


def version_out(uow: UnitOfWork, version_id: int) -> VersionOut:
    with uow:
        repo = TariffRepository(uow)
        version = repo.version(version_id)
        if version is None:
            raise NotFoundError(VERSION_NOT_FOUND)
        out = VersionOut.model_validate(version)
        out.used = bool(repo.used_version_ids([version.id]))
        return out
