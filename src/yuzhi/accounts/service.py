"""Organisations, users, authentication, tokens and affiliations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yuzhi.accounts import uscc as uscc_rules
from yuzhi.accounts.actor import Actor, Role
from yuzhi.accounts.models import Affiliation, ApiToken, Organisation, OrgKind, OrgStatus, User
from yuzhi.accounts.regions import city_of
from yuzhi.accounts.schemas import AffiliationCreate, OrgCreate, UserCreate
from yuzhi.accounts.security import hash_password, hash_token, new_token, verify_password
from yuzhi.audit.service import record
from yuzhi.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated


def _org_snapshot(org: Organisation) -> dict[str, object]:
    return {"uscc": org.uscc, "name": org.name, "kind": org.kind, "status": org.status,
            "industry": org.industry, "reason": org.status_reason}


# --- organisations -------------------------------------------------------------------------


def get_org(session: Session, *, actor: Actor, org_id: int) -> Organisation:
    """One organisation; other tenants' organisations are reported as not found."""
    org = session.get(Organisation, org_id)
    if org is None or (not actor.is_office and actor.org_id != org_id):
        raise NotFound(f"organisation {org_id} not found", field="org_id")
    return org


def get_org_by_uscc(session: Session, code: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.uscc == code.strip().upper()))


def list_orgs(session: Session, *, actor: Actor, status: str | None = None, limit: int = 100,
              offset: int = 0) -> tuple[list[Organisation], int]:
    q = select(Organisation)
    if not actor.is_office:
        q = q.where(Organisation.id == actor.org_id)
    if status:
        q = q.where(Organisation.status == status)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    return list(session.scalars(q.order_by(Organisation.id).limit(limit).offset(offset))), total


def register_org(session: Session, *, actor: Actor, org_in: OrgCreate, henan_only: bool = True) -> Organisation:
    """Register a unit (pending office approval). Individuals and out-of-province units are refused."""
    parsed = uscc_rules.parse_henan_unit(org_in.uscc) if henan_only else uscc_rules.parse(org_in.uscc)
    if get_org_by_uscc(session, parsed.code) is not None:
        raise Conflict(f"an organisation with USCC {parsed.code} is already registered", field="uscc",
                       fix="log in with that organisation's account, or ask the office to add you as a member")
    org = Organisation(uscc=parsed.code, name=org_in.name.strip(), kind=OrgKind(org_in.kind).value,
                       region=parsed.region, city=city_of(parsed.region), industry=org_in.industry.strip(),
                       status=OrgStatus.PENDING)
    session.add(org)
    session.flush()
    record(session, actor=actor, action="org.register", entity="organisation", entity_id=org.id,
           after=_org_snapshot(org), org_id=org.id)
    return org


def decide_org(session: Session, *, actor: Actor, org_id: int, approve: bool, reason: str = "") -> Organisation:
    if not actor.is_office:
        raise Forbidden("only the programme office approves organisations")
    org = get_org(session, actor=actor, org_id=org_id)
    if not approve and not reason.strip():
        raise InvalidInput("a rejection needs a reason", field="reason", fix="say why the unit is refused")
    before = _org_snapshot(org)
    org.status = OrgStatus.APPROVED if approve else OrgStatus.REJECTED
    org.status_reason = reason.strip()
    session.flush()
    record(session, actor=actor, action="org.approve" if approve else "org.reject", entity="organisation",
           entity_id=org.id, before=before, after=_org_snapshot(org), org_id=org.id)
    return org


def add_affiliation(session: Session, *, actor: Actor, aff_in: AffiliationCreate) -> Affiliation:
    """Declare two organisations related parties: no subsidy flows between them."""
    if not actor.is_office:
        raise Forbidden("only the programme office records affiliations")
    a, b = sorted((aff_in.org_a_id, aff_in.org_b_id))
    if a == b:
        raise InvalidInput("an organisation cannot be affiliated with itself", field="org_b_id",
                           fix="pick two different organisations")
    for oid in (a, b):
        get_org(session, actor=actor, org_id=oid)
    aff = Affiliation(org_a_id=a, org_b_id=b, note=aff_in.note)
    try:
        with session.begin_nested():
            session.add(aff)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("these organisations are already declared affiliated", field="org_b_id") from exc
    record(session, actor=actor, action="affiliation.add", entity="affiliation", entity_id=aff.id,
           after={"org_a_id": a, "org_b_id": b, "note": aff.note})
    return aff


