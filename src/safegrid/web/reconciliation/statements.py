"""Statement upload with the parse preview (REC-1): the file is read and checked without
storing anything (preview), or imported all or nothing (import), through the same
services as ``safegrid statements parse|import``."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from safegrid.platform.errors import ConflictError, SafeGridError, ValidationProblem
from safegrid.reconciliation import column_maps, formats, statements
from safegrid.web.page_access import ReconWorkPage
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)
SHOWN_ENTRIES: Final = 50


def _page(request: Request, status: int = 200, **context: object) -> Response:
    base = {"parsed": None, "problem": None, "check": None, "imported": None, "shown": SHOWN_ENTRIES,
            "maps": sorted(column_maps.all_maps().values(), key=lambda m: m.code), "bank": ""}  # fmt: skip
    return render(
        request, "reconciliation/statements.html", {**base, **context}, status_code=status
    )


@router.get("/reconciliation/statements")
def upload_form(request: Request, work: ReconWorkPage) -> Response:
    return _page(request)


@router.post("/reconciliation/statements")
async def upload(
    request: Request,
    work: ReconWorkPage,
    file: UploadFile = File(...),
    action: Annotated[str, Form(max_length=8)] = "preview",
    bank: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    data = await file.read(formats.MAX_BYTES + 1)
    name = file.filename or "statement"
    try:
        if action == "import":
            result = statements.do_import_statements(work.write(), name, data, bank=bank or None)
            return _page(request, imported=result, bank=bank)
        parsed = formats.parse(name, data, bank=bank or None)
    except (ValidationProblem, ConflictError) as exc:
        return _page(request, exc.status_code, problem=exc.message, bank=bank)
    check = None
    try:
        formats.check(parsed)
    except SafeGridError as exc:
        check = exc.message
    return _page(request, parsed=parsed, check=check, bank=bank)
