"""Compute network REST API (thin: every route calls ``yuzhi.compute.service``).

Providers connect engines and publish capacity and rate cards; members upload inputs, get a
quote, submit, follow and cancel jobs; everyone sees only their own tenant's jobs (another
tenant's job is a 404). Money is integer fen.
"""

from __future__ import annotations

import json
from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from sqlalchemy import select

from yuzhi.compute import service
from yuzhi.compute.models import ComputeJob
from yuzhi.compute.schemas import (
    AccountRead,
    AppIn,
    AppRead,
    ArtifactRead,
    BudgetIn,
    CapacityIn,
    CapacityRead,
    EndpointIn,
    EndpointRead,
    JobIn,
    JobPage,
    JobRead,
    QuoteRead,
    RateCardEnd,
    RateCardIn,
    RateCardRead,
)
from yuzhi.compute.store import ArtifactStore
from yuzhi.errors import InvalidInput, NotFound
from yuzhi.providers.models import Provider
from yuzhi.types import MAX_YEAR, MIN_YEAR, IdPath, IdQuery, Limit, Offset
from yuzhi.web.deps import AdminUser, CurrentUser, SessionDep
from yuzhi.workflows import compute_billing as flows

router = APIRouter(prefix="/api/compute", tags=["compute"])

MAX_UPLOAD = 2 * 1024**3


def store_of(request: Request) -> ArtifactStore:
    """The artifact store (``app.state.compute_store`` when set, e.g. by tests)."""
    return getattr(request.app.state, "compute_store", None) or service.default_store()


def job_read(job: ComputeJob) -> JobRead:
    read = JobRead.model_validate(job)
    read.inputs = json.loads(job.inputs_json or "{}")
    read.outputs = json.loads(job.outputs_json or "[]")
    return read


# --- providers --------------------------------------------------------------------------------


@router.get("/providers")
def providers(session: SessionDep) -> list[dict[str, object]]:
    """Whitelisted providers with their engine, capacity and current rate card (public)."""
    out = []
    today = service._today()
    for p in session.scalars(select(Provider).order_by(Provider.id)):
        ep = service.get_endpoint(session, provider_id=p.id)
        cap = service.get_capacity(session, provider_id=p.id)
        try:
            card = RateCardRead.model_validate(service.card_on(session, provider_id=p.id, day=today)).model_dump()
        except NotFound:
            card = None
        out.append({"id": p.id, "name": p.name, "status": p.status,
                    "endpoint": EndpointRead.model_validate(ep).model_dump() if ep else None,
                    "capacity": CapacityRead.model_validate(cap).model_dump() if cap else None,
                    "rate_card": card})
    return out


@router.put("/providers/{provider_id}/endpoint", response_model=EndpointRead)
def connect(provider_id: IdPath, body: EndpointIn, session: SessionDep, actor: CurrentUser) -> EndpointRead:
    """Connect the provider's engine (its operators or an office administrator)."""
    ep = service.connect(session, actor=actor, provider_id=provider_id, endpoint_in=body)
    service.check_endpoint(session, endpoint=ep)
    return EndpointRead.model_validate(ep)


@router.put("/providers/{provider_id}/capacity", response_model=CapacityRead)
def publish_capacity(provider_id: IdPath, body: CapacityIn, session: SessionDep, actor: CurrentUser) -> CapacityRead:
    return CapacityRead.model_validate(service.publish_capacity(session, actor=actor, provider_id=provider_id,
                                                                capacity_in=body))


@router.get("/providers/{provider_id}/rate-cards", response_model=list[RateCardRead])
def list_rate_cards(provider_id: IdPath, session: SessionDep) -> list[RateCardRead]:
    """A provider's published prices (public)."""
    return [RateCardRead.model_validate(r) for r in service.rate_cards(session, provider_id=provider_id)]


