"""Voucher programme REST API (thin: every route calls the service)."""

from __future__ import annotations

import threading
from dataclasses import asdict

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from yuzhi.accounts.actor import Actor, Role
from yuzhi.errors import DomainError
from yuzhi.pagination import Page
from yuzhi.types import IdPath, IdQuery, Limit, Offset, YearPath, YearQuery
from yuzhi.vouchers import reports, service
from yuzhi.vouchers.desk import BillDesk
from yuzhi.vouchers.schemas import (
    ApplicationCreate,
    ApplicationRead,
    BillBatchIn,
    BillBatchResult,
    BillIn,
    BillRead,
    BillResult,
    MarkPaid,
    ObjectionCreate,
    ObjectionResolve,
    PositionRead,
    ProgrammeCreate,
    ProgrammeRead,
    RepaymentIn,
    Review,
    SettlementCreate,
    SettlementRead,
)
from yuzhi.web import exports
from yuzhi.web.deps import AdminUser, CurrentUser, OfficeUser, OptionalUser, SessionDep

router = APIRouter(prefix="/api/vouchers", tags=["vouchers"])

#: A caller without an account (public objections): no user, no organisation, no office powers.
ANONYMOUS = Actor(user_id=None, username="public", role=Role.MEMBER)


@router.get("/programmes", response_model=list[ProgrammeRead])
def list_programmes(session: SessionDep) -> list[ProgrammeRead]:
    """Programme years and their rules (public)."""
    return [ProgrammeRead.model_validate(p) for p in service.list_programmes(session)]


@router.post("/programmes", response_model=ProgrammeRead, status_code=201)
def create_programme(body: ProgrammeCreate, session: SessionDep, actor: AdminUser) -> ProgrammeRead:
    return ProgrammeRead.model_validate(service.create_programme(session, actor=actor, prog_in=body))


@router.post("/programmes/{year}/close")
def close_year(year: YearPath, session: SessionDep, actor: AdminUser) -> dict[str, int]:
    """Year end: unused quota expires back to the pool; no more bills for the year."""
    return service.close_year(session, actor=actor, year=year)


def _app_read(a) -> ApplicationRead:
    return ApplicationRead.model_validate(a, from_attributes=True)


@router.post("/applications", response_model=ApplicationRead, status_code=201)
def apply(body: ApplicationCreate, session: SessionDep, actor: CurrentUser) -> ApplicationRead:
    return _app_read(service.apply(session, actor=actor, app_in=body))


@router.get("/applications", response_model=Page[ApplicationRead])
def list_applications(session: SessionDep, actor: CurrentUser, year: YearQuery = None,
                      status: str | None = None, limit: Limit = 100,
                      offset: Offset = 0) -> Page[ApplicationRead]:
    rows, total = service.list_applications(session, actor=actor, year=year, status=status, limit=limit,
                                            offset=offset)
    return Page[ApplicationRead](data=[_app_read(a) for a in rows], count=total)


@router.get("/applications/{app_id}", response_model=ApplicationRead)
def get_application(app_id: IdPath, session: SessionDep, actor: CurrentUser) -> ApplicationRead:
    return _app_read(service.get_application(session, actor=actor, app_id=app_id))


@router.post("/applications/{app_id}/review", response_model=ApplicationRead)
def review(app_id: IdPath, body: Review, session: SessionDep, actor: OfficeUser) -> ApplicationRead:
    return _app_read(service.review(session, actor=actor, app_id=app_id, decision=body))


@router.get("/disclosure")
def disclosure(session: SessionDep, year: YearQuery = None) -> list[dict[str, object]]:
    """Public disclosure list (公示): unit, provider, approved quota, disclosure end."""
    return [{"application_id": a.id, "unit": org, "provider": prov, "approved_fen": a.approved_fen,
             "status": a.status, "disclosure_until": a.disclosure_until, "contract_no": a.contract_no}
            for a, org, prov in service.disclosure(session, year=year)]


@router.post("/applications/{app_id}/objections", status_code=201)
def lodge_objection(app_id: IdPath, body: ObjectionCreate, session: SessionDep,
                    actor: OptionalUser) -> dict[str, object]:
    o = service.lodge_objection(session, actor=actor or ANONYMOUS, app_id=app_id, obj_in=body)
    return {"id": o.id, "application_id": o.application_id, "status": o.status}


