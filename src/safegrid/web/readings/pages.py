"""Meter reading pages (BILL-2): entry form, file import with its error report, the
reading periods with their close button, and a meter's recent readings.

Values come from the readings services; a meter outside the caller's scope (a meter
reader: outside his reading areas) raises NotFoundError there, shown as the 404 page.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from starlette.responses import Response

from safegrid.apicontract import body_limits
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.readings import books, services
from safegrid.readings.imports import MAX_FILE_BYTES
from safegrid.readings.reviews import AbnormalReading
from safegrid.readings.schemas import ReadingEntry, ReadingReviewOut, RegisterReadOut
from safegrid.security.policy import Perm
from safegrid.web import flash
from safegrid.web.forms import FORM, FieldErrors, from_service, submit
from safegrid.web.i18n import request_locale
from safegrid.web.page_access import (
    ReadingsClosePage,
    ReadingsEnterPage,
    ReadingsImportPage,
    ReadingsViewPage,
)
from safegrid.web.readings.todo import meters_due
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

ENTRY_FIELDS: Final = (
    "asset_no",
    "read_on",
    "total",
    "peak",
    "valley",
    "estimated",
    "confirm_reason",
)
SHOWN_ERRORS: Final = 200


@router.get("/readings")
def readings_home(
    request: Request,
    work: ReadingsViewPage,
    asset_no: str = Query("", max_length=32),
) -> Response:
    """Look a meter up by its asset number; links to entry, import and periods."""
    errors = FieldErrors()
    if asset_no.strip():
        try:
            meter_id = services.meter_id_by_asset(work.read(), asset_no)
        except NotFoundError as exc:
            errors = from_service(exc, request_locale(request), ("asset_no",))
            errors.add("asset_no", errors.pop("", [""])[0])
        else:
            return see_other(request, f"/meters/{meter_id}/readings")
    return render(
        request,
        "readings/index.html",
        {
            "asset_no": asset_no,
            "errors": errors,
            "can_enter": work.actor.can(Perm.READINGS_ENTER),
            "can_import": work.actor.can(Perm.READINGS_IMPORT),
            "can_supervise": work.actor.can(Perm.READINGS_SUPERVISE),
            # The day's route: meters still unread this month, area by area.
            "due": meters_due(work.read()) if work.actor.can(Perm.READINGS_ENTER) else [],
            # The reader's books, each opening its walk in order (phone first).
            "books": books.books(work.read()) if work.actor.can(Perm.READINGS_ENTER) else [],
        },
        status_code=404 if errors else 200,
    )


def _entry_page(
    request: Request,
    values: dict[str, str],
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "readings/new.html",
        {"values": values, "errors": errors or FieldErrors()},
        status_code=status_code,
    )


@router.get("/readings/new")
def reading_form(
    request: Request,
    work: ReadingsEnterPage,
    asset_no: str = Query("", max_length=32),
    book: int | None = Query(None),
) -> Response:
    values = {"asset_no": asset_no, "read_on": clock.business_day().isoformat()}
    return _entry_page(request, values | {"book": str(book or "")})


@router.post("/readings/new")
def reading_submit(
    request: Request,
    work: ReadingsEnterPage,
    asset_no: Annotated[str, Form(max_length=64)] = "",
    read_on: Annotated[str, Form(max_length=32)] = "",
    total: Annotated[str, Form(max_length=32)] = "",
    peak: Annotated[str, Form(max_length=32)] = "",
    valley: Annotated[str, Form(max_length=32)] = "",
    estimated: Annotated[str, Form(max_length=8)] = "",
    confirm_reason: Annotated[str, Form(max_length=200)] = "",
    book: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    # Back to the book's walk after saving, when the reader came from one.
    walk = f"/readings/books/{int(book)}" if book.isdigit() else None
    values = {
        "asset_no": asset_no,
        "read_on": read_on,
        "total": total,
        "peak": peak,
        "valley": valley,
        "estimated": "on" if estimated else "",
        "confirm_reason": confirm_reason,
        "book": book if walk else "",
    }

    abnormal = False

    def enter(entry: ReadingEntry) -> RegisterReadOut | ReadingReviewOut:
        nonlocal abnormal
        try:
            return services.do_enter_reading(work.write(), entry)
        except AbnormalReading:
            abnormal = True  # the form now asks for the reason
            raise

    def again(errors: FieldErrors, status: int) -> Response:
        if status == 404:  # no such meter: the message belongs next to the number typed
            errors.add("asset_no", errors.pop(FORM, [""])[0])
        return _entry_page(
            request, values | {"ask_reason": "1" if abnormal else ""}, errors, status
        )

    return submit(
        request,
        ReadingEntry,
        {
            "asset_no": asset_no,
            "read_on": read_on,
            "total": total,
            "peak": peak or None,
            "valley": valley or None,
            "estimated": bool(estimated),
            "confirm_reason": confirm_reason.strip() or None,
        },
        ENTRY_FIELDS,
        enter,
        done=lambda read: flash.redirect(
            request,
            walk or f"/meters/{read.meter_id}/readings",
            "reading_queued" if isinstance(read, ReadingReviewOut) else "reading_saved",
        ),
        again=again,
        refused=(NotFoundError, ValidationProblem, ConflictError),
    )


@router.get("/readings/import")
def import_form(request: Request, work: ReadingsImportPage) -> Response:
    return render(request, "readings/import.html", {"report": None, "problem": None})


@router.post("/readings/import", max_body_size=body_limits.upload_limit(MAX_FILE_BYTES))
async def import_submit(
    request: Request,
    work: ReadingsImportPage,
    file: UploadFile = File(...),
) -> Response:
    data = await file.read(MAX_FILE_BYTES + 1)
    name = file.filename or "upload.csv"
    try:
        if len(data) > MAX_FILE_BYTES:
            raise ValidationProblem("文件过大 / the file is larger than 200 MB", field="file")
        uow = work.write()
        if name.lower().endswith(".parquet"):
            report = services.do_ingest_ami(uow, name, data)
        else:
            report = services.do_import_readings(uow, name, data)
    except (ValidationProblem, ConflictError) as exc:
        return render(
            request,
            "readings/import.html",
            {"report": None, "problem": exc.message},
            status_code=exc.status_code,
        )
    return render(
        request,
        "readings/import.html",
        {"report": report, "problem": None, "shown": SHOWN_ERRORS},
        status_code=200 if report.accepted else 422,
    )


@router.get("/readings/periods")
def period_list(request: Request, work: ReadingsViewPage) -> Response:
    periods = services.list_periods(work.read())
    return render(
        request,
        "readings/periods.html",
        {
            "periods": periods,
            "can_close": work.actor.can(Perm.READINGS_CLOSE),
            "closeable": {p.period for p in periods if services.closeable(p.period)},
            "summary": None,
            "problem": None,
        },
    )


@router.post("/readings/periods/close")
def period_close(
    request: Request,
    work: ReadingsClosePage,
    period: Annotated[str, Form(max_length=7)] = "",
) -> Response:
    problem, summary, code = None, None, 200
    try:
        summary = services.do_close_period(work.write(), period)
    except ValidationProblem as exc:
        problem, code = exc.message, exc.status_code
    periods = services.list_periods(work.read())
    return render(
        request,
        "readings/periods.html",
        {
            "periods": periods,
            "can_close": True,
            "closeable": {p.period for p in periods if services.closeable(p.period)},
            "summary": summary,
            "problem": problem,
        },
        status_code=code,
    )


@router.get("/meters/{meter_id}/readings")
def meter_readings(request: Request, meter_id: int, work: ReadingsViewPage) -> Response:
    readings = services.meter_readings(work.read(), meter_id)
    return render(
        request,
        "readings/meter.html",
        {
            "m": readings,
            "can_enter": work.actor.can(Perm.READINGS_ENTER),
            # A wrong closed month is corrected through 退补 (BILL-7), never edited here.
            "can_reprice": work.actor.can(Perm.BILLS_REVERSE),
        },
    )