@router.post("/providers/{provider_id}/rate-cards", response_model=RateCardRead, status_code=201)
def publish_rate_card(provider_id: IdPath, body: RateCardIn, session: SessionDep, actor: CurrentUser) -> RateCardRead:
    return RateCardRead.model_validate(service.publish_rate_card(session, actor=actor, provider_id=provider_id,
                                                                 card_in=body))


@router.post("/providers/{provider_id}/rate-cards/{card_id}/end", response_model=RateCardRead)
def end_rate_card(provider_id: IdPath, card_id: IdPath, body: RateCardEnd, session: SessionDep,
                  actor: CurrentUser) -> RateCardRead:
    """End a card on ``valid_to`` (publishing a later card ends the open one by itself)."""
    return RateCardRead.model_validate(service.end_rate_card(session, actor=actor, provider_id=provider_id,
                                                             card_id=card_id, valid_to=body.valid_to))


@router.get("/providers/{provider_id}/statement", response_model=list[JobRead])
def provider_statement(provider_id: IdPath, session: SessionDep, actor: CurrentUser,
                       year: int = Query(default_factory=lambda: date.today().year, ge=MIN_YEAR,
                                         le=MAX_YEAR)) -> list[JobRead]:
    """Every finished job of the year with its metered usage, price, charge and subsidy."""
    return [job_read(j) for j in service.statement(session, actor=actor, provider_id=provider_id, year=year)]


@router.get("/providers/{provider_id}/reconcile")
def provider_reconcile(provider_id: IdPath, session: SessionDep, actor: CurrentUser,
                       month: str = Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"]),
                       format: str = Query("json", pattern="^(json|xlsx)$")) -> Response:
    """The month's reconciliation with the centre's sacct (office or the provider): every difference."""
    from yuzhi.compute import reconcile as rec

    ep = service.get_endpoint(session, provider_id=provider_id)
    if ep is None:
        raise NotFound(f"provider {provider_id} has no engine connected", field="provider_id",
                       key="provider_no_engine", params={"id": provider_id})
    rep = rec.reconcile(session, actor=actor, provider_id=provider_id, month=month, backend=service.backend_for(ep))
    if format == "xlsx":
        xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(rec.to_xlsx(rep), media_type=xlsx_type,
                        headers={"Content-Disposition": f'attachment; filename="reconcile-{provider_id}-{month}.xlsx"'})
    return JSONResponse({"month": rep.month, "provider_id": rep.provider_id, "jobs_platform": rep.jobs_platform,
                         "jobs_sacct": rep.jobs_sacct, "charged_fen": rep.charged_fen, "subsidy_fen": rep.subsidy_fen,
                         "differences": [dict(zip(rec.HEADERS, d.row(), strict=True)) for d in rep.differences]})


# --- budgets and apps -------------------------------------------------------------------------


@router.get("/budget", response_model=AccountRead)
def get_budget(session: SessionDep, actor: CurrentUser, org_id: IdQuery = None) -> AccountRead:
    """The caller's organisation's compute budget (the office may name any ``org_id``)."""
    oid = org_id if org_id is not None else actor.org_id
    if oid is None:
        raise InvalidInput("org_id is required for office accounts", field="org_id")
    return AccountRead.model_validate(service.get_account(session, actor=actor, org_id=oid))


@router.put("/budget", response_model=AccountRead)
def set_budget(body: BudgetIn, session: SessionDep, actor: CurrentUser, org_id: IdQuery = None) -> AccountRead:
    oid = org_id if org_id is not None else actor.org_id
    if oid is None:
        raise InvalidInput("org_id is required for office accounts", field="org_id")
    return AccountRead.model_validate(service.set_budget(session, actor=actor, org_id=oid, budget_in=body))


@router.get("/apps", response_model=list[AppRead])
def list_apps(session: SessionDep, actor: CurrentUser) -> list[AppRead]:
    return [AppRead.model_validate(a) for a in service.list_apps(session)]


@router.post("/apps", response_model=AppRead, status_code=201)
def register_app(body: AppIn, session: SessionDep, actor: AdminUser) -> AppRead:
    return AppRead.model_validate(service.register_app(session, actor=actor, app_in=body))


