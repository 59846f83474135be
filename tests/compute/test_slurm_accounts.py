"""``yuzhi compute accounts sync/list``: per-unit Slurm accounts made before the first job (issue 20 item 3).

Real ``sacctmgr`` on the test cluster (slurmdbd on MariaDB); every account made here carries a
prefix of its own and is deleted afterwards.
"""

from __future__ import annotations

import subprocess
import time

import pytest
from sqlalchemy import select

from tests.compute.test_service import setup_world
from yuzhi.audit.models import AuditEvent
from yuzhi.compute import service, slurm_accounts
from yuzhi.compute.schemas import EndpointIn
from yuzhi.db import transaction
from yuzhi.errors import Forbidden, InvalidInput


def _sacctmgr_accounts(prefix: str) -> set[str]:
    out = subprocess.run(["sacctmgr", "-n", "-P", "show", "account", "format=Account"], capture_output=True,
                         text=True, check=True).stdout.split()
    return {a for a in out if a.startswith(prefix)}


def test_sync_creates_missing_unit_accounts_once_and_list_reports_them(engine, tmp_path, slurm_skip_reason):
    if slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    prefix = f"yzs{int(time.time() * 1000) % 10**7}_"
    w = setup_world(engine, tmp_path, kind="slurm", config={"unit_accounts": True, "account_prefix": prefix})
    stray = f"{prefix}other"
    subprocess.run(["sacctmgr", "-i", "add", "account", stray], capture_output=True, check=True)
    try:
        with transaction(engine) as s:
            before = slurm_accounts.listing(s, actor=w.admin, provider_id=w.provider_id)
        units = {f"{prefix}u{org}": org for org in w.unit_orgs}
        assert {(r.account, r.org_id, r.status) for r in before} == {
            *((name, org, "missing") for name, org in units.items()), (stray, None, "not a platform unit")}
        with transaction(engine) as s:
            rows = slurm_accounts.sync(s, actor=w.provider, provider_id=w.provider_id)
        assert {r.account: r.status for r in rows if r.org_id} == dict.fromkeys(units, "created")
        assert _sacctmgr_accounts(prefix) == {*units, stray}  # Slurm itself has them now
        assoc = subprocess.run(["sacctmgr", "-n", "-P", "show", "assoc", f"account={next(iter(units))}",
                                "format=User"], capture_output=True, text=True, check=True).stdout.split()
        assert any(assoc), "the worker's Unix user is associated, so jobs can be submitted under it"
        with transaction(engine) as s:
            again = slurm_accounts.sync(s, actor=w.admin, provider_id=w.provider_id)
            assert {r.status for r in again if r.org_id} == {"exists"}  # idempotent
            events = s.scalars(select(AuditEvent.after).where(AuditEvent.action == "compute.slurm_accounts.sync")
                               .order_by(AuditEvent.seq)).all()
        assert len(events) == 2
        with transaction(engine) as s, pytest.raises(Forbidden):  # a unit is not the provider's operator
            slurm_accounts.sync(s, actor=w.units[0], provider_id=w.provider_id)
    finally:
        for name in _sacctmgr_accounts(prefix):
            subprocess.run(["sacctmgr", "-i", "delete", "account", name], capture_output=True, check=False)


def test_sync_needs_per_unit_accounts_on_the_endpoint(engine, tmp_path):
    w = setup_world(engine, tmp_path, kind="local")
    with transaction(engine) as s, pytest.raises(InvalidInput, match="per-unit Slurm accounts"):
        slurm_accounts.sync(s, actor=w.admin, provider_id=w.provider_id)
    with transaction(engine) as s:
        service.connect(s, actor=w.admin, provider_id=w.provider_id,
                        endpoint_in=EndpointIn(kind="slurm", config={}))
    with transaction(engine) as s, pytest.raises(InvalidInput, match="unit_accounts=true"):
        slurm_accounts.listing(s, actor=w.admin, provider_id=w.provider_id)
