"""Risk API (PAY-4, PAY-5): the reviewers' cases and the rule configuration. Thin routes
over :mod:`safegrid.payments.risk.cases` and :mod:`safegrid.payments.risk.rules`."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Query

from safegrid.payments.risk import cases, rules
from safegrid.payments.risk.models import CaseStatus
from safegrid.payments.risk.schemas import CaseOut, ExtendIn, NoteIn, RuleSetIn, RuleSetOut
from safegrid.platform.paging import Page, PageQuery
from safegrid.security.api_access import (
    RiskCasesDecide,
    RiskCasesView,
    RiskRulesManage,
    RiskRulesView,
)

router = APIRouter(prefix="/api/payments/risk", tags=["risk 支付风控"])


def _case(view: cases.CaseView) -> CaseOut:
    return CaseOut.model_validate(dataclasses.asdict(view))


def _set(rule_set: rules.RuleSet) -> RuleSetOut:
    return RuleSetOut.model_validate(dataclasses.asdict(rule_set))


@router.get("/cases", response_model=Page[CaseOut])
def list_cases(
    work: RiskCasesView,
    status: CaseStatus | None = None,
    page: int = Query(1, ge=1),
    size: int = Query(20, ge=1, le=200),
) -> Page[CaseOut]:
    found = cases.list_cases(work.read(), status, PageQuery(page=page, size=size))
    return Page[CaseOut](
        items=[_case(v) for v in found.items], total=found.total, page=page, size=size
    )


@router.get("/cases/{risk_case_id}", response_model=CaseOut)
def get_case(risk_case_id: int, work: RiskCasesView) -> CaseOut:
    return _case(cases.get_case(work.read(), risk_case_id))


@router.post("/cases/{risk_case_id}/lift", response_model=CaseOut)
def lift(risk_case_id: int, body: NoteIn, work: RiskCasesDecide) -> CaseOut:
    """Cleared: the account's online functions are restored at once."""
    return _case(cases.do_lift(work.write(), risk_case_id, body.note))


@router.post("/cases/{risk_case_id}/confirm", response_model=CaseOut)
def confirm(risk_case_id: int, body: NoteIn, work: RiskCasesDecide) -> CaseOut:
    """Fraud confirmed: the suspension runs its course."""
    return _case(cases.do_confirm(work.write(), risk_case_id, body.note))


@router.post("/cases/{risk_case_id}/extend", response_model=CaseOut)
def extend(risk_case_id: int, body: ExtendIn, work: RiskCasesDecide) -> CaseOut:
    """More time to investigate: the suspension runs ``hours`` longer."""
    return _case(cases.do_extend(work.write(), risk_case_id, body.hours, body.note))


@router.get("/rules", response_model=list[RuleSetOut])
def rule_versions(work: RiskRulesView) -> list[RuleSetOut]:
    """Every version, the one in force first; version 0 is the SPEC default."""
    return [_set(s) for s in rules.list_versions(work.read())]


@router.put("/rules", response_model=RuleSetOut)
def save_rules(body: RuleSetIn, work: RiskRulesManage) -> RuleSetOut:
    """A new version, in force at once in every process (audited with before and after)."""
    new = [rules.Rule(**r.model_dump()) for r in body.rules]
    return _set(rules.do_save_rules(work.write(), new, note=body.note))
