"""Powers decided deliberately (issue 13, item 9; the matrix is in docs/security.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.assist.conftest import LAW
from tests.awards.builders import verified_model
from tests.compute.test_service import setup_world, submit
from tests.factories import approved_quota, make_world
from tests.security.conftest import login
from yuzhi import config
from yuzhi.accounts import service as accounts
from yuzhi.accounts.models import Organisation, OrgStatus
from yuzhi.assist import service as assist
from yuzhi.assist.schemas import KnowledgeBaseCreate
from yuzhi.awards import service as awards
from yuzhi.awards.schemas import AwardProgrammeCreate, CaseCreate
from yuzhi.compute import service as compute
from yuzhi.compute.store import ArtifactStore
from yuzhi.db import transaction
from yuzhi.errors import Conflict, Forbidden
from yuzhi.vouchers.models import Objection


def test_objections_need_identification_and_are_rate_limited(client, engine) -> None:
    with transaction(engine) as s:
        w = make_world(s, units=2, disclosure_days=5)
        app_ids = [approved_quota(s, w, 0, 100_000_00, contract=f"D-{i}") for i in range(2)]
    url = f"/api/vouchers/applications/{app_ids[0]}/objections"
    r = client.post(url, json={"text": "合同疑似虚构，请核查"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "submitted_by"
    for i in range(3):
        r = client.post(url, json={"text": f"合同疑似虚构，请核查 {i}", "submitted_by": "张三 13800138000"})
        assert r.status_code == 201, r.text
    r = client.post(url, json={"text": "合同疑似虚构，第四次", "submitted_by": "张三 13800138000"})
    assert r.status_code == 429 and r.json()["detail"]["code"] == "rate_limited"
    unit2 = login(client, "unit2")
    for i in range(2):  # a logged-in objector is identified by the account, whatever name it types
        r = client.post(url, json={"text": f"金额与实际不符 {i}", "submitted_by": f"某人{i}"}, headers=unit2)
        assert r.status_code == 201, r.text
    r = client.post(url, json={"text": "金额与实际不符 again", "submitted_by": "李四 lisi@example.cn"})
    assert r.status_code == 429 and r.json()["detail"]["field"] == "application_id"  # 5 open on it already
    with transaction(engine) as s:
        who = sorted({o.submitted_by for o in s.query(Objection)})
    assert who == ["张三 13800138000", "某人0 · unit2(member)", "某人1 · unit2(member)"]


def test_an_approved_unit_holding_quotas_is_not_rejected_in_one_click(engine) -> None:
    with transaction(engine) as s:
        w = make_world(s, units=1)
        approved_quota(s, w, 0, 100_000_00, contract="Q-1")
    with pytest.raises(Conflict, match="holds 1 live voucher quota"), transaction(engine) as s:
        accounts.decide_org(s, actor=w.admin, org_id=w.unit_orgs[0], approve=False, reason="材料不实")
    with transaction(engine) as s:
        assert s.get(Organisation, w.unit_orgs[0]).status == OrgStatus.APPROVED


def test_a_reviewer_cannot_cancel_a_units_job(engine, tmp_path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    w = setup_world(engine, tmp_path)
    job_id = submit(engine, w, store, "print(1)")
    with pytest.raises(Forbidden, match="office administrator"), transaction(engine) as s:
        compute.cancel_job(s, actor=w.reviewer, job_id=job_id)
    with transaction(engine) as s:
        assert compute.cancel_job(s, actor=w.admin, job_id=job_id).status == "cancelled"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("YUZHI_HOME", str(tmp_path))
    config.get_settings.cache_clear()
    yield tmp_path
    config.get_settings.cache_clear()


def test_the_office_does_not_write_a_units_private_files_or_cases(session, home) -> None:
    w = make_world(session, units=1)
    own = assist.create_kb(session, actor=w.units[0], kb_in=KnowledgeBaseCreate(name="甲厂SOP"))
    for office in (w.admin, w.reviewer):
        with pytest.raises(Forbidden, match="written only by its own members"):
            assist.add_documents(session, actor=office, kb_id=own.id, files=[("x.md", LAW.encode())])
    law = assist.create_kb(session, actor=w.admin, kb_in=KnowledgeBaseCreate(name="法规", scope="public"))
    assert assist.add_documents(session, actor=w.admin, kb_id=law.id, files=[("law.md", LAW.encode())])
    awards.create_programme(session, actor=w.admin, prog_in=AwardProgrammeCreate(
        year=2026, name="2026 奖补", budget_fen=10_000_000_00))
    m = verified_model(session, w, 0, "甲模型")
    case = CaseCreate(customer="某厂", scenario="缺陷检测", effect="漏检率下降 30%")
    for office in (w.admin, w.reviewer):
        with pytest.raises(Forbidden, match="model's own organisation"):
            awards.add_case(session, actor=office, model_id=m.id, case_in=case)
    assert awards.add_case(session, actor=w.units[0], model_id=m.id, case_in=case).id
