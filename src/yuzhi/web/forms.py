"""Helpers every domain's HTML pages share: post/redirect/get with a one-shot flash message, errors
shown on the form, anonymous visitors sent to /login, exact money input.

A domain error rolls the request's transaction back *before* the page is rendered and is shown with
its field and fix; a successful form answers 303 with a flash message. Both sync and async handlers
are supported (file uploads are async).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.errors import DomainError, Forbidden, InvalidInput
from yuzhi.web.templating import render

FLASH_COOKIE = "yuzhi_flash"  # one-shot message after a redirect


class LoginRequired(Exception):
    """An anonymous visitor on a private page; answered with a redirect to /login."""


def need(actor: Actor | None, *, office: bool = False, admin: bool = False) -> Actor:
    if actor is None:
        raise LoginRequired
    if admin and not actor.is_admin:
        raise Forbidden("this page needs an office administrator account")
    if office and not actor.is_office:
        raise Forbidden("this page is for the programme office")
    return actor


def page(request: Request, name: str, ctx: dict[str, Any], actor: Actor | None, *, status_code: int = 200,
         error: DomainError | None = None) -> Response:
    raw = request.cookies.get(FLASH_COOKIE)
    flash = unquote(raw) if raw else None
    response = render(request, name, {"flash": flash, "error": error, **ctx}, status_code=status_code, actor=actor)
    if flash:
        response.delete_cookie(FLASH_COOKIE)
    return response


def done(url: str, message: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(FLASH_COOKIE, quote(message), max_age=60, samesite="strict", httponly=True)
    return response


def done_translated(request: Request, url: str, message: str, **params: Any) -> RedirectResponse:
    """Post/redirect/get with a one-shot flash message in the user's language.

    ``message`` is an English template (the i18n key); ``params`` fill it. Money params are fen
    (names ending in ``_fen``) and are formatted here; a ``status`` word is translated.
    """
    from yuzhi.web import i18n
    from yuzhi.web.templating import fen, lang_of

    lang = lang_of(request)
    values = {k: (fen(v) if k.endswith("_fen") else i18n.translate(v, lang) if k == "status" else v)
              for k, v in params.items()}
    return done(url, i18n.translate(message, lang).format(**values))


def on_error(request: Request, name: str, build: Callable[[], dict[str, Any]]) -> None:
    """Show a failed form again (with the error above it) instead of the bare error page."""
    request.state.error_page = (name, build)


def _error_response(request: Request, session: Session | None, actor: Actor | None, exc: DomainError) -> Response:
    if session is not None:
        session.rollback()
    retry = getattr(request.state, "error_page", None)
    if retry is not None:
        name, build = retry
        try:
            return page(request, name, build(), actor, status_code=exc.status_code, error=exc)
        except DomainError:
            if session is not None:
                session.rollback()
    return page(request, "error.html", {}, actor, status_code=exc.status_code, error=exc)


def html_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into an HTML page (after a rollback) and anonymous visitors into /login."""
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def awrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except LoginRequired:
                return RedirectResponse("/login", status_code=303)
            except DomainError as exc:
                return _error_response(kwargs["request"], kwargs.get("session"), kwargs.get("actor"), exc)
        return awrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LoginRequired:
            return RedirectResponse("/login", status_code=303)
        except DomainError as exc:
            return _error_response(kwargs["request"], kwargs.get("session"), kwargs.get("actor"), exc)
    return wrapper


def validated(cls: type[BaseModel], data: dict[str, Any]) -> Any:
    """Build an input model from form fields; the first validation error becomes InvalidInput."""
    try:
        return cls(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(first.get("msg", "invalid value").removeprefix("Value error, "), field=loc or None,
                           fix="correct this field and submit again", key=f"pydantic.{first.get('type', '')}",
                           params={k: v for k, v in (first.get("ctx") or {}).items() if isinstance(v, int | str)}) \
            from None


def yuan_to_fen(text: str | None, *, field: str, allow_empty: bool = False, allow_zero: bool = False,
                allow_negative: bool = False) -> int | None:
    """An amount as people type it — '12,345.67', '¥800', '50万', '1.2亿' — as integer fen, exactly.

    One parser for every form (:func:`yuzhi.fmt.parse_money`); a refusal names the form's label in the
    page's language (catalog keys ``money_*`` in :mod:`yuzhi.web.messages`).
    """
    from yuzhi.fmt import MoneyError, parse_money

    try:
        return parse_money(text, allow_empty=allow_empty, allow_zero=allow_zero, allow_negative=allow_negative)
    except MoneyError as exc:
        english = {"money_required": "an amount is required", "money_not_a_number": f"{text!r} is not an amount",
                   "money_sub_fen": f"{text!r} has more than two decimals",
                   "money_negative": f"{text!r} is not a positive amount",
                   "money_zero": f"{text!r} is not a positive amount",
                   "money_too_large": f"{text!r} is too large"}[exc.code]
        raise InvalidInput(english, field=field, fix="type an amount in yuan, e.g. 12,345.67, 50万 or 1.2亿",
                           key=exc.code, params={"text": (text or "").strip()}) from None
