"""A ``backend`` fixture that runs the same behaviour tests on ``local`` and on a real Slurm.

Slurm is skipped (with the reason) when its client tools are absent or the controller does not
answer; ``.ci/setup-slurm.sh`` brings up the single-node cluster CI uses.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from yuzhi.compute.backends import Backend, JobSpec, make_backend
from yuzhi.compute.backends.slurm import slurm_present


def _slurm_skip_reason() -> str | None:
    if not slurm_present():
        return "Slurm is not installed here (no `sinfo`); run .ci/setup-slurm.sh as root to enable"
    reason = make_backend("slurm", {"timeout_s": 5}).check()
    if reason:
        return f"Slurm is installed but not usable: {reason}; run .ci/setup-slurm.sh"
    return None


@pytest.fixture(scope="session")
def slurm_skip_reason() -> str | None:
    return _slurm_skip_reason()


@pytest.fixture(params=["local", "slurm"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            slurm_skip_reason: str | None) -> Backend:
    if request.param == "slurm":
        if slurm_skip_reason:
            pytest.skip(slurm_skip_reason)
        return make_backend("slurm", {})
    return make_backend("local", {"state_dir": tmp_path_factory.mktemp("local-state")})


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    # Slurm's slurmd must see the folder: tmp_path is on this single node, which suffices here.
    os.chmod(tmp_path, 0o755)
    return tmp_path


@pytest.fixture
def make_spec(workdir: Path):  # type: ignore[no-untyped-def]
    def make(argv: tuple[str, ...], **kw: object) -> JobSpec:
        kw.setdefault("name", "test")
        return JobSpec(token=f"t-{uuid.uuid4().hex[:16]}", argv=argv, workdir=workdir, **kw)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session", autouse=True)
def slurm_timeout_job(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                      slurm_skip_reason: str | None):
    """Start Slurm's time-out case as soon as the session starts.

    Slurm enforces limits in whole minutes, so this job needs about 70 s; started first, it runs
    while the other tests do and ``test_timeouts.py`` (collected last) only collects the result.
    Only submitted when that test was selected and Slurm is usable.
    """
    wanted = any(item.name == "test_slurm_time_limit" for item in request.session.items)
    if not wanted or slurm_skip_reason:
        yield None
        return
    import sys

    wd = tmp_path_factory.mktemp("slurm-timeout")
    os.chmod(wd, 0o755)
    backend = make_backend("slurm", {})
    spec = JobSpec(token=f"t-timeout-{uuid.uuid4().hex[:12]}", name="timeout", workdir=wd, time_limit_s=60,
                   argv=(sys.executable, "-c", "import time; time.sleep(600)"))
    eid = backend.submit(spec)
    yield backend, eid
    backend.cancel(eid)  # an interrupted session must not leave it holding a CPU for a minute
