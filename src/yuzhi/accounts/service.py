"""Organisations, users, authentication, tokens and affiliations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, bindparam, column, delete, func, insert, or_, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yuzhi.accounts import uscc as uscc_rules
from yuzhi.accounts.actor import Actor, Role
from yuzhi.accounts.models import (
    Affiliation,
    ApiToken,
    LoginFailure,
    Organisation,
    OrgKind,
    OrgStatus,
    PlatformSetting,
    User,
)
from yuzhi.accounts.regions import city_of
from yuzhi.accounts.schemas import AffiliationCreate, OrgCreate, UserCreate
from yuzhi.accounts.security import hash_password, hash_token, new_token, verify_password
from yuzhi.audit.service import record
from yuzhi.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Unauthenticated

#: The provider whitelist's table as accounts sees it: ``users.provider_id`` references it (a
#: schema-level link) and a provider operator acts for the provider's organisation. A table clause,
#: not the model, so that accounts (below ``yuzhi.providers``) never imports the providers domain.
_PROVIDERS = table("providers", column("id"), column("org_id"))
#: Voucher quota applications as accounts sees them (a unit holding live quotas is not rejected in
#: one click). A table clause for the same reason; the statuses are ``yuzhi.vouchers.books.HOLDING``
#: (``tests/test_imports.py`` asserts they agree).
_VOUCHER_APPLICATIONS = table("voucher_applications", column("id"), column("org_id"), column("status"))
LIVE_QUOTA_STATUSES = ("disclosure", "objected", "effective")


def _org_snapshot(org: Organisation) -> dict[str, object]:
    return {"uscc": org.uscc, "name": org.name, "kind": org.kind, "status": org.status,
            "industry": org.industry, "reason": org.status_reason}


# --- organisations -------------------------------------------------------------------------


def get_org(session: Session, *, actor: Actor, org_id: int) -> Organisation:
    """One organisation; other tenants' organisations are reported as not found."""
    org = session.get(Organisation, org_id)
    if org is None or (not actor.is_office and actor.org_id != org_id):
        raise NotFound(f"organisation {org_id} not found", field="org_id",
                       key="organisation_not_found", params={"org_id": org_id})
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
                       fix="log in with that organisation's account, or ask the office to add you as a member",
                       key="uscc_registered", params={"uscc": parsed.code})
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
    if not approve and org.status == OrgStatus.APPROVED:
        _refuse_if_holding_quotas(session, org)
    before = _org_snapshot(org)
    org.status = OrgStatus.APPROVED if approve else OrgStatus.REJECTED
    org.status_reason = reason.strip()
    session.flush()
    record(session, actor=actor, action="org.approve" if approve else "org.reject", entity="organisation",
           entity_id=org.id, before=before, after=_org_snapshot(org), org_id=org.id)
    return org


def _refuse_if_holding_quotas(session: Session, org: Organisation) -> None:
    """An approved unit that holds live voucher quotas is not rejected in one click: its quotas would
    stay drawable while the unit is no longer approved (bills then get no subsidy, the quota stays
    reserved from the pool). The office first ends each quota by an upheld objection or at year close
    (issue 13, item 9; docs/security.md)."""
    q = _VOUCHER_APPLICATIONS.c
    live = session.scalars(select(q.id).where(q.org_id == org.id, q.status.in_(LIVE_QUOTA_STATUSES))
                           .order_by(q.id)).all()
    if live:
        raise Conflict(f"{org.name} is approved and holds {len(live)} live voucher quota(s) "
                       f"(applications {', '.join(map(str, live))}); rejecting it now would strand them",
                       field="approve", fix="resolve them first (uphold an objection and reject on re-review, "
                                            "or close the year), then reject the organisation",
                       key="org_has_live_quota",
                       params={"name": org.name, "count": len(live), "ids": ", ".join(map(str, live))})


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


def list_affiliations(session: Session, *, actor: Actor) -> list[Affiliation]:
    """The declared related parties (关联方): the office's register; other callers see none of it."""
    if not actor.is_office:
        return []
    return list(session.scalars(select(Affiliation).order_by(Affiliation.id)))


# --- users and authentication ----------------------------------------------------------------


def create_user(session: Session, *, actor: Actor, user_in: UserCreate) -> User:
    try:
        role = Role(user_in.role)
    except ValueError as exc:
        raise InvalidInput(f"unknown role {user_in.role!r}", field="role",
                           fix="use one of " + ", ".join(r.value for r in Role),
                           key="unknown_role", params={"role": user_in.role}) from exc
    if not actor.is_admin and not (actor.org_id and actor.org_id == user_in.org_id and role == Role.MEMBER):
        raise Forbidden("only an office administrator (or a unit for its own members) creates users")
    if role == Role.MEMBER and user_in.org_id is None:
        raise InvalidInput("a member belongs to an organisation", field="org_id", fix="give the org_id")
    if role == Role.PROVIDER and user_in.provider_id is None:
        raise InvalidInput("a provider operator belongs to a provider", field="provider_id",
                           fix="give the provider_id")
    if session.scalar(select(User.id).where(User.username == user_in.username)) is not None:
        raise Conflict(f"username {user_in.username!r} is taken", field="username", fix="choose another",
                       key="username_taken", params={"username": user_in.username})
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
        from sqlalchemy.orm import object_session

        sess = object_session(user)
        org_id = sess.scalar(select(_PROVIDERS.c.org_id).where(_PROVIDERS.c.id == user.provider_id)) \
            if sess is not None else None
    return Actor(user_id=user.id, username=user.username, role=Role(user.role), org_id=org_id,
                 provider_id=user.provider_id)


