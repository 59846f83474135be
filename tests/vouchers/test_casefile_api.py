"""Case file over the API (issue 15): the same checks, tenancy and audit as the case page.

Runs on SQLite by default and on PostgreSQL when ``YUZHI_TEST_DATABASE_URL`` is set (tests/conftest.py).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.factories import PASSWORD, make_world

from yuzhi.audit.models import AuditEvent
from yuzhi.db import transaction
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.casefile import CaseAttachment
from yuzhi.vouchers.review2 import FirstReview
from yuzhi.vouchers.schemas import ApplicationCreate

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _login(client, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("YUZHI_HOME", str(tmp_path))
    from yuzhi.config import get_settings

    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _application(engine, *, two_step: bool = False) -> int:  # type: ignore[no-untyped-def]
    from yuzhi.accounts import service as accounts
    from yuzhi.accounts.actor import SYSTEM, Role
    from yuzhi.accounts.schemas import UserCreate
    from yuzhi.vouchers import review2

    with transaction(engine) as s:
        w = make_world(s, units=2, disclosure_days=5)
        accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(
            username="reviewer2", password=PASSWORD, role=Role.OFFICE_REVIEWER.value))
        if two_step:
            review2.save_settings(s, actor=w.admin, year=2026, two_step=True, issuing_office="河南省工业和信息化厅",
                                  contact="0371-00000000")
        return vouchers.apply(s, actor=w.units[0], app_in=ApplicationCreate(
            year=2026, provider_id=w.provider_id, contract_no="HT-API-1", planned_spend_fen=1_000_000_00)).id


def test_attachment_upload_list_download_tenant_scoped_and_audited(client, engine, home) -> None:  # type: ignore[no-untyped-def]
    app_id = _application(engine)
    unit1 = _login(client, "unit1")
    url = f"/api/vouchers/applications/{app_id}/attachments"
    bad = client.post(url, data={"kind": "contract"}, files={"file": ("c.pdf", b"MZ\x90\x00evil", "application/pdf")},
                      headers=unit1)
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "file"
    wrong_kind = client.post(url, data={"kind": "photo"}, files={"file": ("c.pdf", PDF, "application/pdf")},
                             headers=unit1)
    assert wrong_kind.status_code == 422 and wrong_kind.json()["detail"]["code"] == "invalid_input"
    with transaction(engine) as s:
        assert s.scalar(select(CaseAttachment)) is None  # refused uploads keep nothing
    ok = client.post(url, data={"kind": "invoice"}, files={"file": ("../发票.pdf", PDF, "application/pdf")},
                     headers=unit1)
    assert ok.status_code == 201, ok.text
    body = ok.json()
    assert body["filename"] == "发票.pdf" and body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    assert [a["id"] for a in client.get(url, headers=unit1).json()] == [body["id"]]
    got = client.get(f"{url}/{body['id']}", headers=unit1)
    assert got.status_code == 200 and got.content == PDF and got.headers["x-content-type-options"] == "nosniff"
    with transaction(engine) as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "casefile.attach"))
        assert ev is not None and ev.actor.startswith("unit1")
    unit2 = _login(client, "unit2")  # another unit: neither the list, the file nor an upload
    assert client.get(url, headers=unit2).status_code == 404
    assert client.get(f"{url}/{body['id']}", headers=unit2).status_code == 404
    assert client.post(url, data={"kind": "other"}, files={"file": ("x.pdf", PDF, "application/pdf")},
                       headers=unit2).status_code == 404
    case = client.get(f"/api/vouchers/applications/{app_id}/case", headers=unit1).json()
    assert case["case_number"] == f"YZQ-2026-{app_id:06d}" and case["two_step"] is False
    assert case["timeline"][0]["key"] == "submitted" and [a["id"] for a in case["attachments"]] == [body["id"]]


def test_first_review_then_second_review_by_another_person(client, engine) -> None:  # type: ignore[no-untyped-def]
    app_id = _application(engine, two_step=True)
    unit1, reviewer, reviewer2 = _login(client, "unit1"), _login(client, "reviewer"), _login(client, "reviewer2")
    first_url = f"/api/vouchers/applications/{app_id}/first-review"
    assert client.post(first_url, json={"approve": True, "amount_fen": 150_000_00}, headers=unit1).status_code == 403
    review = {"approve": True, "amount_fen": 150_000_00}
    assert client.post(f"/api/vouchers/applications/{app_id}/review", json=review,
                       headers=reviewer).status_code == 409  # no 初审 yet
    no_reason = client.post(first_url, json={"approve": False, "reason": ""}, headers=reviewer)
    assert no_reason.status_code == 422 and no_reason.json()["detail"]["field"] == "reason"
    r = client.post(first_url, json={"approve": True, "amount_fen": 150_000_00}, headers=reviewer)
    assert r.status_code == 201, r.text
    assert r.json()["reviewer"] == "reviewer" and r.json()["amount_fen"] == 150_000_00 and not r.json()["consumed"]
    assert client.post(first_url, json={"approve": True, "amount_fen": 1}, headers=reviewer).status_code == 409
    with transaction(engine) as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "application.first_review")) is not None
    same = client.post(f"/api/vouchers/applications/{app_id}/review", json=review, headers=reviewer)
    assert same.status_code == 403  # the same person cannot do the 复核
    more = client.post(f"/api/vouchers/applications/{app_id}/review",
                       json={"approve": True, "amount_fen": 150_000_01}, headers=reviewer2)
    assert more.status_code == 422  # not above the 初审's recommendation
    done = client.post(f"/api/vouchers/applications/{app_id}/review", json=review, headers=reviewer2)
    assert done.status_code == 200, done.text
    case = client.get(f"/api/vouchers/applications/{app_id}/case", headers=unit1).json()
    assert case["two_step"] is True and case["open_first_review"] is None
    who = {st["key"]: st["who"] for st in case["timeline"]}
    assert who.get("first_review") == "reviewer" and who.get("second_review") == "reviewer2"
    with transaction(engine) as s:
        assert s.scalar(select(FirstReview)).consumed is True


def test_openapi_documents_the_case_routes(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/vouchers/applications/{app_id}/case", "/api/vouchers/applications/{app_id}/attachments",
              "/api/vouchers/applications/{app_id}/attachments/{attachment_id}",
              "/api/vouchers/applications/{app_id}/first-review"):
        assert p in paths, p
    assert "404" in paths["/api/vouchers/applications/{app_id}/first-review"]["post"]["responses"]
