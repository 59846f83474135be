"""The newest audit anchor is public (page and JSON); the office exports the whole anchor file."""

from __future__ import annotations

from tests.factories import PASSWORD, make_world

from yuzhi.audit import service as audit
from yuzhi.audit.anchor import AnchorStore, KeyRing
from yuzhi.db import transaction


def test_latest_anchor_is_published_and_the_office_exports_all(app, client, engine, tmp_path):
    store = AnchorStore(tmp_path / "anchors.jsonl", KeyRing.load(tmp_path / "keys"))
    app.state.anchor_store = store
    assert client.get("/api/audit/anchors/latest").status_code == 404
    assert "No anchor yet" in client.get("/audit/anchor?lang=en").text
    with transaction(engine) as s:
        make_world(s, units=1)
    first = audit.anchor(engine, store)
    latest = client.get("/api/audit/anchors/latest").json()  # anonymous
    assert latest["n"] == 1 and latest["combined"] == first.combined and latest["mac"] == first.mac
    assert first.combined in client.get("/audit/anchor").text
    token = client.post("/api/accounts/login", json={"username": "admin", "password": PASSWORD}).json()["token"]
    unit = client.post("/api/accounts/login", json={"username": "unit1", "password": PASSWORD}).json()["token"]
    assert client.get("/api/audit/anchors", headers={"Authorization": f"Bearer {unit}"}).status_code == 403
    r = client.get("/api/audit/anchors", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.text == store.path.read_text()
