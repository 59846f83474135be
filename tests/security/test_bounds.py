"""Out-of-range numbers are refused at the edge with a 4xx naming the field (issue 13, item 3).

Generated from ``/openapi.json``: every integer or number parameter of every route is tried with
values past its type's range (2**63, 2**31 — PostgreSQL's integer keys —, 0, -1, year 0, 99999,
1e300), as the office (who may call every route), so no route can answer 500 or drop the connection on such input.
"""

from __future__ import annotations

import re

import pytest

BAD_INTS = ["9223372036854775808", "2147483648", "99999999999999999999", "0", "-1", "99999"]
BAD_FLOATS = ["4571132335378560.0", "1e300", "-1", "nan", "inf"]


def _operations(spec):  # type: ignore[no-untyped-def]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def _is(schema, kind: str) -> bool:  # type: ignore[no-untyped-def]
    return schema.get("type") == kind or any(s.get("type") == kind for s in schema.get("anyOf", []))


def _fill(path: str, params, name: str, value: str) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    query: dict[str, str] = {}
    for p in params:
        if p["in"] == "path":
            v = value if p["name"] == name else ("a" * 64 if _is(p["schema"], "string") else "1")
            path = path.replace("{" + p["name"] + "}", v)
        elif p["name"] == name:
            query[name] = value
    return path, query


def test_numbers_out_of_range_get_4xx_on_every_route(client, callers) -> None:
    spec = client.get("/openapi.json").json()
    office = callers.headers["office"]
    tried, failures = 0, []
    for path, method, op in _operations(spec):
        params = op.get("parameters", [])
        for p in params:
            if p["in"] not in ("path", "query"):
                continue
            values = BAD_INTS if _is(p["schema"], "integer") else BAD_FLOATS if _is(p["schema"], "number") else []
            for value in values:
                url, query = _fill(path, params, p["name"], value)
                r = client.request(method.upper(), url, params=query, headers=office,
                                   json={} if "requestBody" in op else None)
                tried += 1
                if r.status_code >= 500:
                    failures.append(f"{method.upper()} {url} {query} -> {r.status_code}")
                elif r.status_code == 422 and r.json()["detail"].get("code") == "out_of_range":
                    # caught only by the last-resort handler: the route itself does not bound it
                    failures.append(f"{method.upper()} {url} {query} -> not bounded at the edge")
    assert tried > 100
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("url", [
    "/api/vouchers/bills/9223372036854775808",
    "/api/vouchers/applications/99999999999999999999",
    "/api/vouchers/bills?offset=9223372036854775808",
    "/api/kpi/dashboard/99999",
    "/api/kpi/public/99999",
    "/api/compute/providers/1/statement?year=0",
    "/api/monitor/alarms/3/traces?before_s=4571132335378560.0",
    "/api/vouchers/bills?limit=-1&offset=-5",
])
def test_issue_examples_get_422_with_field_and_fix(client, callers, url: str) -> None:
    r = client.get(url, headers=callers.headers["office"])
    assert r.status_code == 422, (url, r.status_code, r.text)
    detail = r.json()["detail"]
    assert detail["field"] and detail["fix"] and detail["message"]
    name = re.split(r"[/?=&]", url)
    assert detail["field"] in name or detail["field"] in ("year", "bill_id", "app_id", "offset", "limit", "before_s")
