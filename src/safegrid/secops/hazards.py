"""安全随手拍 (OPS-7): anyone reports a hazard with a photo and a position, named or
anonymous; a safety supervisor triages it (level, assignee), records the fix, and a known
reporter is rewarded by level. An anonymous report that carries identity is refused — and
the refusal is logged without the identity it carried."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from decimal import Decimal
from typing import Final

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from safegrid.customers.validation import mobile_problem
from safegrid.org.models import OrgUnit
from safegrid.platform import clock, numbering
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.secops.hazard_models import HazardReport, HazardStatus
from safegrid.security.scope import unscoped

MAX_PHOTO: Final = 5 * 1024 * 1024
MAX_SIDE: Final = 2048
REWARDS: Final[dict[int, Decimal]] = {1: Decimal("50.00"), 2: Decimal("200.00"), 3: Decimal("500.00")}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class NewHazard:
    description: str
    latitude: Decimal
    longitude: Decimal
    anonymous: bool
    org_unit_id: int
    reporter_name: str = ""
    reporter_phone: str = ""
    photo: bytes | None = None


def clean_photo(data: bytes) -> tuple[bytes, str]:
    """Decode and re-encode as JPEG: anything that is not an image is refused, and no
    metadata (device, owner, GPS) survives."""
    if len(data) > MAX_PHOTO:
        raise ValidationProblem("照片超过 5 MB / the photo is over 5 MB", field="photo")
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            rgb = img.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationProblem(
            "照片不是图片文件 / the photo is not an image", field="photo"
        ) from None
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=85)
    clean = out.getvalue()
    return clean, hashlib.sha256(clean).hexdigest()


def _check(data: NewHazard) -> None:
    if data.anonymous and (data.reporter_name.strip() or data.reporter_phone.strip()):
        raise ValidationProblem(
            "匿名举报不能填写姓名或电话 / an anonymous report must not carry a name or phone",
            field="anonymous",
        )
    if not data.anonymous and not data.reporter_name.strip():
        raise ValidationProblem("实名举报请填写姓名 / a named report needs a name",
                                field="reporter_name")  # fmt: skip
    if data.reporter_phone and mobile_problem(data.reporter_phone.strip()):
        raise ValidationProblem("手机号码无效 / not a valid mobile number", field="reporter_phone")
    if not data.description.strip():
        raise ValidationProblem("请描述隐患 / describe the hazard", field="description")
    if not (Decimal(-90) <= data.latitude <= Decimal(90)) or not (
        Decimal(-180) <= data.longitude <= Decimal(180)
    ):
        raise ValidationProblem("位置无效 / the position is not valid", field="latitude")


def do_report_hazard(uow: UnitOfWork, data: NewHazard) -> str:
    try:
        _check(data)
    except ValidationProblem as exc:
        with uow.fresh() as log:  # the refusal is logged, without what it refused
            log.audit("hazard.report_refused", object_type="hazard_report",
                      note=f"{exc.field}: {exc.message}"[:200])  # fmt: skip
            log.commit()
        raise
    photo, digest = clean_photo(data.photo) if data.photo else (None, None)
    with uow:
        unit = uow.session.scalar(
            select(OrgUnit.id).where(OrgUnit.id == data.org_unit_id),
            execution_options=unscoped("a hazard is reported to any unit, by anyone"),
        )
        if unit is None:
            raise ValidationProblem("请选择单位 / choose the unit nearest the hazard",
                                    field="org_unit_id")  # fmt: skip
        number = numbering.take(uow.session, "HZ")[0]
        report = HazardReport(
            number=number, anonymous=data.anonymous,
            reporter_name=None if data.anonymous else data.reporter_name.strip()[:64],
            reporter_phone=None if data.anonymous else (data.reporter_phone.strip() or None),
            description=data.description.strip()[:4000], latitude=data.latitude,
            longitude=data.longitude, photo=photo, photo_sha256=digest,
            reported_at=clock.now(), status=HazardStatus.NEW,
            org_unit_id=unit,
        )  # fmt: skip
        uow.session.add(report)
        uow.session.flush()
        uow.audit("hazard.reported", object_type="hazard_report", object_id=number,
                  org_unit_id=report.org_unit_id,
                  after={"anonymous": data.anonymous, "photo": digest})  # fmt: skip
        uow.commit()
        return number


@dataclasses.dataclass(frozen=True)
class HazardAction:
    action: str  # triage | reject | fix | reward
    level: int | None = None
    assignee: str = ""
    note: str = ""


def do_work_hazard(uow: UnitOfWork, hazard_id: int, act: HazardAction) -> HazardStatus:
    now = clock.now()
    with uow:
        h = uow.session.scalars(
            select(HazardReport).where(HazardReport.id == hazard_id).with_for_update()
        ).first()
        if h is None:
            raise NotFoundError("隐患报告不存在 / hazard report not found", field="hazard_id")
        if act.action == "triage" and h.status == HazardStatus.NEW:
            if act.level not in REWARDS or not act.assignee.strip():
                raise ValidationProblem("请选择等级并指派 / choose a level and an assignee",
                                        field="level")  # fmt: skip
            h.status, h.level, h.assignee = HazardStatus.TRIAGED, act.level, act.assignee[:64]
            h.triaged_by = uow.actor.username
        elif act.action == "reject" and h.status == HazardStatus.NEW:
            h.status, h.fix_note = HazardStatus.REJECTED, act.note[:500]
        elif act.action == "fix" and h.status == HazardStatus.TRIAGED:
            if not act.note.strip():
                raise ValidationProblem("请说明整改情况 / say how it was fixed", field="note")
            h.status, h.fixed_at, h.fix_note = HazardStatus.FIXED, now, act.note[:500]
        elif act.action == "reward" and h.status == HazardStatus.FIXED and h.reward is None:
            if h.anonymous:
                raise ConflictError("匿名举报人无法领取奖励 / an anonymous reporter cannot be "
                                    "rewarded: nobody is known to pay")  # fmt: skip
            h.reward, h.rewarded_at = REWARDS[h.level or 1], now
        else:
            raise ConflictError(f"当前状态不能执行该操作 / cannot {act.action} a report that is "
                                f"{h.status.value}")  # fmt: skip
        uow.audit(f"hazard.{act.action}", object_type="hazard_report", object_id=h.number,
                  org_unit_id=h.org_unit_id,
                  after={"status": h.status.value, "level": h.level,
                         "reward": str(h.reward) if h.reward else None})  # fmt: skip
        uow.commit()
        return h.status
