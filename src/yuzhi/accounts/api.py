"""Accounts API: login, organisations, users, API tokens, affiliations."""

from __future__ import annotations

from fastapi import APIRouter

from yuzhi.accounts import service
from yuzhi.accounts.actor import SYSTEM
from yuzhi.accounts.schemas import (
    AffiliationCreate,
    LoginIn,
    OrgCreate,
    OrgDecision,
    OrgRead,
    TokenCreate,
    TokenIssued,
    UserCreate,
    UserRead,
)
from yuzhi.pagination import Page
from yuzhi.types import IdPath, Limit, Offset
from yuzhi.web.deps import AdminUser, CurrentUser, OfficeUser, OptionalUser, SessionDep

router = APIRouter(prefix="/api/accounts", tags=["accounts"])


@router.post("/login", response_model=TokenIssued)
def login(body: LoginIn, session: SessionDep) -> TokenIssued:
    """Exchange username and password for a bearer token (valid 1 day)."""
    user = service.authenticate(session, username=body.username, password=body.password)
    row, token = service.issue_token(session, user=user, name="login", days=1, browser_session=True)
    return TokenIssued(id=row.id, name=row.name, token=token, expires_at=row.expires_at)


@router.get("/me")
def me(actor: CurrentUser) -> dict[str, object]:
    return {"username": actor.username, "role": actor.role.value, "org_id": actor.org_id,
            "provider_id": actor.provider_id}


@router.post("/organisations", response_model=OrgRead, status_code=201)
def register_org(body: OrgCreate, session: SessionDep, actor: OptionalUser) -> OrgRead:
    """Register a unit (public; pending office approval). USCC check character and Henan region are checked."""
    org = service.register_org(session, actor=actor or SYSTEM, org_in=body)
    return OrgRead.model_validate(org)


@router.get("/organisations", response_model=Page[OrgRead])
def list_orgs(session: SessionDep, actor: CurrentUser, status: str | None = None,
              limit: Limit = 100, offset: Offset = 0) -> Page[OrgRead]:
    rows, total = service.list_orgs(session, actor=actor, status=status, limit=limit, offset=offset)
    return Page[OrgRead](data=[OrgRead.model_validate(r) for r in rows], count=total)


@router.get("/organisations/{org_id}", response_model=OrgRead)
def get_org(org_id: IdPath, session: SessionDep, actor: CurrentUser) -> OrgRead:
    return OrgRead.model_validate(service.get_org(session, actor=actor, org_id=org_id))


@router.post("/organisations/{org_id}/decision", response_model=OrgRead)
def decide_org(org_id: IdPath, body: OrgDecision, session: SessionDep, actor: OfficeUser) -> OrgRead:
    return OrgRead.model_validate(service.decide_org(session, actor=actor, org_id=org_id, approve=body.approve,
                                                     reason=body.reason))


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, session: SessionDep, actor: CurrentUser) -> UserRead:
    return UserRead.model_validate(service.create_user(session, actor=actor, user_in=body))


@router.get("/users", response_model=list[UserRead])
def list_users(session: SessionDep, actor: CurrentUser) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in service.list_users(session, actor=actor)]


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def issue_token(body: TokenCreate, session: SessionDep, actor: CurrentUser) -> TokenIssued:
    """Issue an API token for the caller (e.g. a provider's billing system). Shown once."""
    from yuzhi.accounts.models import User

    user = session.get(User, actor.user_id)
    row, token = service.issue_token(session, user=user, name=body.name, days=body.days)
    return TokenIssued(id=row.id, name=row.name, token=token, expires_at=row.expires_at)


@router.post("/affiliations", status_code=201)
def add_affiliation(body: AffiliationCreate, session: SessionDep, actor: AdminUser) -> dict[str, int]:
    aff = service.add_affiliation(session, actor=actor, aff_in=body)
    return {"id": aff.id, "org_a_id": aff.org_a_id, "org_b_id": aff.org_b_id}
