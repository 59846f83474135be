"""Authorization matrix: every route of ``/openapi.json`` × every role × own/other tenant.

Generated from the app's route table: a route without an entry in ``EXPECTED`` fails the test, so a
new route cannot ship without a decided answer for every caller. The table is the documented
answer (docs/security.md, "Roles × actions"); to print the observed table after a deliberate
change, run with ``YUZHI_PRINT_MATRIX=1`` and review every changed cell before pasting it.

How a route is called: reads (GET) name unit A's own records (its voucher application, bill, KPI
report, award model, knowledge base, artifact), so ``member_a`` is the owning tenant and ``member_b``
the other one; writes send an empty JSON body, and body-less writes name a record that does not
exist (id 999999, year 2099), so nothing changes between calls. Codes: 401 no credentials,
403 role refused, 404 not found for this caller (another tenant's record looks absent), 422 the
role passed and the (empty) body was refused, 2xx served. Never a 5xx.
"""

from __future__ import annotations

import os
from datetime import date

import pytest

from tests.factories import code
from yuzhi.assist import service as assist
from yuzhi.assist.schemas import KnowledgeBaseCreate
from yuzhi.awards import service as awards
from yuzhi.awards.schemas import ModelCreate
from yuzhi.db import transaction
from yuzhi.kpi import service as kpi
from yuzhi.kpi.schemas import KeyEnterpriseCreate, ReportIn
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.schemas import BillIn

ROLES = ("anonymous", "member_a", "member_b", "provider", "reviewer", "office")
MISSING = "999999"


@pytest.fixture
def home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from yuzhi import config

    monkeypatch.setenv("YUZHI_HOME", str(tmp_path))
    config.get_settings.cache_clear()
    yield tmp_path
    config.get_settings.cache_clear()


def _records(client, engine, callers, app, home) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Unit A's own records, one per kind of path parameter."""
    from yuzhi.compute.store import ArtifactStore

    w = callers.world
    with transaction(engine) as s:
        app_id = vouchers.list_applications(s, actor=w.units[0])[0][0].id
        bill, _ = vouchers.record_bill(s, actor=w.provider, bill_in=BillIn(
            invoice_no="M-1", customer_uscc=code(1), period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
            amount_fen=100_00))
        kpi.designate(s, actor=w.reviewer, ke_in=KeyEnterpriseCreate(org_id=w.unit_orgs[0], industry="新材料"))
        report = kpi.submit_report(s, actor=w.units[0], report_in=ReportIn(
            year=2026, quarter=1, ai_revenue_fen=1, rd_spend_fen=1, employees=1, ai_products=1))
        model = awards.register_model(s, actor=w.units[0], model_in=ModelCreate(name="甲模型",
                                                                                domain="industrial_vision"))
        kb = assist.create_kb(s, actor=w.units[0], kb_in=KnowledgeBaseCreate(name="甲厂SOP"))
        ids = {"app_id": app_id, "bill_id": bill.id, "report_id": report.id, "model_id": model.id,
               "kb_id": kb.id}
    app.state.compute_store = ArtifactStore(home / "artifacts")
    sha = client.post("/api/compute/artifacts", content=b"A's file", headers=callers.headers["member_a"]).json()
    return {**{k: str(v) for k, v in ids.items()}, "sha256": sha["sha256"], "provider_id": str(w.provider_id),
            "year": "2026", "org_id": str(w.unit_orgs[0])}


def _url(path: str, method: str, params: list[dict], own: dict[str, str]) -> tuple[str, dict[str, str]]:
    query: dict[str, str] = {}
    for p in params:
        name = p["name"]
        if p["in"] == "path":
            if method == "get":
                value = own.get(name, MISSING)
            else:
                value = "2099" if name == "year" else ("f" * 64 if name == "sha256" else
                                                      "nope" if name == "name" else MISSING)
            path = path.replace("{" + name + "}", value)
        elif p["in"] == "query" and p.get("required") and method == "get":
            query[name] = "1"
    return path, query


def observe(client, callers, own) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json()
    seen: dict[str, dict[str, int]] = {}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            url, query = _url(path, method, op.get("parameters", []), own)
            row = {}
            for role in ROLES:
                r = client.request(method.upper(), url, params=query, headers=callers.headers[role],
                                   json={} if "requestBody" in op and method != "get" else None)
                row[role] = r.status_code
            seen[f"{method.upper()} {path}"] = row
    return seen


