"""What a site photo proves (FLD-2): when and where it was taken, read from its EXIF with
Pillow, and its SHA-256. A JPEG without EXIF time or GPS proves nothing and is refused."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import datetime
from decimal import Decimal

from PIL import ExifTags, Image, UnidentifiedImageError

from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem

_EXIF_TIME = "%Y:%m:%d %H:%M:%S"


@dataclasses.dataclass(frozen=True)
class PhotoFacts:
    sha256: str
    media_type: str
    taken_at: datetime
    lat: Decimal
    lon: Decimal


def _problem(msg: str, field: str) -> ValidationProblem:
    return ValidationProblem(msg, field=field)


def _degrees(dms: object, ref: object) -> Decimal:
    d, m, s = (Decimal(str(float(v))) for v in dms)  # type: ignore[attr-defined]
    value = d + m / 60 + s / 3600
    if str(ref).upper() in ("S", "W"):
        value = -value
    return value.quantize(Decimal("0.000001"))


def _taken_at(exif_ifd: dict[int, object], base: dict[int, object]) -> datetime:
    raw = exif_ifd.get(ExifTags.Base.DateTimeOriginal) or base.get(ExifTags.Base.DateTime)
    if not raw:
        raise _problem("照片没有拍摄时间（EXIF）/ the photo has no EXIF time", "photo")
    try:
        local = datetime.strptime(str(raw).strip("\x00 "), _EXIF_TIME)  # noqa: DTZ007 - zone below
    except ValueError:
        raise _problem(f"EXIF 时间无法识别 / unreadable EXIF time {raw!r}", "photo") from None
    offset = exif_ifd.get(ExifTags.Base.OffsetTimeOriginal)
    if offset:
        try:
            return datetime.fromisoformat(f"{local.isoformat()}{str(offset).strip()}")
        except ValueError:
            raise _problem(f"EXIF 时区无法识别 / bad EXIF offset {offset!r}", "photo") from None
    # Cameras without an offset tag write local time; the grid's local time is Beijing.
    return local.replace(tzinfo=clock.BUSINESS_TZ)


def read_photo(content: bytes) -> PhotoFacts:
    if not content:
        raise _problem("照片为空 / the photo is empty", "photo")
    try:
        with Image.open(io.BytesIO(content)) as img:
            if img.format != "JPEG":
                raise _problem(
                    f"照片须为 JPEG / the photo must be a JPEG, not {img.format}", "photo"
                )
            exif = img.getexif()
    except (UnidentifiedImageError, OSError):
        raise _problem("无法识别的图片 / not an image", "photo") from None
    if not exif:
        raise _problem("照片没有 EXIF 信息 / the photo carries no EXIF", "photo")
    taken = _taken_at(dict(exif.get_ifd(ExifTags.IFD.Exif)), dict(exif))
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    try:
        lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef, "N"))
        lon = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        raise _problem(
            "照片没有 GPS 位置（EXIF）/ the photo has no EXIF GPS position", "photo"
        ) from None
    return PhotoFacts(hashlib.sha256(content).hexdigest(), "image/jpeg", taken, lat, lon)
