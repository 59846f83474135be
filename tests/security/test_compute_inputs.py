"""A job may read only its own tenant's files (issue 13, item 1).

Another unit's upload cannot be downloaded (404) and must not be readable through a job either:
naming its SHA-256 as a job input is answered with the same 404 as a missing file, and nothing is
queued or held.
"""

from __future__ import annotations

import time

from tests.compute.test_service import setup_world
from tests.security.conftest import login
from yuzhi.compute import service
from yuzhi.compute.store import ArtifactStore
from yuzhi.workflows import compute_billing as flows

SECRET = b"unit A's private recipe\n"


def _job(sha: str) -> dict[str, object]:
    return {"kind": "app", "app": "py", "inputs": {"x.txt": sha}, "time_limit_s": 60,
            "args": ["print(open('inputs/x.txt').read())"]}


def test_another_units_file_cannot_be_a_job_input(client, app, engine, tmp_path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    app.state.compute_store = store
    setup_world(engine, tmp_path)
    a, b = login(client, "unit1"), login(client, "unit2")
    sha = client.post("/api/compute/artifacts?name=x.txt", content=SECRET, headers=a).json()["sha256"]

    dl = client.get(f"/api/compute/artifacts/{sha}", headers=b)
    assert dl.status_code == 404
    r = client.post("/api/compute/jobs", json=_job(sha), headers=b)
    assert r.status_code == 404, r.text
    assert r.json()["detail"]["field"] == "inputs.x.txt"
    missing = client.post("/api/compute/jobs", json=_job("e" * 64), headers=b)
    assert missing.status_code == 404 and missing.json()["detail"]["message"].replace("e" * 12, sha[:12]) == \
        r.json()["detail"]["message"]  # the same answer as for a file that does not exist
    assert client.get("/api/compute/jobs", headers=b).json()["count"] == 0
    assert client.get("/api/compute/budget", headers=b).json()["held_fen"] == 0

    # uploading the same bytes makes them B's own (B already has the content): then it may use them
    assert client.post("/api/compute/artifacts", content=SECRET, headers=b).json()["sha256"] == sha
    assert client.post("/api/compute/jobs", json=_job(sha), headers=b).status_code == 201


def test_own_uploads_and_own_outputs_are_usable(client, app, engine, tmp_path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    app.state.compute_store = store
    setup_world(engine, tmp_path)
    a, b = login(client, "unit1"), login(client, "unit2")
    sha = client.post("/api/compute/artifacts?name=x.txt", content=b"2\n", headers=a).json()["sha256"]
    body = {**_job(sha), "args": ["open('outputs/y.txt', 'w').write(open('inputs/x.txt').read() * 2)"]}
    job = client.post("/api/compute/jobs", json=body, headers=a).json()
    deadline = time.monotonic() + 60
    while client.get(f"/api/compute/jobs/{job['id']}", headers=a).json()["status"] != "succeeded":
        assert time.monotonic() < deadline
        service.tick(engine, store=store, biller=flows.bill_job)
        time.sleep(0.2)
    out = client.get(f"/api/compute/jobs/{job['id']}", headers=a).json()["outputs"][0]["sha256"]
    assert client.post("/api/compute/jobs", json=_job(out), headers=a).status_code == 201  # its own output
    assert client.post("/api/compute/jobs", json=_job(out), headers=b).status_code == 404  # not B's
    assert client.get(f"/api/compute/artifacts/{out}", headers=b).status_code == 404
