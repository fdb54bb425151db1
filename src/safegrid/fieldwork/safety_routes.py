"""Field safety API (FLD-1..8, OPS-6 field side): parse → guard → service."""

from __future__ import annotations

from fastapi import APIRouter, status

from safegrid.apicontract import body_limits
from safegrid.bootstrap import get_platform
from safegrid.fieldwork import kits, lifecycle, queries, rectification, sync
from safegrid.fieldwork.schemas import (
    MAX_PHOTO_CHARS,
    FieldOrderOut,
    Ids,
    KitIn,
    KitTestBody,
    Numbers,
    ProgressIn,
    ProgressOut,
    RectifyIn,
    StepIn,
    SyncBatchIn,
    SyncResultOut,
)
from safegrid.security.api_access import FieldSafetyManage, FieldWork, WorkordersAssign

router = APIRouter(tags=["fieldwork 现场作业"])


@router.post("/api/workorders/dispatch", response_model=Numbers)
def dispatch(body: Ids, work: WorkordersAssign) -> Numbers:
    """Send planned orders out; refused whole if any crew member's kit is overdue or failed
    (FLD-1), he is suspended (FLD-8), preparations are missing (FLD-3) or the weather bans
    high-risk work at the site (FLD-5)."""
    return Numbers(numbers=lifecycle.do_dispatch(work.write(), body.ids))


@router.post("/api/workorders/review", response_model=Numbers)
def review(body: Ids, work: WorkordersAssign) -> Numbers:
    return Numbers(numbers=lifecycle.do_advance(work.write(), "review", body.ids))


@router.post("/api/field/steps", response_model=Numbers)
def step(body: StepIn, work: FieldWork) -> Numbers:
    """accept / start / finish / submit own orders (start and submit need the checklist)."""
    return Numbers(numbers=lifecycle.do_advance(work.write(), body.action, body.ids))


@router.get("/api/field/orders", response_model=list[FieldOrderOut])
def my_orders(work: FieldWork) -> list[FieldOrderOut]:
    return [
        FieldOrderOut.model_validate(o, from_attributes=True)
        for o in queries.my_orders(work.read())
    ]


# Photos travel in the sync (the app keeps them in IndexedDB until answered): the 1 MB
# default would refuse a single phone photo.
@router.post(
    "/api/field/sync",
    response_model=list[SyncResultOut],
    max_body_size=body_limits.upload_limit(MAX_PHOTO_CHARS),
)
def sync_batch(body: SyncBatchIn, work: FieldWork) -> list[SyncResultOut]:
    """The offline app's queue (ADR 0027): each action once, by its idempotency key."""
    results = sync.do_sync(get_platform(), work.actor, body)
    return [SyncResultOut(key=r.key, status=r.status, message=r.message) for r in results]


@router.post("/api/field/kits", response_model=Numbers, status_code=status.HTTP_201_CREATED)
def issue_kit(body: KitIn, work: FieldSafetyManage) -> Numbers:
    return Numbers(
        numbers=kits.do_issue_kits(work.write(), [kits.NewKit(body.holder_id, body.pieces)])
    )


@router.post("/api/field/kit-tests", status_code=status.HTTP_201_CREATED)
def record_kit_test(body: KitTestBody, work: FieldSafetyManage) -> dict[str, list[int]]:
    test = kits.KitTestIn(body.kit_number, body.certificate_no, body.tested_on, body.results)
    return {"ids": kits.do_record_kit_tests(work.write(), [test])}


@router.post("/api/field/rectifications", status_code=status.HTTP_201_CREATED)
def rectify(body: RectifyIn, work: FieldSafetyManage) -> dict[str, list[int]]:
    item = rectification.NewRectification(
        body.worker_id, body.colour, body.reason, body.work_order_id
    )
    return {"ids": rectification.do_rectify(work.write(), [item])}


@router.post("/api/field/rectifications/{rectification_id}/progress", response_model=ProgressOut)
def record_progress(
    rectification_id: int, body: ProgressIn, work: FieldSafetyManage
) -> ProgressOut:
    """Retraining hours (red; cleared at 8 h) or the written review (yellow); black is
    never cleared here (409)."""
    cleared = rectification.do_record_progress(
        work.write(),
        rectification_id,
        retraining_hours=body.retraining_hours,
        written_review=body.written_review,
    )
    return ProgressOut(cleared=cleared)
