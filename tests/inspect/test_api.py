"""HTTP API and page: a tenant scores an uploaded image with its own model; others get a 404."""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

from PIL import Image

from tests.factories import PASSWORD
from yuzhi.config import get_settings
from yuzhi.db import transaction

from .conftest import texture, with_defect


def _tenants(session):  # type: ignore[no-untyped-def]
    from tests.factories import code
    from yuzhi.accounts import service as accounts
    from yuzhi.accounts.actor import SYSTEM, Role
    from yuzhi.accounts.models import OrgKind
    from yuzhi.accounts.schemas import OrgCreate, UserCreate

    admin = accounts.actor_for(accounts.create_user(
        session, actor=SYSTEM, user_in=UserCreate(username="iadmin", password=PASSWORD,
                                                  role=Role.OFFICE_ADMIN.value)))
    orgs = []
    for i, name in enumerate(("洛阳测试轴承", "许昌测试电气")):
        org = accounts.register_org(session, actor=SYSTEM, org_in=OrgCreate(
            uscc=code(900 + i), name=name, kind=OrgKind.ENTERPRISE, industry="装备制造"))
        accounts.decide_org(session, actor=admin, org_id=org.id, approve=True)
        accounts.create_user(session, actor=SYSTEM, user_in=UserCreate(
            username=f"insp{i}", password=PASSWORD, role=Role.MEMBER.value, org_id=org.id))
        orgs.append(org.id)
    session.flush()
    return orgs


def _login(client, username):  # type: ignore[no-untyped-def]
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _png(arr) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def test_score_own_model_and_tenancy(client, engine, model_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "home", tmp_path)
    with transaction(engine) as s:
        org_a, _ = _tenants(s)
    shutil.copytree(model_dir, tmp_path / "models" / "inspect" / f"org-{org_a}" / "tile")
    a, b = _login(client, "insp0"), _login(client, "insp1")

    r = client.get("/api/inspect/models", headers=a)
    assert r.status_code == 200
    assert [(m["name"], m["scope"]) for m in r.json()["data"]] == [("tile", "org")]
    assert client.get("/api/inspect/models", headers=b).json()["count"] == 0

    bad = _png(with_defect(texture(9001)))
    r = client.post("/api/inspect/models/tile/score", headers=a, files={"file": ("bad.png", bad)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"] == "NG" and body["score"] >= 0.5
    assert (body["width"], body["height"]) == (128, 96)
    png = base64.b64decode(body["heatmap_png_base64"])
    assert Image.open(io.BytesIO(png)).size == (128, 96)

    # another tenant cannot see the model: 404, not 403
    r = client.post("/api/inspect/models/tile/score", headers=b, files={"file": ("bad.png", bad)})
    assert r.status_code == 404
    # a corrupt upload is a clear 422
    r = client.post("/api/inspect/models/tile/score", headers=a, files={"file": ("x.png", b"nope")})
    assert r.status_code == 422
    assert "not a readable image" in r.text
    # no credentials: 401
    assert client.post("/api/inspect/models/tile/score", files={"file": ("bad.png", bad)}).status_code == 401

    # the page shows the overlay inline
    client.cookies.clear()
    r = client.post("/inspect", headers=a, data={"model": "tile"},
                    files=[("files", ("bad.png", bad)), ("files", ("good.png", _png(texture(9002))))])
    assert r.status_code == 200
    assert r.text.count("data:image/png;base64,") == 2
    assert "NG" in r.text
    # the model card: training data hash, threshold rule and its bound; another tenant gets an
    # empty state that says what to do next, with its own model folder
    assert 'data-testid="model-card"' in r.text and "synthetic"[:16] in r.text
    assert "leave-one-out" in r.text or "留一法" in r.text
    page_b = client.get("/inspect", headers=b).text
    assert 'data-testid="empty-state"' in page_b and "inspect train DATA --out" in page_b
    assert f"org-{org_a}" not in page_b and "models/inspect/org-" in page_b
    # the badge classes are the ones the stylesheet colours (.badge.NG red, .badge.OK green)
    assert 'class="badge NG"' in r.text and 'class="badge OK"' in r.text
    css = (Path(__file__).resolve().parents[2] / "src" / "yuzhi" / "web" / "static").glob("*.css")
    styles = " ".join(p.read_text(encoding="utf-8") for p in css)
    assert ".badge.NG" in styles and ".badge.OK" in styles