# --- artifacts --------------------------------------------------------------------------------


@router.post("/artifacts", response_model=ArtifactRead, status_code=201)
async def upload(request: Request, actor: CurrentUser, name: str = Query("", max_length=200)) -> ArtifactRead:
    """Upload a job input as the raw request body; returns its SHA-256 to use in ``inputs``."""
    length = int(request.headers.get("content-length") or 0)
    if length > MAX_UPLOAD:
        raise InvalidInput(f"upload of {length} bytes exceeds {MAX_UPLOAD}", field="body",
                           fix="put large data on the cluster's filesystem and upload a manifest",
                           key="upload_too_large", params={"size": length, "most": MAX_UPLOAD})
    data = await request.body()
    if not data:
        raise InvalidInput("the request body is empty", field="body", fix="send the file's bytes as the body")
    art = store_of(request).put_bytes(data, name=name, owner=service.owner_key(actor))
    return ArtifactRead(sha256=art.sha256, size=art.size, name=art.name)


@router.get("/artifacts/{sha256}")
def download(sha256: str, request: Request, session: SessionDep, actor: CurrentUser) -> FileResponse:
    """Download an artifact used or produced by one of the caller's jobs (the office: any)."""
    store = store_of(request)
    path = store.object_path(sha256)
    if not service.may_use(session, store, actor, sha256):
        raise NotFound(f"artifact {sha256[:12]}… not found", field="sha256",
                       key="artifact_not_found", params={"sha": sha256[:12]})
    if not path.exists():
        raise NotFound(f"artifact {sha256[:12]}… not found", field="sha256",
                       key="artifact_not_found", params={"sha": sha256[:12]})
    return FileResponse(path, media_type="application/octet-stream")


# --- jobs -------------------------------------------------------------------------------------


@router.post("/quote", response_model=QuoteRead)
def quote(body: JobIn, session: SessionDep, actor: CurrentUser) -> QuoteRead:
    """What the job would hold, where, and how much of it the voucher is expected to cover."""
    c = service.choose(session, job_in=body)
    expected = flows.estimate_subsidy(session, actor.org_id, c.provider.id, c.quote_fen, service._today()) \
        if actor.org_id else 0
    return QuoteRead(provider_id=c.provider.id, provider_name=c.provider.name, rate_card_id=c.card.id,
                     quote_fen=c.quote_fen, expected_subsidy_fen=expected)


@router.post("/jobs", response_model=JobRead, status_code=201)
def submit(body: JobIn, request: Request, session: SessionDep, actor: CurrentUser) -> JobRead:
    """Quote, hold the quote against the budget and queue the job."""
    job = service.submit_job(session, actor=actor, job_in=body, store=store_of(request),
                             estimate_subsidy=flows.estimate_subsidy)
    return job_read(job)


@router.get("/jobs", response_model=JobPage)
def list_jobs(session: SessionDep, actor: CurrentUser, status: str | None = None, provider_id: IdQuery = None,
              limit: Limit = 100, offset: Offset = 0) -> JobPage:
    rows, total = service.list_jobs(session, actor=actor, status=status, provider_id=provider_id, limit=limit,
                                    offset=offset)
    return JobPage(data=[job_read(j) for j in rows], count=total)


@router.get("/jobs/{job_id}", response_model=JobRead)
def get_job(job_id: IdPath, session: SessionDep, actor: CurrentUser) -> JobRead:
    return job_read(service.get_job(session, actor=actor, job_id=job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobRead)
def cancel(job_id: IdPath, session: SessionDep, actor: CurrentUser) -> JobRead:
    return job_read(service.cancel_job(session, actor=actor, job_id=job_id))


@router.get("/jobs/{job_id}/log", response_class=PlainTextResponse)
def job_log(job_id: IdPath, request: Request, session: SessionDep, actor: CurrentUser) -> str:
    """The last 64 kB of the job's stdout and stderr."""
    return service.job_log(session, actor=actor, job_id=job_id, store=store_of(request))
