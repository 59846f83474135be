"""Compute pages: a member submits from the browser form, follows the job, sees cost and subsidy;
errors appear on the page and write nothing; the office dashboard shows subsidy by provider and kind."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from tests.compute.test_service import setup_world
from tests.factories import PASSWORD
from yuzhi.compute import service
from yuzhi.compute.models import ComputeJob
from yuzhi.compute.pricing import CST
from yuzhi.compute.store import ArtifactStore
from yuzhi.db import transaction
from yuzhi.web.templating import fen
from yuzhi.workflows import compute_billing as flows


def login(client, username):
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.set("yuzhi_session", r.json()["token"])


def test_submit_follow_and_dashboard(client, app, engine, tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    app.state.compute_store = store
    w = setup_world(engine, tmp_path)
    assert client.get("/compute/jobs", follow_redirects=False).status_code == 303  # anonymous → /login
    login(client, "unit1")
    page = client.get("/compute/jobs")
    assert page.status_code == 200 and 'data-testid="submit-form"' in page.text
    r = client.post("/compute/jobs", data={"kind": "app", "app": "py", "args": "\"print(open('inputs/x').read())\"",
                                           "time_limit_s": "60", "input_name": "x"},
                    files={"input_file": ("x.txt", b"hello file", "text/plain")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    job_id = int(url.rsplit("/", 1)[1])
    deadline = time.monotonic() + 60
    while 'data-testid="job-status">succeeded' not in client.get(url + "?lang=en").text:
        assert time.monotonic() < deadline
        service.tick(engine, store=store, biller=flows.bill_job)
        time.sleep(0.2)
    detail = client.get(url).text
    assert "hello file" in detail
    with transaction(engine) as s:
        job = s.get(ComputeJob, job_id)
        assert job.charge_fen >= 1
        assert f'<td data-testid="cost">{fen(job.price_fen)} / {fen(job.charge_fen)}</td>' in detail

    # bad form: over-sized request → error on the page, nothing written
    r = client.post("/compute/jobs", data={"kind": "app", "app": "py", "cpus": "64"})
    assert r.status_code == 422 and "allows at most 2 CPUs per job" in r.text
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(ComputeJob)) == 1

    assert client.get("/compute/dashboard").status_code == 403
    login(client, "unit2")
    assert client.get(url).status_code == 404
    login(client, "admin")
    dash = client.get("/compute/dashboard").text
    assert 'data-testid="by-provider"' in dash and "<td>国家超算郑州中心</td><td class=\"num\">1</td>" in dash
    assert "<td>app</td><td class=\"num\">1</td>" in dash
    prov = client.get("/compute/providers").text
    assert "国家超算郑州中心" in prov and "available" in prov
    with transaction(engine) as s:
        job = s.get(ComputeJob, job_id)
        year = job.started_at.astimezone(CST).year
    stmt = client.get(f"/compute/statement?provider_id={w.provider_id}&year={year}").text
    total_row = stmt.split('data-testid="statement-total"')[1].split("</tr>")[0]
    assert f"<tr><td>{job_id}</td>" in stmt
    assert total_row.count(f'<th class="num">{fen(job.charge_fen)}</th>') >= 1
    login(client, "unit1")
    assert client.get(f"/compute/statement?provider_id={w.provider_id}").status_code == 404
    assert w.provider_id
