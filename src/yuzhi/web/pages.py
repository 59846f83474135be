"""Platform-wide pages: home, login, logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from yuzhi.accounts import service as accounts
from yuzhi.errors import DomainError
from yuzhi.web.deps import SESSION_COOKIE, OptionalUser, SessionDep, client_address
from yuzhi.web.templating import render

router = APIRouter(include_in_schema=False)
NAV: list[tuple[str, str, str]] = []  # "/" redirects to the role's home page


@router.get("/", response_model=None)
def home(request: Request, actor: OptionalUser):  # type: ignore[no-untyped-def]
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    if actor.is_office:
        return RedirectResponse("/vouchers/dashboard", status_code=303)
    if actor.is_provider:
        return RedirectResponse("/vouchers/bills", status_code=303)
    return RedirectResponse("/vouchers/statement", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html")


@router.post("/login")
def login(request: Request, session: SessionDep, username: Annotated[str, Form()],
          password: Annotated[str, Form()]):  # type: ignore[no-untyped-def]
    try:
        user = accounts.login(session, username=username.strip(), password=password,
                              address=client_address(request))
    except DomainError as exc:
        return render(request, "login.html", {"error": exc, "username": username}, status_code=exc.status_code)
    _row, token = accounts.issue_token(session, user=user, name="browser", days=1, browser_session=True)
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", max_age=86400)
    return resp


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.revoke_token(session, token=token)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp
