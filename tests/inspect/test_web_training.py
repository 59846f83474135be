"""Training from the inspection page runs as a compute job: quoted, held against the unit's budget,
metered and charged; the member installs the trained model (verified) and scores uploads with it.
Another unit can neither see nor install the job; bad uploads are refused and queue nothing."""

from __future__ import annotations

import io
import json
import zipfile

from PIL import Image
from sqlalchemy import func, select

from tests.compute.test_service import run_until_done, setup_world
from tests.factories import PASSWORD
from yuzhi.compute.models import ComputeAccount, ComputeJob
from yuzhi.compute.store import ArtifactStore
from yuzhi.config import get_settings
from yuzhi.db import transaction

from .conftest import texture, with_defect


def _login(client, username: str) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.set("yuzhi_session", r.json()["token"])


def _png(arr) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def _zip(n: int) -> bytes:
    """Good images in a nested folder, plus the junk a desktop zip tool adds."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(n):
            zf.writestr(f"goods/line 1/{i:03d}.png", _png(texture(i)))
        zf.writestr("__MACOSX/goods/._000.png", b"junk")
        zf.writestr("goods/.DS_Store", b"junk")
    return buf.getvalue()


def _jobs(engine) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(ComputeJob)) or 0


def test_train_from_the_page_as_a_compute_job(client, app, engine, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "home", tmp_path / "home")
    store = ArtifactStore(tmp_path / "artifacts")
    app.state.compute_store = store
    w = setup_world(engine, tmp_path)
    _login(client, "unit1")
    page = client.get("/inspect?lang=en")
    assert page.status_code == 200 and 'data-testid="train-form"' in page.text

    # too few images: a clear error on the page, nothing stored or queued
    r = client.post("/inspect/train?lang=en", data={"model": "ring"},
                    files=[("files", (f"{i}.png", _png(texture(i)), "image/png")) for i in range(4)])
    assert r.status_code == 422 and "at least 10 are needed" in r.text
    r = client.post("/inspect/train", data={"model": "../x"}, files=[("files", ("g.zip", _zip(12), "application/zip"))])
    assert r.status_code == 422 and "model name" in r.text
    assert _jobs(engine) == 0

    r = client.post("/inspect/train", data={"model": "ring"},
                    files=[("files", ("goods.zip", _zip(12), "application/zip"))], follow_redirects=False)
    assert r.status_code == 303, r.text
    with transaction(engine) as s:
        job = s.scalar(select(ComputeJob))
        job_id, quote = job.id, job.quote_fen
        assert job.kind == "inspect.train" and job.cpus == 2 and quote > 0
        held = s.scalar(select(ComputeAccount.held_fen).where(ComputeAccount.org_id == job.org_id))
        assert held == quote
    listing = client.get("/inspect?lang=en").text
    assert f'href="/compute/jobs/{job_id}"' in listing and 'http-equiv="refresh"' in listing
    assert f"training job {job_id} queued for model ring; ¥" in listing  # the flash: fen as yuan, no float

    job = run_until_done(engine, store, job_id, timeout=300)
    assert job.status == "succeeded", (job.reason, store.job_dir(job.token).joinpath("job.log").read_text()[-2000:])
    assert job.charge_fen >= 1 and "model.zip" in [a["name"] for a in json.loads(job.outputs_json)]
    listing = client.get("/inspect?lang=en").text
    assert 'data-testid="install-form"' in listing and 'http-equiv="refresh"' not in listing

    # another unit sees nothing and cannot install it
    _login(client, "unit2")
    assert f'href="/compute/jobs/{job_id}"' not in client.get("/inspect").text
    assert client.post(f"/inspect/train/{job_id}/install").status_code == 404
    assert not (tmp_path / "home" / "models" / "inspect").exists()

    _login(client, "unit1")
    r = client.post(f"/inspect/train/{job_id}/install?lang=zh", follow_redirects=False)
    assert r.status_code == 303, r.text
    assert "模型 ring 已安装" in client.get("/inspect?lang=en").text  # flash in the language it was asked in
    org = w.unit_orgs[0]
    meta = json.loads((tmp_path / "home" / "models" / "inspect" / f"org-{org}" / "ring" / "model.json").read_text())
    assert meta["training"]["n_images"] == 12
    assert client.post(f"/inspect/train/{job_id}/install").status_code == 422  # already installed
    page = client.get("/inspect?lang=en").text
    assert 'data-testid="model-card"' in page and "<b>ring</b>" in page
    r = client.post("/inspect", data={"model": "ring"},
                    files=[("files", ("bad.png", _png(with_defect(texture(2000))), "image/png"))])
    assert r.status_code == 200 and '<span class="badge NG">NG</span>' in r.text
