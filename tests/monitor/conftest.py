"""Monitoring fixtures: two tenants with one member each, built through the real services."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import PASSWORD, code
from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import SYSTEM, Actor, Role
from yuzhi.accounts.models import OrgKind
from yuzhi.accounts.schemas import OrgCreate, UserCreate


@dataclass
class Tenants:
    office: Actor
    a: Actor
    b: Actor


def make_tenants(session) -> Tenants:  # type: ignore[no-untyped-def]
    """Office admin ``admin``; members ``op0`` (tenant a) and ``op1`` (tenant b)."""
    admin = accounts.actor_for(accounts.create_user(session, actor=SYSTEM, user_in=UserCreate(
        username="admin", password=PASSWORD, role=Role.OFFICE_ADMIN.value)))
    members = []
    for i, name in enumerate(("平煤神马测试矿", "冷链测试公司")):
        org = accounts.register_org(session, actor=SYSTEM, org_in=OrgCreate(
            uscc=code(500 + i), name=name, kind=OrgKind.ENTERPRISE, industry="能源"))
        accounts.decide_org(session, actor=admin, org_id=org.id, approve=True)
        u = accounts.create_user(session, actor=SYSTEM, user_in=UserCreate(
            username=f"op{i}", password=PASSWORD, role=Role.MEMBER.value, org_id=org.id))
        members.append(accounts.actor_for(u))
    session.flush()
    return Tenants(office=admin, a=members[0], b=members[1])


@pytest.fixture
def tenants(session) -> Tenants:  # type: ignore[no-untyped-def]
    return make_tenants(session)


class Receiver:
    """A real HTTP server on 127.0.0.1 that records JSON POSTs (the webhook's far end)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.received.append({"header": self.headers.get("X-Yuzhi-Event"), **json.loads(body)})
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):  # silence
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(monkeypatch):  # type: ignore[no-untyped-def]
    from yuzhi.config import get_settings

    monkeypatch.setenv("YUZHI_WEBHOOK_ALLOW", "127.0.0.1")  # loopback targets are refused unless allow-listed
    get_settings.cache_clear()
    r = Receiver()
    yield r
    r.close()
    get_settings.cache_clear()
