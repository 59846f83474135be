"""Provider whitelist REST API. The paths stay under ``/api/vouchers/providers`` (a public
contract from before the providers domain existed)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from yuzhi.providers import service
from yuzhi.providers.schemas import ProviderCreate, ProviderRead
from yuzhi.types import IdPath
from yuzhi.web.deps import AdminUser, SessionDep

router = APIRouter(prefix="/api/vouchers", tags=["providers"])


@router.get("/providers", response_model=list[ProviderRead])
def list_providers(session: SessionDep) -> list[ProviderRead]:
    """The provider whitelist (public)."""
    return [ProviderRead.model_validate(p) for p in service.list_all(session)]


@router.post("/providers", response_model=ProviderRead, status_code=201)
def whitelist_provider(body: ProviderCreate, session: SessionDep, actor: AdminUser) -> ProviderRead:
    return ProviderRead.model_validate(service.whitelist(session, actor=actor, provider_in=body))


@router.post("/providers/{provider_id}/suspend", response_model=ProviderRead)
def suspend_provider(provider_id: IdPath, session: SessionDep, actor: AdminUser,
                     reason: str = Query(..., min_length=2)) -> ProviderRead:
    return ProviderRead.model_validate(service.set_status(session, actor=actor, provider_id=provider_id,
                                                          active=False, reason=reason))


@router.post("/providers/{provider_id}/resume", response_model=ProviderRead)
def resume_provider(provider_id: IdPath, session: SessionDep, actor: AdminUser) -> ProviderRead:
    return ProviderRead.model_validate(service.set_status(session, actor=actor, provider_id=provider_id,
                                                          active=True))