@router.get("/objections")
def list_objections(session: SessionDep, actor: OfficeUser, status: str | None = "open") -> list[dict[str, object]]:
    return [{"id": o.id, "application_id": o.application_id, "text": o.text, "status": o.status,
             "submitted_by": o.submitted_by, "resolution": o.resolution}
            for o in service.list_objections(session, actor=actor, status=status)]


@router.post("/objections/{objection_id}/resolve")
def resolve_objection(objection_id: IdPath, body: ObjectionResolve, session: SessionDep,
                      actor: OfficeUser) -> dict[str, object]:
    o = service.resolve_objection(session, actor=actor, objection_id=objection_id, uphold=body.uphold,
                                  resolution=body.resolution)
    return {"id": o.id, "status": o.status, "application_id": o.application_id}


_DESK_LOCK = threading.Lock()


def _desk(request: Request) -> BillDesk:
    """The app's bill desk (one per process and app, made on first use)."""
    state = request.app.state
    with _DESK_LOCK:
        if getattr(state, "bill_desk", None) is None:
            state.bill_desk = BillDesk(state.sessionmaker)
    return state.bill_desk


@router.post("/bills", response_model=BillResult, status_code=201,
             responses={200: {"description": "idempotent replay of an invoice already recorded"},
                        409: {"description": "same invoice number, different payload"}})
def push_bill(body: BillIn, request: Request, actor: CurrentUser) -> Response:
    """A provider pushes a metered bill or credit note; the subsidy is computed at once.

    Answered once the bill is committed. Bills pushed concurrently by the same account are
    committed together (group commit, ``yuzhi.vouchers.desk``); each gets its own answer.
    """
    try:
        bill, replay = _desk(request).submit(actor=actor, bill_in=body)
    except DomainError as exc:
        service.audit_refused(request.app.state.sessionmaker, actor=actor, exc=exc)
        raise
    out = BillResult.model_validate(bill, from_attributes=True)
    out.replay = replay
    # serialised by pydantic-core straight to bytes (the same compact JSON JSONResponse would write)
    return Response(content=out.model_dump_json(), status_code=200 if replay else 201, media_type="application/json")


@router.post("/bills/batch", response_model=BillBatchResult,
             responses={409: {"description": "an invoice already on file with different content"},
                        422: {"description": "a bad bill: field names it as bills.<index>.<field>; "
                                             "nothing in the batch was recorded"}})
def push_bills(body: BillBatchIn, request: Request, actor: CurrentUser) -> BillBatchResult:
    """A provider pushes a billing run (up to 1,000 bills and credit notes) in one all-or-nothing call.

    Each bill gets exactly what ``POST /bills`` would give it, in the order sent (a unit's quota is
    drawn by its bills in that order); invoices already on file are replayed, not recorded twice.
    A concurrent push of the same new invoice that commits first makes this batch's insert collide:
    the batch is then run again once in a fresh transaction, where that invoice is on file and is
    answered as a replay (or a 409 naming it, when its content differs). Recorded and committed by
    the bill desk, like single pushes (one transaction model, ``yuzhi.vouchers.desk``).
    """
    try:
        pairs = _desk(request).record_run(actor=actor, bills_in=body.bills)
    except DomainError as exc:
        service.audit_refused(request.app.state.sessionmaker, actor=actor, exc=exc)
        raise
    results = []
    for bill, replay in pairs:
        out = BillResult.model_validate(bill, from_attributes=True)
        out.replay = replay
        results.append(out)
    new = [b for b, replay in pairs if not replay]
    granted = sum(b.subsidy_fen if b.kind == "bill" else -b.subsidy_fen for b in new)
    return BillBatchResult(recorded=len(new), replayed=len(pairs) - len(new),
                           subsidy_fen=granted, results=results)


@router.get("/bills", response_model=Page[BillRead])
def list_bills(session: SessionDep, actor: CurrentUser, year: YearQuery = None, org_id: IdQuery = None,
               limit: Limit = 100, offset: Offset = 0) -> Page[BillRead]:
    rows, total = service.list_bills(session, actor=actor, year=year, org_id=org_id, limit=limit, offset=offset)
    return Page[BillRead](data=[BillRead.model_validate(b) for b in rows], count=total)


@router.get("/bills/{bill_id}", response_model=BillRead)
def get_bill(bill_id: IdPath, session: SessionDep, actor: CurrentUser) -> BillRead:
    return BillRead.model_validate(service.get_bill(session, actor=actor, bill_id=bill_id))


