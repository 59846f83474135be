"""A solve runs in the background (issue 15): the upload returns at once, the job's page shows progress
and turns into the plan; state is in the database, a job is run by one process only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from tests.factories import PASSWORD
from tests.schedule.conftest import make_tenants
from yuzhi.audit.models import AuditEvent
from yuzhi.db import transaction
from yuzhi.schedule import jobs
from yuzhi.schedule.models import Plan, SolveJob
from yuzhi.schedule.problem import Problem
from yuzhi.schedule.schemas import PlanCreate

TINY = {"machines": 2, "jobs": [{"name": "A", "operations": [{"modes": [[0, 3]]}, {"modes": [[1, 2]]}]},
                                {"name": "B", "operations": [{"modes": [[1, 4]]}, {"modes": [[0, 1]]}]}]}
HTML = {"accept": "text/html"}


def _login(client, username: str) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303


def test_upload_queues_then_the_job_page_becomes_the_plan(client, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        make_tenants(s)
    _login(client, "plan0")
    r = client.post("/schedule/plans", files={"file": ("tiny.json", json.dumps(TINY).encode())},
                    data={"objective": "makespan", "time_limit": "5"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/schedule/jobs/")
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    # the test client runs the background task before it returns: the job is done
    st = client.get(f"/schedule/jobs/{job_id}/status").json()
    assert st["status"] == "done" and st["progress"] == 100 and st["plan_id"]
    page = client.get(f"/schedule/jobs/{job_id}", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/schedule/plans/{st['plan_id']}"
    with transaction(engine) as s:
        plan = s.get(Plan, st["plan_id"])
        assert plan is not None and (plan.name, plan.makespan, plan.status) == ("tiny", 6, "optimal")
        actions = set(s.scalars(select(AuditEvent.action).where(AuditEvent.entity.like("schedule%"))))
        assert {"schedule.solve.queued", "schedule.plan.create"} <= actions
    _login(client, "plan1")  # another tenant sees neither the job nor its state
    assert client.get(f"/schedule/jobs/{job_id}/status").status_code == 404
    assert client.get(f"/schedule/jobs/{job_id}", headers=HTML).status_code == 404


def test_queued_job_shows_progress_page_and_runs_once(client, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        _, a, _ = make_tenants(s)
        job_id = jobs.submit(s, actor=a, problem=Problem.from_dict(TINY), plan_in=PlanCreate(name="later")).id
    _login(client, "plan0")
    page = client.get(f"/schedule/jobs/{job_id}", headers=HTML)
    assert page.status_code == 200 and 'http-equiv="refresh"' in page.text and 'data-testid="job-progress"' in page.text
    assert "排队中" in page.text and "北京时间" in page.text
    assert 'data-testid="solving"' in client.get("/schedule/plans", headers=HTML).text  # listed while active
    assert jobs.run(engine, job_id) == "done"
    assert jobs.run(engine, job_id) == ""  # claimed once: a second process does nothing
    with transaction(engine) as s:
        assert len(list(s.scalars(select(Plan)))) == 1
        assert s.get(SolveJob, job_id).status == "done"  # type: ignore[union-attr]


def test_progress_and_a_dead_process_is_failed_by_the_runner(engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        _, a, _ = make_tenants(s)
        job_id = jobs.submit(s, actor=a, problem=Problem.from_dict(TINY), plan_in=PlanCreate(time_limit=10)).id
        job = s.get(SolveJob, job_id)
        assert job is not None and jobs.progress(job) == 0
        job.status, job.started_at = "running", datetime.now(UTC) - timedelta(seconds=5)
        assert 45 <= jobs.progress(job) <= 55
    with transaction(engine) as s:  # its process died long ago
        s.execute(update(SolveJob).values(started_at=datetime.now(UTC) - timedelta(hours=1)))
    assert jobs.run_pending(engine) == 0
    with transaction(engine) as s:
        job = s.get(SolveJob, job_id)
        assert job is not None and job.status == "failed" and "again" in job.error


def test_bad_upload_queues_nothing(client, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        make_tenants(s)
    _login(client, "plan0")
    r = client.post("/schedule/plans", files={"file": ("bad.txt", b"2 2\n0 3 1\n")}, data={"time_limit": "5"},
                    headers=HTML)
    assert r.status_code == 422
    with transaction(engine) as s:
        assert s.scalar(select(SolveJob)) is None


def test_replan_is_queued_checked_at_once_and_run_once(engine) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from yuzhi.errors import InvalidInput, NotFound
    from yuzhi.schedule import service

    with transaction(engine) as s:
        _, a, b = make_tenants(s)
        plan = service.create(s, actor=a, problem=Problem.from_dict(TINY), plan_in=PlanCreate(name="tiny"))
        with pytest.raises(InvalidInput):  # nothing changed: refused now, not later in the background
            jobs.submit_replan(s, actor=a, plan_id=plan.id, at=1, down=None, rush=None, time_limit=5)
        with pytest.raises(NotFound):  # another tenant's plan
            jobs.submit_replan(s, actor=b, plan_id=plan.id, at=1, down=(1, 0, 5), rush=None, time_limit=5)
        job_id = jobs.submit_replan(s, actor=a, plan_id=plan.id, at=1, down=(1, 0, 5), rush=None, time_limit=5).id
        plan_id = plan.id
    assert jobs.run(engine, job_id) == "done" and jobs.run(engine, job_id) == ""
    with transaction(engine) as s:
        job = s.get(SolveJob, job_id)
        assert job is not None and job.plan_id is not None and job.kind == "replan"
        new = s.get(Plan, job.plan_id)
        assert new is not None and new.schedule["rescheduled_from"] == plan_id and new.org_id == a.org_id


def _bearer(client, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_api_wait_false_queues_then_polls(client, engine) -> None:  # type: ignore[no-untyped-def]
    """``?wait=false`` queues the solve (202, job id, status URL); the default still waits (201, the plan)."""
    with transaction(engine) as s:
        make_tenants(s)
    a, b = _bearer(client, "plan0"), _bearer(client, "plan1")
    r = client.post("/api/schedule/plans/json", headers=a, json=TINY, params={"name": "later", "wait": "false"})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and body["status_url"] == f"/api/schedule/jobs/{body['job_id']}"
    assert r.headers["location"] == body["status_url"]
    # the test client runs the background task before it returns: polling finds the plan
    st = client.get(body["status_url"], headers=a).json()
    assert (st["status"], st["progress"]) == ("done", 100) and st["plan_url"] == f"/api/schedule/plans/{st['plan_id']}"
    plan = client.get(st["plan_url"], headers=a).json()
    assert (plan["name"], plan["makespan"]) == ("later", 6)
    assert client.get(body["status_url"], headers=b).status_code == 404  # another tenant's job
    r = client.post("/api/schedule/plans", headers=a, params={"wait": "false"},
                    files={"file": ("tiny.json", json.dumps(TINY).encode())}, data={"time_limit": "5"})
    assert r.status_code == 202 and client.get(r.json()["status_url"], headers=a).json()["status"] == "done"
    # bad input is refused at once, nothing queued
    before = client.get("/api/schedule/plans", headers=a).json()["count"]
    bad = dict(TINY, jobs=[{"operations": [{"modes": []}]}])
    r = client.post("/api/schedule/plans/json", headers=a, json=bad, params={"wait": "false"})
    assert r.status_code == 422 and "no eligible machine" in r.text
    with transaction(engine) as s:
        assert len(list(s.scalars(select(SolveJob)))) == 2
    # the default (the documented contract) still solves inside the request
    r = client.post("/api/schedule/plans/json", headers=a, json=TINY)
    assert r.status_code == 201 and r.json()["makespan"] == 6
    assert client.get("/api/schedule/plans", headers=a).json()["count"] == before + 1
