"""Tokens and sessions (issue 13, item 6): list, revoke, office-set lifetime, last use, login throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import PASSWORD, make_world
from typer.testing import CliRunner

from yuzhi.accounts import service as accounts
from yuzhi.accounts.models import ApiToken, LoginFailure, User
from yuzhi.audit.models import AuditEvent
from yuzhi.db import transaction


def _world(engine):
    with transaction(engine) as s:
        make_world(s, units=2)


def _login(client, username: str) -> dict[str, str]:
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_list_and_revoke_own_tokens_only(engine, client):
    _world(engine)
    unit1, unit2, admin = _login(client, "unit1"), _login(client, "unit2"), _login(client, "admin")
    issued = client.post("/api/accounts/tokens", headers=unit1, json={"name": "erp", "days": 30})
    assert issued.status_code == 201
    tid, secret = issued.json()["id"], issued.json()["token"]
    listed = client.get("/api/accounts/tokens", headers=unit1).json()
    assert {t["name"] for t in listed} == {"erp", "login"}
    mine = next(t for t in listed if t["id"] == tid)
    assert mine["kind"] == "api" and mine["prefix"] == secret[:10] and secret not in str(listed)
    assert mine["last_used_at"] is None
    # another unit neither sees nor revokes it; a member cannot list everyone's
    assert tid not in [t["id"] for t in client.get("/api/accounts/tokens", headers=unit2).json()]
    assert client.delete(f"/api/accounts/tokens/{tid}", headers=unit2).status_code == 404
    assert client.get("/api/accounts/tokens?all=true", headers=unit2).status_code == 403
    assert client.get("/api/accounts/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    r = client.delete(f"/api/accounts/tokens/{tid}", headers=unit1)
    assert r.status_code == 200 and r.json()["revoked"] is True
    assert client.get("/api/accounts/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert tid not in [t["id"] for t in client.get("/api/accounts/tokens", headers=unit1).json()]
    # the office administrator sees everyone's and can revoke a leaked one
    everyone = client.get("/api/accounts/tokens?all=true&revoked=true", headers=admin).json()
    assert {"unit1", "unit2", "admin"} <= {t["username"] for t in everyone}
    unit2_login = next(t for t in everyone if t["username"] == "unit2")
    assert client.delete(f"/api/accounts/tokens/{unit2_login['id']}", headers=admin).status_code == 200
    assert client.get("/api/accounts/me", headers=unit2).status_code == 401
    with transaction(engine) as s:
        revokes = s.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "token.revoke")).all()
    assert sorted(revokes) == sorted([str(tid), str(unit2_login["id"])])


def test_last_use_is_recorded_at_most_once_a_minute(engine, client):
    _world(engine)
    unit1 = _login(client, "unit1")
    tid = client.post("/api/accounts/tokens", headers=unit1, json={"name": "erp", "days": 30}).json()["id"]
    secret_headers = None
    with transaction(engine) as s:
        tok = s.get(ApiToken, tid)
        assert tok.last_used_at is None
    r = client.post("/api/accounts/tokens", headers=unit1, json={"name": "erp2", "days": 30})
    secret_headers = {"Authorization": f"Bearer {r.json()['token']}"}
    client.get("/api/accounts/me", headers=secret_headers)
    with transaction(engine) as s:
        first = s.get(ApiToken, r.json()["id"]).last_used_at
    assert first is not None and datetime.now(UTC) - first < timedelta(seconds=30)
    client.get("/api/accounts/me", headers=secret_headers)
    with transaction(engine) as s:
        assert s.get(ApiToken, r.json()["id"]).last_used_at == first  # not rewritten within the minute
        s.get(ApiToken, r.json()["id"]).last_used_at = first - timedelta(minutes=2)
    client.get("/api/accounts/me", headers=secret_headers)
    with transaction(engine) as s:
        assert s.get(ApiToken, r.json()["id"]).last_used_at > first


def test_office_sets_the_maximum_lifetime(engine, client):
    _world(engine)
    unit1, admin = _login(client, "unit1"), _login(client, "admin")
    long = client.post("/api/accounts/tokens", headers=unit1, json={"name": "long", "days": 300}).json()
    assert client.put("/api/accounts/token-policy", headers=unit1, json={"max_days": 30}).status_code == 403
    r = client.put("/api/accounts/token-policy", headers=admin, json={"max_days": 30})
    assert r.status_code == 200 and client.get("/api/accounts/token-policy", headers=unit1).json()["max_days"] == 30
    too_long = client.post("/api/accounts/tokens", headers=unit1, json={"name": "x", "days": 31})
    assert too_long.status_code == 422 and "at most 30 days" in too_long.json()["detail"]["message"]
    forever = client.post("/api/accounts/tokens", headers=unit1, json={"name": "x", "days": None})
    assert forever.status_code == 422
    assert client.post("/api/accounts/tokens", headers=unit1, json={"name": "ok", "days": 30}).status_code == 201
    with transaction(engine) as s:  # the token issued for 300 days was cut to 30
        tok = s.get(ApiToken, long["id"])
        assert tok.expires_at <= tok.created_at + timedelta(days=30, seconds=1)
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "policy.token_max_days")) == 1


def test_login_throttled_per_user_across_processes(engine, app):
    _world(engine)
    from yuzhi.web.app import create_app

    other = create_app(engine)  # a second app instance on the same database: a second process's view
    a, b = TestClient(app), TestClient(other)
    for i in range(10):
        r = (a if i % 2 else b).post("/api/accounts/login", json={"username": "unit1", "password": "wrong"})
        assert r.status_code == 401
    for c in (a, b):
        r = c.post("/api/accounts/login", json={"username": "unit1", "password": PASSWORD})  # even the right one
        assert r.status_code == 429
        body = r.json()["detail"]
        assert body["code"] == "too_many_attempts" and "15 minutes" in body["message"] and body["fix"]
    with transaction(engine) as s:
        events = s.scalars(select(AuditEvent.after).where(AuditEvent.action == "login.throttled")).all()
        assert len(events) == 1 and '"username":"unit1"' in events[0]
        # after the window the account opens again
        for f in s.scalars(select(LoginFailure)):
            f.at = f.at - timedelta(minutes=16)
    assert a.post("/api/accounts/login", json={"username": "unit1", "password": PASSWORD}).status_code == 200


def test_login_throttled_per_address_and_on_the_login_page(engine, client):
    _world(engine)
    for i in range(10):  # ten different usernames from one address
        r = client.post("/api/accounts/login", json={"username": f"guess{i}", "password": "x"})
        assert r.status_code == 401
    r = client.post("/api/accounts/login", json={"username": "unit2", "password": PASSWORD})
    assert r.status_code == 429 and "network address" in r.json()["detail"]["message"]
    page = client.post("/login", data={"username": "unit2", "password": PASSWORD}, follow_redirects=False)
    assert page.status_code == 429 and "登录失败次数过多" in page.text and "too many" not in page.text


def test_cli_lists_and_revokes(engine, monkeypatch):
    _world(engine)
    with transaction(engine) as s:
        user = s.scalar(select(User).where(User.username == "provider"))
        row, secret = accounts.issue_token(s, user=user, name="billing-system", days=90)
        tid = row.id
    from yuzhi.cli import app
    from yuzhi.config import get_settings
    from yuzhi.db import get_engine

    monkeypatch.setenv("YUZHI_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        runner = CliRunner()
        out = runner.invoke(app, ["accounts", "tokens", "list", "--user", "provider"])
        assert out.exit_code == 0 and "billing-system" in out.output and secret not in out.output
        out = runner.invoke(app, ["accounts", "tokens", "revoke", str(tid)])
        assert out.exit_code == 0 and "revoked" in out.output
        out = runner.invoke(app, ["accounts", "token-policy", "--max-days", "60"])
        assert out.exit_code == 0 and "60 days" in out.output
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    with transaction(engine) as s:
        assert accounts.actor_for_token(s, secret) is None