def are_affiliated(session: Session, org_a: int, org_b: int) -> bool:
    a, b = sorted((org_a, org_b))
    return session.scalar(select(Affiliation.id).where(Affiliation.org_a_id == a, Affiliation.org_b_id == b)) \
        is not None


# --- users and authentication ----------------------------------------------------------------


def create_user(session: Session, *, actor: Actor, user_in: UserCreate) -> User:
    try:
        role = Role(user_in.role)
    except ValueError as exc:
        raise InvalidInput(f"unknown role {user_in.role!r}", field="role",
                           fix="use one of " + ", ".join(r.value for r in Role)) from exc
    if not actor.is_admin and not (actor.org_id and actor.org_id == user_in.org_id and role == Role.MEMBER):
        raise Forbidden("only an office administrator (or a unit for its own members) creates users")
    if role == Role.MEMBER and user_in.org_id is None:
        raise InvalidInput("a member belongs to an organisation", field="org_id", fix="give the org_id")
    if role == Role.PROVIDER and user_in.provider_id is None:
        raise InvalidInput("a provider operator belongs to a provider", field="provider_id",
                           fix="give the provider_id")
    if session.scalar(select(User.id).where(User.username == user_in.username)) is not None:
        raise Conflict(f"username {user_in.username!r} is taken", field="username", fix="choose another")
    user = User(username=user_in.username, display_name=user_in.display_name or user_in.username,
                password_hash=hash_password(user_in.password), role=role.value,
                org_id=user_in.org_id if role == Role.MEMBER else None,
                provider_id=user_in.provider_id if role == Role.PROVIDER else None)
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.create", entity="user", entity_id=user.id,
           after={"username": user.username, "role": user.role, "org_id": user.org_id,
                  "provider_id": user.provider_id}, org_id=user.org_id)
    return user


def actor_for(user: User) -> Actor:
    org_id = user.org_id
    if user.role == Role.PROVIDER and user.provider_id is not None:
        from yuzhi.compute.models import Provider

        prov = object_session_get(user, Provider, user.provider_id)
        org_id = prov.org_id if prov is not None else None
    return Actor(user_id=user.id, username=user.username, role=Role(user.role), org_id=org_id,
                 provider_id=user.provider_id)


def object_session_get(obj: object, cls: type, ident: int):  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import object_session

    sess = object_session(obj)
    return sess.get(cls, ident) if sess is not None else None


def authenticate(session: Session, *, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.active:
        raise Unauthenticated("wrong username or password", field="password",
                              fix="check the credentials printed by `yuzhi demo` or ask your administrator")
    return user


def issue_token(session: Session, *, user: User, name: str, days: int | None = 365,
                browser_session: bool = False) -> tuple[ApiToken, str]:
    """Create a token; the clear text is returned once and only its SHA-256 is stored."""
    token = new_token()
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(token), prefix=token[:10],
                   expires_at=expires, session=browser_session)
    session.add(row)
    session.flush()
    if not browser_session:
        record(session, actor=actor_for(user), action="token.issue", entity="api_token", entity_id=row.id,
               after={"name": name, "prefix": row.prefix, "expires_at": expires})
    return row, token


def actor_for_token(session: Session, token: str) -> Actor | None:
    """The caller behind a token, in one statement (every API request runs this): token, user and,
    for provider operators, the provider's organisation. None when unknown, revoked, expired or
    the user is deactivated."""
    from yuzhi.compute.models import Provider

    row = session.execute(
        select(ApiToken.revoked, ApiToken.expires_at, User.id, User.username, User.role, User.org_id,
               User.provider_id, User.active, Provider.org_id)
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(Provider, Provider.id == User.provider_id)
        .where(ApiToken.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    revoked, expires_at, user_id, username, role, org_id, provider_id, active, provider_org = row
    if revoked or not active or (expires_at and expires_at < datetime.now(UTC)):
        return None
    if role == Role.PROVIDER and provider_id is not None:
        org_id = provider_org
    return Actor(user_id=user_id, username=username, role=Role(role), org_id=org_id, provider_id=provider_id)


def revoke_token(session: Session, *, token: str) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is not None:
        row.revoked = True


def list_users(session: Session, *, actor: Actor) -> list[User]:
    q = select(User).order_by(User.id)
    if not actor.is_office:
        q = q.where(or_(User.org_id == actor.org_id, User.id == actor.user_id))
    return list(session.scalars(q))
