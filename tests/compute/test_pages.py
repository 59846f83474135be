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


def _monthly_job(engine, tmp_path, store, kind):  # type: ignore[no-untyped-def]
    """A world whose card bills monthly, one finished job, invoiced for its month."""
    from tests.compute.test_service import run_until_done, submit
    from yuzhi.compute import invoices
    from yuzhi.compute.models import RateCardRow

    w = setup_world(engine, tmp_path, kind=kind)
    with transaction(engine) as s:
        for card in s.scalars(select(RateCardRow)):
            card.billing_period = "month"
    job = run_until_done(engine, store, submit(engine, w, store, "import time; time.sleep(1.2)"))
    month = job.started_at.astimezone(CST).strftime("%Y-%m")
    with transaction(engine) as s:
        [res] = invoices.invoice_month(s, actor=w.admin, provider_id=w.provider_id, month=month,
                                       record_bill=flows.record_usage_bill)
        job = s.get(ComputeJob, job.id)
        assert res.bill_id and job.bill_id == res.bill_id
        s.expunge(job)
    return w, job, month, res


def test_monthly_invoices_page_lists_invoices_with_job_lines(client, engine, tmp_path):
    """Issue 20 item 6: the provider's month page (zh/en), tenant-scoped; office sees every provider."""
    store = ArtifactStore(tmp_path / "artifacts")
    w, job, month, res = _monthly_job(engine, tmp_path, store, "local")
    url = f"/compute/invoices?provider_id={w.provider_id}&month={month}"
    login(client, "provider")
    zh = client.get(url)
    assert zh.status_code == 200, zh.text
    table = zh.text.split('data-testid="compute-invoices"')[1].split("</table>")[0]
    assert res.invoice_no in table and f">{fen(res.amount_fen)}<" in table and "已开票" in table
    assert f'<a href="/compute/jobs/{job.id}">作业 {job.id}</a>' in table  # the job line
    assert "对账需要 Slurm 计算引擎" in zh.text  # local engine: no sacct to compare with
    assert "Monthly invoices" in client.get(url + "&lang=en").text
    assert client.get(f"/compute/statement?provider_id={w.provider_id}").text.count("/compute/invoices?") == 1
    assert client.get(f"/compute/invoices?provider_id={w.provider_id}&month=2026-13").status_code == 422
    login(client, "unit1")
    assert client.get(url).status_code == 404
    login(client, "admin")
    assert res.invoice_no in client.get(url).text
    other = client.get(f"/compute/invoices?provider_id={w.provider_id}&month=2020-01&lang=zh").text
    assert "本月没有按月计费的作业" in other


def test_month_page_reconciles_with_sacct_and_downloads_xlsx(client, engine, tmp_path, slurm_skip_reason):
    import pytest

    if slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    store = ArtifactStore(tmp_path / "artifacts")
    w, job, month, _ = _monthly_job(engine, tmp_path, store, "slurm")
    login(client, "provider")
    page = client.get(f"/compute/invoices?provider_id={w.provider_id}&month={month}").text
    summary = page.split('data-testid="reconcile-summary"')[1].split("</p>")[0]
    assert "平台作业数 1" in summary
    rows = page.split('data-testid="reconcile"')[1].split("</table>")[0]
    assert f'<a href="/compute/jobs/{job.id}">' not in rows  # our job matches sacct to the fen
    x = client.get(f"/compute/invoices/reconcile.xlsx?provider_id={w.provider_id}&month={month}")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    login(client, "unit1")
    assert client.get(f"/compute/invoices/reconcile.xlsx?provider_id={w.provider_id}&month={month}").status_code == 404
