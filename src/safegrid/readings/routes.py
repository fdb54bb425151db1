"""Readings API (BILL-2): parse → guard → service. No queries here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import JSONResponse

from safegrid.apicontract import body_limits
from safegrid.platform.errors import ValidationProblem
from safegrid.readings import services
from safegrid.readings.imports import MAX_FILE_BYTES
from safegrid.readings.schemas import (
    ClosePeriodRequest,
    CloseSummary,
    ImportReport,
    MeterReadings,
    PeriodOut,
    ReadingEntry,
    ReadingReviewOut,
    RegisterReadOut,
)
from safegrid.security.api_access import ReadingsClose, ReadingsEnter, ReadingsImport, ReadingsView

router = APIRouter(prefix="/api", tags=["readings 抄表"])
# A declared upload route (ADR 0023): the file is streamed to a spooled temporary file.
UPLOAD_BODY_BYTES = body_limits.upload_limit(MAX_FILE_BYTES)

_REJECTED: dict[int | str, dict[str, Any]] = {
    422: {"model": ImportReport, "description": "rejected: nothing written"}
}


async def _read(upload: UploadFile) -> tuple[str, bytes]:
    data = await upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationProblem("文件过大 / the file is larger than 200 MB", field="file")
    return upload.filename or "upload", data


def _answer(report: ImportReport) -> JSONResponse:
    code = status.HTTP_201_CREATED if report.accepted else status.HTTP_422_UNPROCESSABLE_CONTENT
    return JSONResponse(report.model_dump(mode="json"), status_code=code)


@router.post(
    "/readings",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisterReadOut,
    responses={
        202: {
            "model": ReadingReviewOut,
            "description": "abnormal usage confirmed with a reason: held for review, not stored",
        }
    },
)
def enter_reading(body: ReadingEntry, work: ReadingsEnter) -> RegisterReadOut | JSONResponse:
    out = services.do_enter_reading(work.write(), body)
    if isinstance(out, ReadingReviewOut):
        return JSONResponse(out.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)
    return out


@router.post(
    "/readings/import",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportReport,
    responses=_REJECTED,
    max_body_size=UPLOAD_BODY_BYTES,
)
async def import_readings(
    work: ReadingsImport,
    file: UploadFile = File(
        ..., description="CSV or .xlsx: asset_no,read_on,total[,peak,valley,estimated]"
    ),
) -> JSONResponse:
    name, data = await _read(file)
    return _answer(services.do_import_readings(work.write(), name, data))


@router.post(
    "/readings/ami",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportReport,
    responses=_REJECTED,
    max_body_size=UPLOAD_BODY_BYTES,
)
async def ingest_ami(
    work: ReadingsImport,
    file: UploadFile = File(..., description="Parquet or CSV: asset_no,interval_start,kwh"),
) -> JSONResponse:
    name, data = await _read(file)
    return _answer(services.do_ingest_ami(work.write(), name, data))


@router.get("/meters/{meter_id}/readings", response_model=MeterReadings)
def meter_readings(meter_id: int, work: ReadingsView) -> MeterReadings:
    return services.meter_readings(work.read(), meter_id)


@router.get("/reading-periods", response_model=list[PeriodOut])
def list_periods(work: ReadingsView) -> list[PeriodOut]:
    return services.list_periods(work.read())


@router.post("/reading-periods/close", response_model=CloseSummary)
def close_period(body: ClosePeriodRequest, work: ReadingsClose) -> CloseSummary:
    return services.do_close_period(work.write(), body.period)
