"""Accounts API: login, organisations, users, API tokens, affiliations."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

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
    TokenPolicy,
    TokenRead,
    UserCreate,
    UserRead,
)
from yuzhi.errors import Forbidden
from yuzhi.pagination import Page
from yuzhi.types import IdPath, Limit, Offset
from yuzhi.web.deps import AdminUser, CurrentUser, OfficeUser, OptionalUser, SessionDep, client_address

router = APIRouter(prefix="/api/accounts", tags=["accounts"])


@router.post("/login", response_model=TokenIssued)
def login(body: LoginIn, request: Request, session: SessionDep) -> TokenIssued:
    """Exchange username and password for a bearer token (valid 1 day). After 10 failures in 15
    minutes for one username or from one address, further attempts get 429 until the window passes."""
    user = service.login(session, username=body.username, password=body.password, address=client_address(request))
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
    if user is None:  # a token always belongs to a user; the system actor has none
        raise Forbidden("API tokens are issued to users", field="user")
    row, token = service.issue_token(session, user=user, name=body.name, days=body.days)
    return TokenIssued(id=row.id, name=row.name, token=token, expires_at=row.expires_at)


def token_read(row, username: str) -> TokenRead:  # type: ignore[no-untyped-def]
    return TokenRead(id=row.id, name=row.name, prefix=row.prefix, kind="session" if row.session else "api",
                     username=username, created_at=row.created_at, expires_at=row.expires_at,
                     last_used_at=row.last_used_at, revoked=row.revoked)


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(session: SessionDep, actor: CurrentUser,
                all_users: bool = Query(False, alias="all", description="every user's (office administrators)"),
                revoked: bool = Query(False, description="include revoked and expired ones")) -> list[TokenRead]:
    """Your live API tokens and browser sessions, newest first, with their last use."""
    return [token_read(t, u) for t, u in service.list_tokens(session, actor=actor, everyone=all_users,
                                                              include_revoked=revoked)]


@router.delete("/tokens/{token_id}", response_model=TokenRead)
def revoke_token(token_id: IdPath, session: SessionDep, actor: CurrentUser) -> TokenRead:
    """Revoke a token at once (yours; an office administrator may revoke anyone's). Audited."""
    from yuzhi.accounts.models import User

    tok = service.revoke_token_id(session, actor=actor, token_id=token_id)
    owner = session.get(User, tok.user_id)
    return token_read(tok, owner.username if owner else "")


@router.get("/token-policy", response_model=TokenPolicy)
def get_token_policy(session: SessionDep, actor: CurrentUser) -> TokenPolicy:
    return TokenPolicy(max_days=service.token_max_days(session))


@router.put("/token-policy", response_model=TokenPolicy)
def set_token_policy(body: TokenPolicy, session: SessionDep, actor: AdminUser) -> TokenPolicy:
    """Set the longest life of an API token; longer-lived tokens already issued are shortened to it."""
    service.set_token_max_days(session, actor=actor, days=body.max_days)
    return TokenPolicy(max_days=body.max_days)


@router.post("/affiliations", status_code=201)
def add_affiliation(body: AffiliationCreate, session: SessionDep, actor: AdminUser) -> dict[str, int]:
    aff = service.add_affiliation(session, actor=actor, aff_in=body)
    return {"id": aff.id, "org_a_id": aff.org_a_id, "org_b_id": aff.org_b_id}
