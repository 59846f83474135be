"""The case file of an application: number, timeline with who decided, safe attachments."""

from __future__ import annotations

from sqlalchemy import select
from tests.factories import PASSWORD, code, make_world

from yuzhi.audit.models import AuditEvent
from yuzhi.db import transaction
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.casefile import CaseAttachment
from yuzhi.vouchers.schemas import ApplicationCreate, Review

HTML = {"accept": "text/html"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _case(engine):  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        w = make_world(s, units=2, disclosure_days=5)
        a = vouchers.apply(s, actor=w.units[0], app_in=ApplicationCreate(
            year=2026, provider_id=w.provider_id, contract_no="HT-CASE-1", planned_spend_fen=1_000_000_00))
        vouchers.review(s, actor=w.reviewer, app_id=a.id, decision=Review(approve=True, amount_fen=100_000_00))
        return w, a.id


def _login(client, user: str) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/login", data={"username": user, "password": PASSWORD},
                       follow_redirects=False).status_code == 303


def test_case_number_timeline_and_who_decided(client, engine) -> None:  # type: ignore[no-untyped-def]
    _w, app_id = _case(engine)
    _login(client, "unit1")
    r = client.get(f"/vouchers/applications/{app_id}/case", headers=HTML)
    assert r.status_code == 200
    assert f"YZQ-2026-{app_id:06d}" in r.text
    for step in ("submitted", "review", "disclosure", "effective"):
        assert f'data-testid="step-{step}"' in r.text, step
    assert 'data-testid="who-review">reviewer<' in r.text  # the reviewer's name on the 审核 step
    assert "+00:00" not in r.text and "UTC" not in r.text


def test_attachment_sniffed_stored_audited_and_tenant_scoped(client, engine, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("YUZHI_HOME", str(tmp_path))
    from yuzhi.config import get_settings

    get_settings.cache_clear()
    try:
        _w, app_id = _case(engine)
        _login(client, "unit1")
        url = f"/vouchers/applications/{app_id}/case/attachments"
        evil = ("contract.pdf", b"MZ\x90\x00evil", "application/pdf")  # a program named .pdf
        bad = client.post(url, data={"kind": "contract"}, files={"file": evil}, headers=HTML)
        assert bad.status_code == 422 and "PDF" in bad.text
        ok = client.post(url, data={"kind": "contract"}, files={"file": ("../../合同.pdf", PDF, "application/pdf")},
                         follow_redirects=False)
        assert ok.status_code == 303
        with transaction(engine) as s:
            row = s.scalar(select(CaseAttachment))
            assert row is not None and row.content_type == "application/pdf" and row.filename == "合同.pdf"
            assert s.scalar(select(AuditEvent).where(AuditEvent.action == "casefile.attach")) is not None
        stored = list((tmp_path / "casefiles").rglob("*.pdf"))
        assert len(stored) == 1 and stored[0].read_bytes() == PDF and oct(stored[0].stat().st_mode)[-3:] == "600"
        got = client.get(f"{url}/{row.id}")
        assert got.status_code == 200 and got.content == PDF and got.headers["x-content-type-options"] == "nosniff"
        _login(client, "unit2")  # another unit sees neither the case nor the file
        assert client.get(f"{url}/{row.id}").status_code == 404
        assert client.get(f"/vouchers/applications/{app_id}/case").status_code == 404
    finally:
        get_settings.cache_clear()


def test_virus_scan_hook_refuses_and_keeps_nothing(client, engine, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("YUZHI_HOME", str(tmp_path))
    monkeypatch.setenv("YUZHI_VIRUS_SCAN_CMD", "false")
    from yuzhi.config import get_settings

    get_settings.cache_clear()
    try:
        _w, app_id = _case(engine)
        _login(client, "unit1")
        r = client.post(f"/vouchers/applications/{app_id}/case/attachments", data={"kind": "invoice"},
                        files={"file": ("inv.pdf", PDF, "application/pdf")}, headers=HTML)
        assert r.status_code == 422
        assert not list((tmp_path / "casefiles").rglob("*.*"))
        with transaction(engine) as s:
            assert s.scalar(select(CaseAttachment)) is None
    finally:
        get_settings.cache_clear()
    assert code(1)



def test_two_step_review_needs_two_people_and_shows_in_timeline_and_disclosure(client, engine) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from yuzhi.accounts import service as accounts
    from yuzhi.accounts.actor import SYSTEM, Role
    from yuzhi.accounts.schemas import UserCreate
    from yuzhi.errors import Conflict, Forbidden

    with transaction(engine) as s:
        w = make_world(s, units=1, disclosure_days=5)
        rev2 = accounts.actor_for(accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(
            username="reviewer2", password=PASSWORD, role=Role.OFFICE_REVIEWER.value)))
        app_id = vouchers.apply(s, actor=w.units[0], app_in=ApplicationCreate(
            year=2026, provider_id=w.provider_id, contract_no="HT-2STEP", planned_spend_fen=1_000_000_00)).id
    _login(client, "admin")
    r = client.post("/vouchers/programmes/2026/case-settings", follow_redirects=False, data={
        "two_step": "1", "issuing_office": "河南省工业和信息化厅", "contact": "算力券办公室 0371-00000000"})
    assert r.status_code == 303
    with transaction(engine) as s, pytest.raises(Conflict):  # no 初审 yet: nobody may decide
        vouchers.review(s, actor=w.reviewer, app_id=app_id, decision=Review(approve=True, amount_fen=150_000_00))
    _login(client, "reviewer")
    r = client.post(f"/vouchers/applications/{app_id}/case/first-review", follow_redirects=False,
                    data={"decision": "approve", "amount": "15万", "reason": ""})
    assert r.status_code == 303, r.text[-800:]
    with transaction(engine) as s, pytest.raises(Forbidden):  # the same person cannot do the 复核
        vouchers.review(s, actor=w.reviewer, app_id=app_id, decision=Review(approve=True, amount_fen=150_000_00))
    with transaction(engine) as s:
        vouchers.review(s, actor=rev2, app_id=app_id, decision=Review(approve=True, amount_fen=150_000_00))
    page = client.get(f"/vouchers/applications/{app_id}/case", headers=HTML).text
    assert 'data-testid="who-first_review">reviewer<' in page and 'data-testid="who-second_review">reviewer2<' in page
    assert "初审" in page and "复核" in page
    public = client.get("/vouchers/disclosure?year=2026", headers=HTML).text
    assert "河南省工业和信息化厅" in public and "0371-00000000" in public and "公示开始" in public
