"""Stored plans through the service and the HTTP API: tenancy, audit, upload, Gantt, errors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD
from tests.schedule.conftest import make_tenants
from yuzhi.audit.models import AuditEvent
from yuzhi.db import transaction
from yuzhi.errors import InvalidInput, NotFound
from yuzhi.schedule import service
from yuzhi.schedule.problem import Problem
from yuzhi.schedule.schemas import PlanCreate
from yuzhi.schedule.workbook import write_template

TINY = {
    "machines": 2,
    "jobs": [
        {"name": "A", "operations": [{"modes": [[0, 3]]}, {"modes": [[1, 2]]}]},
        {"name": "B", "operations": [{"modes": [[1, 4]]}, {"modes": [[0, 1]]}]},
    ],
}


def test_service_stores_audits_and_scopes(session):
    office, a, b = make_tenants(session)
    plan = service.create(session, actor=a, problem=Problem.from_dict(TINY), plan_in=PlanCreate(name="tiny"))
    assert (plan.status, plan.makespan, plan.lower_bound, plan.org_id) == ("optimal", 6, 6, a.org_id)
    assert plan.schedule["operations"][0] == {"job": 0, "operation": 0, "machine": 0, "start": 0, "end": 3}
    ev = session.scalars(select(AuditEvent).where(AuditEvent.entity == "schedule_plan")).one()
    assert (ev.action, ev.entity_id) == ("schedule.plan.create", str(plan.id))
    assert service.get(session, actor=office, plan_id=plan.id).id == plan.id
    with pytest.raises(NotFound):
        service.get(session, actor=b, plan_id=plan.id)  # another tenant's plan is a 404
    assert service.get_all(session, actor=b) == ([], 0)
    assert "<svg" in service.gantt_html(session, actor=a, plan_id=plan.id)
    with pytest.raises(InvalidInput, match="which organisation"):
        service.create(session, actor=office, problem=Problem.from_dict(TINY), plan_in=PlanCreate())


def test_bad_upload_changes_nothing(session):
    _, a, _ = make_tenants(session)
    with pytest.raises(InvalidInput) as e:
        service.create_from_file(session, actor=a, filename="bad.txt", content=b"2 2\n0 3 1\n", plan_in=PlanCreate())
    assert e.value.field == "bad.txt, line 2"
    assert service.get_all(session, actor=a) == ([], 0)


def _login(client, username):
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_api_upload_workbook_and_gantt(client, engine, tmp_path):
    with transaction(engine) as s:
        make_tenants(s)
    a, b = _login(client, "plan0"), _login(client, "plan1")
    wb = write_template(tmp_path / "plan.xlsx", example=True)
    r = client.post(
        "/api/schedule/plans",
        headers=a,
        files={"file": ("plan.xlsx", wb.read_bytes())},
        data={"objective": "weighted-tardiness", "time_limit": "5"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["name"], body["status"], body["objective_value"], body["n_orders"]) == ("plan", "optimal", 90, 5)
    pid = body["id"]
    assert len(body["schedule"]["operations"]) == 11
    r = client.get(f"/api/schedule/plans/{pid}/gantt", headers=a)
    assert r.status_code == 200 and r.text.count("<svg") == 2
    assert client.get(f"/api/schedule/plans/{pid}", headers=b).status_code == 404
    assert client.get("/api/schedule/plans", headers=a).json()["count"] == 1
    r = client.post("/api/schedule/plans/json", headers=a, json=TINY, params={"name": "tiny"})
    assert r.status_code == 201 and r.json()["makespan"] == 6
    # bad input: 422 with the field that is wrong
    bad = dict(TINY, jobs=[{"operations": [{"modes": []}]}])
    r = client.post("/api/schedule/plans/json", headers=a, json=bad)
    assert r.status_code == 422 and "no eligible machine" in r.text
    # pages
    r = client.get("/schedule/plans", headers=a)
    assert r.status_code == 200 and "tiny" in r.text
    r = client.get(f"/schedule/plans/{pid}", headers=a)
    assert r.status_code == 200 and 'data-testid="gantt"' in r.text
