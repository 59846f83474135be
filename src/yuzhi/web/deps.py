"""Request dependencies: one database transaction per request, the authenticated caller, roles.

Authentication: ``Authorization: Bearer <token>`` (API tokens, for machines such as providers
pushing bills) or the ``yuzhi_session`` cookie set by the login page. Both are random tokens of
which only a SHA-256 is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import Actor
from yuzhi.errors import Forbidden, Unauthenticated

SESSION_COOKIE = "yuzhi_session"


def get_session(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the endpoint returns normally."""
    session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]  # commit before the response is sent


def client_address(request: Request) -> str:
    """The caller's network address: the first ``X-Forwarded-For`` hop when the platform is
    configured to sit behind a reverse proxy (``YUZHI_BEHIND_PROXY``), else the socket's peer."""
    from yuzhi.config import get_settings

    if get_settings().behind_proxy:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    return (request.client.host if request.client else "unknown")[:64]


def _token_from(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


def optional_actor(request: Request) -> Actor | None:
    """The caller, looked up in a short session of its own (one indexed read), so an endpoint that
    writes through another path (the bill desk) opens no request transaction at all. On PostgreSQL
    the read runs in autocommit mode: no BEGIN/COMMIT round trips for it."""
    token = _token_from(request)
    if not token:
        return None
    engine = request.app.state.engine
    if engine.dialect.name == "postgresql":  # a plain connection: no ORM session for one read
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return accounts.actor_for_token(conn, token)
    with request.app.state.sessionmaker() as s:  # SQLite: closed (lock released) before the endpoint runs
        actor = accounts.actor_for_token(s, token)
        s.commit()  # the token's last use, when it was more than a minute old
        return actor


# The checks below block on nothing, so they are ``async``: FastAPI then runs them on the event
# loop instead of handing each one to the thread pool (a thread hop per dependency per request).
async def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise Unauthenticated("log in or send an API token", field="Authorization",
                              fix="POST /api/accounts/login, or send 'Authorization: Bearer <token>'")
    return actor


CurrentUser = Annotated[Actor, Depends(current_actor)]
OptionalUser = Annotated[Actor | None, Depends(optional_actor)]


async def require_office(actor: CurrentUser) -> Actor:
    if not actor.is_office:
        raise Forbidden("this needs a programme-office account")
    return actor


async def require_admin(actor: CurrentUser) -> Actor:
    if not actor.is_admin:
        raise Forbidden("this needs an office administrator account")
    return actor


OfficeUser = Annotated[Actor, Depends(require_office)]
AdminUser = Annotated[Actor, Depends(require_admin)]
