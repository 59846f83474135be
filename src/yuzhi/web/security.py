"""Browser protections for every page and route, in one ASGI middleware (no per-template work).

* **CSRF tokens.** Every ``<form method="post">`` in an HTML answer gets a hidden ``csrf_token``
  field, injected here, so a page another engineer adds tomorrow is protected without knowing it.
  A state-changing request that a browser could have been tricked into sending (one carrying the
  session cookie, or any non-API form post) must bring the token back, in that field or in an
  ``X-CSRF-Token`` header, or it gets 403 and nothing runs. The token is an HMAC of the session
  cookie under the server's secret key (before login: of a random ``yuzhi_csrf`` cookie), so a
  page on a sibling port or another intranet host, which can send the cookie (SameSite does not
  separate ports or same-site hosts) but cannot read our pages, cannot produce it. API calls with
  ``Authorization: Bearer`` carry no ambient credential and are exempt.
* **Security headers.** A Content-Security-Policy without inline scripts (``script-src 'self'``),
  ``frame-ancestors 'none'`` and X-Frame-Options, X-Content-Type-Options, Referrer-Policy; over
  HTTPS (or ``X-Forwarded-Proto: https`` behind a trusted proxy, ``YUZHI_BEHIND_PROXY``) HSTS and
  the ``Secure`` attribute on every cookie the app sets.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "yuzhi_session"
CSRF_COOKIE = "yuzhi_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")

_FORM = re.compile(rb"<form\b[^>]*\bmethod\s*=\s*[\"']?post\b[^>]*>", re.IGNORECASE)
_MULTIPART_FIELD = re.compile(rb'name="' + CSRF_FIELD.encode() + rb'"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)\r\n')
_MAX_FORM_BYTES = 64 * 1024 * 1024  # beyond this a form body is refused rather than held in memory


def _secret() -> bytes:
    from yuzhi.config import get_settings

    return get_settings().secret_key.encode()


def csrf_token_for(seed: str) -> str:
    """The token for a browser whose session (or pre-login) cookie is ``seed``."""
    return hmac.new(_secret(), b"csrf:" + seed.encode(), hashlib.sha256).hexdigest()[:40]


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is simply no cookie
                continue
    return {k: m.value for k, m in jar.items()}


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return v.decode("latin-1")
    return None


def _is_https(scope: Scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    from yuzhi.config import get_settings

    return bool(get_settings().behind_proxy and (_header(scope, b"x-forwarded-proto") or "").lower() == "https")


def _needs_token(scope: Scope, cookies: dict[str, str]) -> bool:
    """Could a browser have been made to send this? Bearer-token calls cannot (no ambient credential);
    an API call without a session cookie acts as nobody, so only page forms need a token then."""
    if scope["method"] not in UNSAFE:
        return False
    if (_header(scope, b"authorization") or "").lower().startswith("bearer "):
        return False
    return SESSION_COOKIE in cookies or not scope["path"].startswith("/api/")


def _token_in_body(body: bytes, content_type: str) -> str | None:
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        return values[0] if values else None
    if content_type.startswith("multipart/form-data"):
        m = _MULTIPART_FIELD.search(body)
        return m.group(1).decode("latin-1") if m else None
    return None


class SecurityMiddleware:
    """See the module docstring. Pure ASGI: nothing is buffered except HTML answers and the body of
    a form post that must show its token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        new_seed = None
        seed = cookies.get(SESSION_COOKIE) or cookies.get(CSRF_COOKIE)
        if _needs_token(scope, cookies):
            receive, ok = await self._check(scope, receive, seed)
            if not ok:
                await self._refuse(scope, send)
                return
        if seed is None:
            seed = new_seed = secrets.token_urlsafe(24)
        https = _is_https(scope)
        await self.app(scope, receive, _Sender(send, seed=seed, new_seed=new_seed, https=https))

    async def _check(self, scope: Scope, receive: Receive, seed: str | None) -> tuple[Receive, bool]:
        """Read the token from the header or the form body; replay the body to the app."""
        given = _header(scope, CSRF_HEADER.encode())
        chunks: list[Message] = []
        if given is None:
            body, size = bytearray(), 0
            while True:
                message = await receive()
                chunks.append(message)
                if message["type"] != "http.request":
                    break
                part = message.get("body", b"")
                size += len(part)
                if size > _MAX_FORM_BYTES:
                    return receive, False
                body += part
                if not message.get("more_body", False):
                    break
            given = _token_in_body(bytes(body), (_header(scope, b"content-type") or "").lower())

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        ok = bool(seed and given and hmac.compare_digest(given, csrf_token_for(seed)))
        return (replay if chunks else receive), ok

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = ("the form is out of date or was sent from another site (its CSRF token is missing or wrong); "
                   "nothing was changed")
        fix = "reload the page and submit it again; programs should send 'Authorization: Bearer <token>'"
        if scope["path"].startswith("/api/"):
            body = json.dumps({"detail": {"code": "csrf", "message": message, "field": CSRF_FIELD,
                                          "fix": fix}}).encode()
            ctype = b"application/json"
        else:
            body = (f"<!doctype html><meta charset=utf-8><title>403</title><h1>403</h1><p>{message}.</p>"
                    f"<p>{fix}. <a href=\"/\">Home</a></p>").encode()
            ctype = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()), *HEADERS]})
        await send({"type": "http.response.body", "body": body})


class _Sender:
    """Wraps ``send``: adds the headers, marks cookies Secure over HTTPS, injects the form tokens."""

    def __init__(self, send: Send, *, seed: str, new_seed: str | None, https: bool) -> None:
        self.send, self.seed, self.new_seed, self.https = send, seed, new_seed, https
        self.start: Message | None = None
        self.html = False
        self.body = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dict(HEADERS)]
            headers += HEADERS
            if self.https:
                headers.append(HSTS)
                headers = [(k, v + b"; Secure") if k.lower() == b"set-cookie" and b"secure" not in v.lower() else (k, v)
                           for k, v in headers]
            ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            self.html = ctype.startswith(b"text/html")
            if self.html and self.new_seed:
                cookie = f"{CSRF_COOKIE}={self.new_seed}; Path=/; HttpOnly; SameSite=Strict"
                headers.append((b"set-cookie", (cookie + ("; Secure" if self.https else "")).encode()))
            message = {**message, "headers": headers}
            if not self.html:
                await self.send(message)
                return
            self.start = message
            return
        if message["type"] == "http.response.body" and self.html:
            self.body += message.get("body", b"")
            if message.get("more_body", False):
                return
            body = self._inject(bytes(self.body))
            assert self.start is not None
            headers = [(k, v) for k, v in self.start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await self.send({**self.start, "headers": headers})
            await self.send({"type": "http.response.body", "body": body})
            return
        await self.send(message)

    def _inject(self, body: bytes) -> bytes:
        field = (f'<input type="hidden" name="{CSRF_FIELD}" value="{csrf_token_for(self.seed)}">').encode()
        return _FORM.sub(lambda m: m.group(0) + field, body)