def test_every_route_answers_every_role_as_documented(client, engine, callers, app, home) -> None:
    own = _records(client, engine, callers, app, home)
    seen = observe(client, callers, own)
    if os.environ.get("YUZHI_PRINT_MATRIX"):
        for key, row in seen.items():
            print(f'    "{key}": ({", ".join(str(row[r]) for r in ROLES)}),')
    missing = sorted(set(seen) - set(EXPECTED))
    assert not missing, f"routes without a decided answer (add them to EXPECTED and docs/security.md): {missing}"
    stale = sorted(set(EXPECTED) - set(seen))
    assert not stale, f"EXPECTED names routes that no longer exist: {stale}"
    wrong = [f"{key} {role}: expected {EXPECTED[key][i]}, got {seen[key][role]}"
             for key in seen for i, role in enumerate(ROLES) if seen[key][role] != EXPECTED[key][i]]
    assert not wrong, "\n".join(wrong)
    assert all(code < 500 for row in seen.values() for code in row.values())
    print(f"{len(seen)} routes × {len(ROLES)} callers = {len(seen) * len(ROLES)} answers checked")


#: (anonymous, member_a, member_b, provider, reviewer, office) per route.
EXPECTED: dict[str, tuple[int, int, int, int, int, int]] = {
    "GET /healthz": (200, 200, 200, 200, 200, 200),
    "GET /readyz": (200, 200, 200, 200, 200, 200),
    "GET /metrics": (200, 200, 200, 200, 200, 200),
    "GET /api/audit/anchors/latest": (404, 404, 404, 404, 404, 404),
    "GET /api/audit/anchors": (401, 403, 403, 403, 200, 200),
    "POST /api/accounts/login": (422, 422, 422, 422, 422, 422),
    "GET /api/accounts/me": (401, 200, 200, 200, 200, 200),
    "POST /api/accounts/organisations": (422, 422, 422, 422, 422, 422),
    "GET /api/accounts/organisations": (401, 200, 200, 200, 200, 200),
    "GET /api/accounts/organisations/{org_id}": (401, 200, 404, 404, 200, 200),
    "POST /api/accounts/organisations/{org_id}/decision": (401, 403, 403, 403, 422, 422),
    "GET /api/accounts/users": (401, 200, 200, 200, 200, 200),
    "POST /api/accounts/users": (401, 422, 422, 422, 422, 422),
    "POST /api/accounts/tokens": (401, 422, 422, 422, 422, 422),
    "GET /api/accounts/tokens": (401, 200, 200, 200, 200, 200),
    "DELETE /api/accounts/tokens/{token_id}": (401, 404, 404, 404, 404, 404),
    "GET /api/accounts/token-policy": (401, 200, 200, 200, 200, 200),
    "PUT /api/accounts/token-policy": (401, 403, 403, 403, 403, 422),
    "POST /api/accounts/affiliations": (401, 403, 403, 403, 403, 422),
    "GET /api/compute/providers": (200, 200, 200, 200, 200, 200),
    "PUT /api/compute/providers/{provider_id}/endpoint": (401, 422, 422, 422, 422, 422),
    "PUT /api/compute/providers/{provider_id}/capacity": (401, 422, 422, 422, 422, 422),
    "GET /api/compute/providers/{provider_id}/rate-cards": (200, 200, 200, 200, 200, 200),
    "POST /api/compute/providers/{provider_id}/rate-cards": (401, 422, 422, 422, 422, 422),
    "GET /api/compute/providers/{provider_id}/statement": (401, 404, 404, 200, 200, 200),
    # body/month refused before the role check; who may act is tested in tests/compute (office or the provider)
    "POST /api/compute/providers/{provider_id}/rate-cards/{card_id}/end": (401, 422, 422, 422, 422, 422),
    "GET /api/compute/providers/{provider_id}/reconcile": (401, 422, 422, 422, 422, 422),
    "GET /api/compute/budget": (401, 200, 200, 200, 422, 422),
    "PUT /api/compute/budget": (401, 422, 422, 422, 422, 422),
    "GET /api/compute/apps": (401, 200, 200, 200, 200, 200),
    "POST /api/compute/apps": (401, 403, 403, 403, 403, 422),
    "POST /api/compute/artifacts": (401, 422, 422, 422, 422, 422),
    "GET /api/compute/artifacts/{sha256}": (401, 200, 404, 404, 200, 200),
    "POST /api/compute/quote": (401, 422, 422, 422, 422, 422),
    "POST /api/compute/jobs": (401, 422, 422, 422, 422, 422),
    "GET /api/compute/jobs": (401, 200, 200, 200, 200, 200),
    "GET /api/compute/jobs/{job_id}": (401, 404, 404, 404, 404, 404),
    "POST /api/compute/jobs/{job_id}/cancel": (401, 404, 404, 404, 404, 404),
    "GET /api/compute/jobs/{job_id}/log": (401, 404, 404, 404, 404, 404),
    "GET /api/vouchers/programmes": (200, 200, 200, 200, 200, 200),
    "POST /api/vouchers/programmes": (401, 403, 403, 403, 403, 422),
    "POST /api/vouchers/programmes/{year}/close": (401, 403, 403, 403, 403, 404),
    "GET /api/vouchers/providers": (200, 200, 200, 200, 200, 200),
    "POST /api/vouchers/providers": (401, 403, 403, 403, 403, 422),
    "POST /api/vouchers/providers/{provider_id}/suspend": (401, 403, 403, 403, 403, 422),
    "POST /api/vouchers/providers/{provider_id}/resume": (401, 403, 403, 403, 403, 404),
    "POST /api/vouchers/applications": (401, 422, 422, 422, 422, 422),
    "GET /api/vouchers/applications": (401, 200, 200, 200, 200, 200),
    "GET /api/vouchers/applications/{app_id}": (401, 200, 404, 200, 200, 200),
    "POST /api/vouchers/applications/{app_id}/review": (401, 403, 403, 403, 422, 422),
    "GET /api/vouchers/applications/{app_id}/case": (401, 200, 404, 200, 200, 200),
    "GET /api/vouchers/applications/{app_id}/attachments": (401, 200, 404, 200, 200, 200),
    "POST /api/vouchers/applications/{app_id}/attachments": (401, 422, 422, 422, 422, 422),
    "GET /api/vouchers/applications/{app_id}/attachments/{attachment_id}": (401, 404, 404, 404, 404, 404),
    "POST /api/vouchers/applications/{app_id}/first-review": (401, 403, 403, 403, 422, 422),
    "GET /api/vouchers/disclosure": (200, 200, 200, 200, 200, 200),
    "POST /api/vouchers/applications/{app_id}/objections": (422, 422, 422, 422, 422, 422),
    "GET /api/vouchers/objections": (401, 403, 403, 403, 200, 200),
    "POST /api/vouchers/objections/{objection_id}/resolve": (401, 403, 403, 403, 422, 422),
    "POST /api/vouchers/bills": (401, 422, 422, 422, 422, 422),
    "GET /api/vouchers/bills": (401, 200, 200, 200, 200, 200),
    "POST /api/vouchers/bills/batch": (401, 422, 422, 422, 422, 422),
    "GET /api/vouchers/bills/{bill_id}": (401, 200, 404, 200, 200, 200),
    "GET /api/vouchers/settlements": (401, 403, 403, 403, 200, 200),
    "POST /api/vouchers/settlements": (401, 403, 403, 403, 403, 422),
    "GET /api/vouchers/settlements/{batch_id}/export": (401, 403, 403, 403, 404, 404),
    "POST /api/vouchers/settlements/{batch_id}/paid": (401, 403, 403, 403, 403, 422),
    "GET /api/vouchers/dashboard/{year}": (401, 403, 403, 403, 200, 200),
    "GET /api/vouchers/statement/{year}": (401, 200, 200, 200, 404, 404),
    "GET /api/vouchers/position/{year}": (401, 404, 404, 200, 404, 404),  # discount mode: the provider is the payee
    "POST /api/vouchers/programmes/{year}/repayments": (401, 403, 403, 403, 403, 422),
    "GET /api/awards/programmes": (200, 200, 200, 200, 200, 200),
    "POST /api/awards/programmes": (401, 403, 403, 403, 403, 422),
    "POST /api/awards/programmes/{year}/close": (401, 403, 403, 403, 403, 404),
    "GET /api/awards/models": (401, 200, 200, 200, 200, 200),
    "POST /api/awards/models": (401, 422, 422, 422, 422, 422),
    "GET /api/awards/models/{model_id}": (401, 200, 404, 404, 200, 200),
    "POST /api/awards/models/{model_id}/cases": (401, 422, 422, 422, 422, 422),
    "POST /api/awards/models/{model_id}/verify": (401, 403, 403, 403, 422, 422),
    "POST /api/awards/applications": (401, 422, 422, 422, 422, 422),
    "GET /api/awards/applications": (401, 200, 200, 200, 200, 200),
    "GET /api/awards/applications/{app_id}": (401, 404, 404, 404, 404, 404),
    "POST /api/awards/applications/{app_id}/review": (401, 403, 403, 403, 422, 422),
    "POST /api/awards/applications/{app_id}/revoke": (401, 403, 403, 403, 422, 422),
    "POST /api/awards/applications/{app_id}/pay": (401, 403, 403, 403, 403, 422),
    "GET /api/awards/disclosure": (200, 200, 200, 200, 200, 200),
    "POST /api/awards/applications/{app_id}/objections": (422, 422, 422, 422, 422, 422),
    "GET /api/awards/objections": (401, 403, 403, 403, 200, 200),
    "POST /api/awards/objections/{objection_id}/resolve": (401, 403, 403, 403, 422, 422),
    "GET /api/awards/books": (401, 403, 403, 403, 200, 200),
    "GET /api/kpi/key-enterprises": (401, 200, 200, 200, 200, 200),
    "POST /api/kpi/key-enterprises": (401, 403, 403, 403, 422, 422),
    "POST /api/kpi/reports": (401, 422, 422, 422, 422, 422),
    "GET /api/kpi/reports": (401, 200, 200, 200, 200, 200),
    "POST /api/kpi/reports/upload": (401, 422, 422, 422, 422, 422),
    "GET /api/kpi/reports/template": (200, 200, 200, 200, 200, 200),
    "GET /api/kpi/reports/{report_id}": (401, 200, 404, 404, 200, 200),
    "POST /api/kpi/reports/{report_id}/confirm": (401, 403, 403, 403, 404, 404),
    "POST /api/kpi/reports/{report_id}/return": (401, 403, 403, 403, 404, 404),
    "GET /api/kpi/estimates": (401, 403, 403, 403, 200, 200),
    "PUT /api/kpi/estimates": (401, 403, 403, 403, 422, 422),
    "POST /api/kpi/robots": (401, 422, 422, 422, 422, 422),
    "GET /api/kpi/robots": (401, 200, 200, 200, 200, 200),
    "POST /api/kpi/robots/{robot_id}/status": (401, 422, 422, 422, 422, 422),
    "GET /api/kpi/dashboard/{year}": (401, 403, 403, 403, 200, 200),
    "GET /api/kpi/dashboard/{year}/export": (401, 403, 403, 403, 200, 200),
    "GET /api/kpi/public/{year}": (200, 200, 200, 200, 200, 200),
    "GET /api/inspect/models": (401, 200, 200, 200, 200, 200),
    "POST /api/inspect/models/{name}/score": (401, 422, 422, 422, 422, 422),
    "POST /api/schedule/plans": (401, 422, 422, 422, 422, 422),
    "GET /api/schedule/plans": (401, 200, 200, 200, 200, 200),
    "POST /api/schedule/plans/json": (401, 422, 422, 422, 422, 422),
    "GET /api/schedule/plans/{plan_id}": (401, 404, 404, 404, 404, 404),
    "GET /api/schedule/plans/{plan_id}/gantt": (401, 404, 404, 404, 404, 404),
    "GET /api/schedule/jobs/{job_id}": (401, 404, 404, 404, 404, 404),
    "GET /api/monitor/sensors": (401, 200, 200, 200, 200, 200),
    "POST /api/monitor/sensors": (401, 422, 422, 422, 422, 422),
    "POST /api/monitor/samples": (401, 422, 422, 422, 422, 422),
    "POST /api/monitor/samples/file": (401, 422, 422, 422, 422, 422),
    "GET /api/monitor/alarms": (401, 200, 200, 200, 200, 200),
    "GET /api/monitor/alarms/{alarm_id}": (401, 404, 404, 404, 404, 404),
    "POST /api/monitor/alarms/{alarm_id}/acknowledge": (401, 422, 422, 422, 422, 422),
    "POST /api/monitor/alarms/{alarm_id}/clear": (401, 422, 422, 422, 422, 422),
    "GET /api/monitor/alarms/{alarm_id}/traces": (401, 404, 404, 404, 404, 404),
    "POST /api/monitor/stale-check": (401, 200, 200, 200, 200, 200),
    "GET /api/monitor/webhooks": (401, 200, 200, 200, 200, 200),
    "POST /api/monitor/webhooks": (401, 422, 422, 422, 422, 422),
    "GET /api/assist/kbs": (401, 200, 200, 200, 200, 200),
    "POST /api/assist/kbs": (401, 422, 422, 422, 422, 422),
    "GET /api/assist/kbs/{kb_id}/documents": (401, 200, 404, 404, 200, 200),
    "POST /api/assist/kbs/{kb_id}/documents": (401, 422, 422, 422, 422, 422),
    "DELETE /api/assist/kbs/{kb_id}/documents/{doc_id}": (401, 404, 404, 404, 404, 404),
    "POST /api/assist/search": (401, 422, 422, 422, 422, 422),
    "POST /api/assist/ask": (401, 422, 422, 422, 422, 422),
    "GET /api/assist/kbs/{kb_id}/article": (401, 404, 404, 404, 404, 404),
    "GET /api/assist/history": (401, 200, 200, 200, 200, 200),
    "GET /api/assist/history/{chat_id}": (401, 404, 404, 404, 404, 404),
}
