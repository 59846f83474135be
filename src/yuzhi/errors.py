"""Domain errors shared by every service.

Services raise these, never ``HTTPException``: the web layer maps them to status codes in one
place (``yuzhi.web.errors``) and the CLI prints them without a stack trace. Every error says
*what* is wrong, *where* (``field``) and *how to fix it* (``fix``), so a user can act on it.

A person reads the error in the page's language: an error may carry a message ``key`` and ``params``
(amounts as ``*_fen`` ints, field names as keys) that the web layer renders from its catalog
(``yuzhi.web.messages``); ``message`` stays the English text programs and logs see.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a user-facing error with a field and a fix hint."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, fix: str | None = None,
                 key: str | None = None, params: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.fix = fix
        self.key = key  # message-catalog entry for people (None: the English message is translated as is)
        self.params = dict(params or {})

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field, "fix": self.fix}

    def __str__(self) -> str:
        parts = [self.message]
        if self.field:
            parts.insert(0, f"[{self.field}]")
        if self.fix:
            parts.append(f"Fix: {self.fix}")
        return " ".join(parts)


class InvalidInput(DomainError):
    """The request is well-formed but its content breaks a rule (422)."""

    status_code = 422
    code = "invalid_input"


class NotFound(DomainError):
    """The record does not exist *for this caller* (404; also used across tenants)."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The request conflicts with existing state, e.g. a duplicate invoice (409)."""

    status_code = 409
    code = "conflict"


class Forbidden(DomainError):
    """The caller's role may not do this at all (403)."""

    status_code = 403
    code = "forbidden"


class RateLimited(DomainError):
    """Too many requests of this kind from this caller for now (429); retry later."""

    status_code = 429
    code = "rate_limited"


class Unauthenticated(DomainError):
    """No valid credentials (401)."""

    status_code = 401
    code = "unauthenticated"