@router.post("/settlements", response_model=SettlementRead, status_code=201)
def create_settlement(body: SettlementCreate, session: SessionDep, actor: AdminUser) -> SettlementRead:
    return SettlementRead.model_validate(service.create_settlement(session, actor=actor, settle_in=body))


@router.get("/settlements", response_model=list[SettlementRead])
def list_settlements(session: SessionDep, actor: OfficeUser) -> list[SettlementRead]:
    return [SettlementRead.model_validate(b) for b in service.list_settlements(session, actor=actor)]


@router.get("/settlements/{batch_id}/export")
def export_settlement(batch_id: IdPath, session: SessionDep, actor: OfficeUser,
                      fmt: str = Query("xlsx", pattern="^(xlsx|csv)$")) -> Response:
    """Payment file for the treasury: one line per payee, province and city shares (fen and yuan)."""
    b = service.mark_exported(session, actor=actor, batch_id=batch_id)
    return exports.download(fmt, f"settlement-{b.id}", *exports.settlement_file(b))


@router.post("/settlements/{batch_id}/paid", response_model=SettlementRead)
def mark_paid(batch_id: IdPath, body: MarkPaid, session: SessionDep, actor: AdminUser) -> SettlementRead:
    return SettlementRead.model_validate(service.mark_paid(session, actor=actor, batch_id=batch_id,
                                                           payment_ref=body.payment_ref))


@router.get("/dashboard/{year}")
def dashboard(year: YearPath, session: SessionDep, actor: OfficeUser) -> dict[str, object]:
    return asdict(reports.dashboard(session, actor=actor, year=year))


@router.get("/position/{year}", response_model=PositionRead)
def position(year: YearPath, session: SessionDep, actor: CurrentUser, payee_id: IdQuery = None) -> PositionRead:
    """A payee's position with a year: payable, settling, paid, owed back after credit notes, repaid.

    A provider (discount mode) or unit (reimbursement mode) sees its own; the office passes ``payee_id``."""
    return PositionRead.model_validate(reports.position(session, actor=actor, year=year, payee_id=payee_id))


@router.post("/programmes/{year}/repayments", response_model=PositionRead, status_code=201)
def record_repayment(year: YearPath, body: RepaymentIn, session: SessionDep, actor: AdminUser) -> PositionRead:
    """A payee paid back subsidy it owed the year's pool (bills credited after settlement)."""
    service.record_repayment(session, actor=actor, year=year, payee_id=body.payee_id, amount_fen=body.amount_fen,
                             payment_ref=body.payment_ref)
    return PositionRead.model_validate(reports.position(session, actor=actor, year=year, payee_id=body.payee_id))


@router.get("/statement/{year}")
def statement(year: YearPath, session: SessionDep, actor: CurrentUser, org_id: IdQuery = None,
              fmt: str = Query("json", pattern="^(json|xlsx|csv)$")) -> Response:
    """A unit's statement for a year (office may pass ``org_id``)."""
    st = reports.statement(session, actor=actor, org_id=org_id or actor.org_id or 0, year=year)
    rows = [(b.invoice_no, b.kind, str(b.period_start), str(b.period_end), b.amount_fen, b.eligible_fen,
             b.subsidy_fen, b.owed_fen, b.ineligible_reason) for b in st.bills]
    if fmt != "json":
        return exports.download(fmt, f"statement-{st.org.uscc}-{year}",
                                ["invoice_no", "kind", "period_start", "period_end", "amount_fen", "eligible_fen",
                                 "subsidy_fen", "owed_fen", "note"], rows)
    return JSONResponse({"org": st.org.name, "uscc": st.org.uscc, "year": year, "quota_fen": st.quota_fen,
                         "used_fen": st.used_fen, "remaining_fen": st.remaining_fen, "billed_fen": st.billed_fen,
                         "subsidy_fen": st.subsidy_fen, "owed_fen": st.owed_fen,
                         "bills": [dict(zip(["invoice_no", "kind", "period_start", "period_end", "amount_fen",
                                             "eligible_fen", "subsidy_fen", "owed_fen", "note"], r, strict=True))
                                   for r in rows]})


from yuzhi.vouchers.casefile_api import router as _casefile_router  # noqa: E402  (case file API, issue 15)

router.include_router(_casefile_router)
