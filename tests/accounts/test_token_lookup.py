"""The request path's token lookup runs on a plain connection (no ORM session, issue 14): it must
still see a revocation at once and answer the same caller as the session path."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.factories import PASSWORD, make_world

from yuzhi.accounts import service as accounts
from yuzhi.db import transaction


def test_lookup_on_a_connection_matches_the_session_and_sees_revocation_at_once(engine, client: TestClient):
    with transaction(engine) as s:
        make_world(s, units=1)
    r = client.post("/api/accounts/login", json={"username": "unit1", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    with engine.connect() as conn:
        via_conn = accounts.actor_for_token(conn, token)
        conn.commit()
    with transaction(engine) as s:
        assert accounts.actor_for_token(s, token) == via_conn
    assert via_conn is not None and via_conn.username == "unit1" and via_conn.org_id is not None
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/accounts/me", headers=headers).status_code == 200
    with transaction(engine) as s:
        accounts.revoke_token(s, token=token)
    assert client.get("/api/accounts/me", headers=headers).status_code == 401  # the very next request
    with engine.connect() as conn:
        assert accounts.actor_for_token(conn, token) is None
        assert accounts.actor_for_token(conn, token + "x") is None
