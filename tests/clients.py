"""An in-process HTTP client that behaves like a browser about CSRF.

A browser posts a form with the hidden ``csrf_token`` the page gave it; tests that post form data
straight to a route would otherwise have to fetch the page first. This client sends the same token
in the ``X-CSRF-Token`` header, computed from its own cookies exactly as the server does, so a test
still fails when a route is wrong, but not for skipping a page load. Tests of the CSRF protection
itself (tests/security/test_web_*.py) use a plain ``TestClient``.
"""

from __future__ import annotations

import secrets

from fastapi.testclient import TestClient

from yuzhi.web.security import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for


class CsrfClient(TestClient):
    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        seed = self.cookies.get(SESSION_COOKIE) or self.cookies.get(CSRF_COOKIE)
        if seed is None:
            seed = secrets.token_urlsafe(24)
            self.cookies.set(CSRF_COOKIE, seed)
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("X-CSRF-Token", csrf_token_for(seed))
        return super().request(method, url, *args, headers=headers, **kwargs)