def authenticate(session: Session, *, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.active:
        raise Unauthenticated("wrong username or password", field="password",
                              fix="check the credentials printed by `yuzhi demo` or ask your administrator",
                              key="login_failed")
    return user


def issue_token(session: Session, *, user: User, name: str, days: int | None = 365,
                browser_session: bool = False) -> tuple[ApiToken, str]:
    """Create a token; the clear text is returned once and only its SHA-256 is stored.

    No token outlives the office's maximum lifetime (:func:`token_max_days`)."""
    if not browser_session:
        limit = token_max_days(session)
        if days is None or days > limit:
            raise InvalidInput(f"an API token may live at most {limit} days (set by the programme office)",
                               field="days", fix=f"ask for 1 to {limit} days and issue a new token before it expires",
                               key="token_too_long", params={"days": limit})
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


_ACTOR_BY_TOKEN = (
    select(ApiToken.revoked, ApiToken.expires_at, User.id, User.username, User.role, User.org_id,
           User.provider_id, User.active, _PROVIDERS.c.org_id, ApiToken.id, ApiToken.last_used_at)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(_PROVIDERS, _PROVIDERS.c.id == User.provider_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)  # built once: its cache key is then memoised, not recomputed on every request


def actor_for_token(session: Session | Connection, token: str) -> Actor | None:
    """The caller behind a token, in one statement (every API request runs this): token, user and,
    for provider operators, the provider's organisation. None when unknown, revoked, expired or
    the user is deactivated. Takes a plain connection too: the request path skips the ORM session."""
    row = session.execute(_ACTOR_BY_TOKEN, {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    revoked, expires_at, user_id, username, role, org_id, provider_id, active, provider_org, token_id, used = row
    now = datetime.now(UTC)
    if revoked or not active or (expires_at and expires_at < now):
        return None
    if used is None or now - used > LAST_USED_EVERY:
        _touch(session, token_id, now)
    if role == Role.PROVIDER and provider_id is not None:
        org_id = provider_org
    return Actor(user_id=user_id, username=username, role=Role(role), org_id=org_id, provider_id=provider_id)


def revoke_token(session: Session, *, token: str) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is not None:
        row.revoked = True


# --- token lifetime, listing, revocation -------------------------------------------------------

#: How stale ``last_used_at`` may get: one UPDATE per token per minute at most, whatever the traffic.
LAST_USED_EVERY = timedelta(minutes=1)
DEFAULT_TOKEN_MAX_DAYS = 365
TOKEN_MAX_DAYS_KEY = "token_max_days"


def _touch(session: Session | Connection, token_id: int, now: datetime) -> None:
    """Record a token's use (the caller commits: ``yuzhi.web.deps.optional_actor``). Guarded by the
    old value, so of many concurrent requests at most one per minute writes it."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id, or_(
        ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_EVERY))
        .values(last_used_at=now).execution_options(synchronize_session=False))


def token_max_days(session: Session) -> int:
    value = session.scalar(select(PlatformSetting.value).where(PlatformSetting.key == TOKEN_MAX_DAYS_KEY))
    return int(value) if value else DEFAULT_TOKEN_MAX_DAYS


def set_token_max_days(session: Session, *, actor: Actor, days: int) -> int:
    """The office sets the longest life of an API token. Tokens already issued for longer are cut
    to ``created + days`` at once, so lowering the limit also protects against old tokens.
    Returns how many tokens were shortened."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator sets the token lifetime")
    if not 1 <= days <= 3650:
        raise InvalidInput("the maximum token lifetime is 1 to 3650 days", field="max_days",
                           fix="send a number of days between 1 and 3650")
    before = token_max_days(session)
    row = session.get(PlatformSetting, TOKEN_MAX_DAYS_KEY)
    if row is None:
        session.add(PlatformSetting(key=TOKEN_MAX_DAYS_KEY, value=str(days)))
    else:
        row.value = str(days)
    session.flush()
    shortened = 0
    for tok in session.scalars(select(ApiToken).where(ApiToken.revoked.is_(False), ApiToken.session.is_(False))):
        cap = tok.created_at + timedelta(days=days)
        if tok.expires_at is None or tok.expires_at > cap:
            tok.expires_at = cap
            shortened += 1
    session.flush()
    record(session, actor=actor, action="policy.token_max_days", entity="platform_setting",
           entity_id=TOKEN_MAX_DAYS_KEY, before={"days": before}, after={"days": days, "shortened": shortened})
    return shortened


def list_tokens(session: Session, *, actor: Actor, everyone: bool = False,
                include_revoked: bool = False) -> list[tuple[ApiToken, str]]:
    """The caller's tokens and login sessions (an office administrator may ask for everyone's),
    newest first, each with its owner's username. Clear texts are never stored, so never shown."""
    if everyone and not actor.is_admin:
        raise Forbidden("only an office administrator lists everyone's tokens")
    q = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if not everyone:
        q = q.where(ApiToken.user_id == actor.user_id)
    if not include_revoked:
        q = q.where(ApiToken.revoked.is_(False), or_(ApiToken.expires_at.is_(None),
                                                     ApiToken.expires_at > datetime.now(UTC)))
    return [(t, u) for t, u in session.execute(q.order_by(ApiToken.id.desc()).limit(1000))]


def revoke_token_id(session: Session, *, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one token: the caller's own, or anyone's for an office administrator. Another user's
    token is reported as not found (its existence is not revealed)."""
    tok = session.get(ApiToken, token_id)
    if tok is None or (tok.user_id != actor.user_id and not actor.is_admin):
        raise NotFound(f"token {token_id} not found", field="token_id",
                       fix="list your tokens with GET /api/accounts/tokens",
                       key="token_not_found", params={"id": token_id})
    if not tok.revoked:
        tok.revoked = True
        session.flush()
        owner = session.get(User, tok.user_id)
        record(session, actor=actor, action="token.revoke", entity="api_token", entity_id=tok.id,
               after={"name": tok.name, "prefix": tok.prefix, "owner": owner.username if owner else None},
               org_id=actor.org_id if tok.user_id == actor.user_id else (owner.org_id if owner else None))
    return tok


# --- login throttling ----------------------------------------------------------------------------

THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_FAILURES = 10


class TooManyAttempts(DomainError):
    """Too many failed logins for this username or from this address (429)."""

    status_code = 429
    code = "too_many_attempts"


def check_throttle(session: Session, *, username: str, address: str) -> None:
    """Refuse a login attempt while the username or the address has had ``THROTTLE_FAILURES`` failed
    logins in the last ``THROTTLE_WINDOW`` (counted in the database: every process agrees)."""
    since = datetime.now(UTC) - THROTTLE_WINDOW
    by_user = session.scalar(select(func.count(LoginFailure.id)).where(
        LoginFailure.username == username[:64], LoginFailure.at > since)) or 0
    by_addr = session.scalar(select(func.count(LoginFailure.id)).where(
        LoginFailure.address == address[:64], LoginFailure.at > since)) or 0
    if by_user >= THROTTLE_FAILURES or by_addr >= THROTTLE_FAILURES:
        which = "this account" if by_user >= THROTTLE_FAILURES else "your network address"
        raise TooManyAttempts(f"too many failed logins for {which}: {THROTTLE_FAILURES} in "
                              f"{THROTTLE_WINDOW.seconds // 60} minutes", field="password",
                              fix=f"wait {THROTTLE_WINDOW.seconds // 60} minutes, or ask an office administrator "
                                  "to reset your password",
                              key="login_throttled", params={"minutes": THROTTLE_WINDOW.seconds // 60,
                                      "failures": THROTTLE_FAILURES})


def record_login_failure(session: Session, *, username: str, address: str) -> None:
    """Count a failed login (the caller commits). The failure that reaches the limit is audited once:
    later refusals write nothing, so a password-guessing run cannot flood the audit log."""
    now = datetime.now(UTC)
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - THROTTLE_WINDOW))
    session.execute(insert(LoginFailure).values(at=now, username=username[:64], address=address[:64]))
    since = now - THROTTLE_WINDOW
    by_user = session.scalar(select(func.count(LoginFailure.id)).where(
        LoginFailure.username == username[:64], LoginFailure.at > since)) or 0
    by_addr = session.scalar(select(func.count(LoginFailure.id)).where(
        LoginFailure.address == address[:64], LoginFailure.at > since)) or 0
    if THROTTLE_FAILURES in (by_user, by_addr):
        from yuzhi.accounts.actor import SYSTEM

        record(session, actor=SYSTEM, action="login.throttled", entity="login", entity_id=username[:64],
               after={"username": username[:64], "address": address[:64], "failures_for_user": by_user,
                      "failures_from_address": by_addr, "window_minutes": THROTTLE_WINDOW.seconds // 60})


def login(session: Session, *, username: str, password: str, address: str) -> User:
    """Authenticate with throttling. A failure is committed even though the request fails; a success
    clears the username's failures."""
    check_throttle(session, username=username, address=address)
    try:
        user = authenticate(session, username=username, password=password)
    except Unauthenticated:
        record_login_failure(session, username=username, address=address)
        session.commit()
        raise
    session.execute(delete(LoginFailure).where(LoginFailure.username == username[:64]))
    return user


def list_users(session: Session, *, actor: Actor) -> list[User]:
    q = select(User).order_by(User.id)
    if not actor.is_office:
        q = q.where(or_(User.org_id == actor.org_id, User.id == actor.user_id))
    return list(session.scalars(q))
