"""Demo data for the compute network, for ``yuzhi demo`` (idempotent: safe to run every start).

Every active provider without an engine is connected to the ``local`` engine (jobs run on this
machine), publishes this machine's capacity and an open-ended rate card for the year (prices in
the range Chinese supercomputing and AI computing centres publish: about 0.1 yuan per core-hour,
12 yuan per GPU-hour, 0.01 yuan per GB-hour), every approved organisation gets a 10,000-yuan
compute budget, and a ``python`` app is registered. Then a member can submit right away:

    yuzhi compute submit --as yutong --app python -- "print('hello')"
    yuzhi compute worker
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import SYSTEM
from yuzhi.accounts.models import Organisation, OrgStatus
from yuzhi.compute import service
from yuzhi.compute.models import ComputeAccount, ComputeApp
from yuzhi.compute.schemas import AppIn, BudgetIn, CapacityIn, EndpointIn, RateCardIn
from yuzhi.providers.models import Provider, ProviderStatus


def _memory_gb() -> int:
    try:
        return max(1, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**30)
    except (ValueError, OSError, AttributeError):
        return 4


def seed(session: Session, *, home: Path, year: int | None = None, budget_fen: int = 1_000_000) -> int:
    """Seed the compute network; returns how many providers were connected now."""
    year = year or date.today().year
    cores, mem = os.cpu_count() or 1, _memory_gb()
    connected = 0
    for i, p in enumerate(session.scalars(select(Provider).order_by(Provider.id))):
        if p.status != ProviderStatus.ACTIVE or service.get_endpoint(session, provider_id=p.id) is not None:
            continue
        service.connect(session, actor=SYSTEM, provider_id=p.id, endpoint_in=EndpointIn(
            kind="local", config={"state_dir": str(home / "local-jobs")}))
        service.publish_capacity(session, actor=SYSTEM, provider_id=p.id, capacity_in=CapacityIn(
            nodes=1, cores=cores, memory_gb=mem, max_cpus_per_job=cores, max_mem_mb_per_job=mem * 1024,
            max_time_limit_s=86400))
        if not service.rate_cards(session, provider_id=p.id):
            service.publish_rate_card(session, actor=SYSTEM, provider_id=p.id, card_in=RateCardIn(
                core_hour_fen=10 + 2 * i, gpu_hour_fen=1200 + 100 * i, mem_gb_hour_fen=1,
                valid_from=date(year, 1, 1), failed_policy="free" if i % 2 else "charged"))
        connected += 1
    for org in session.scalars(select(Organisation).where(Organisation.status == OrgStatus.APPROVED)):
        if session.scalar(select(ComputeAccount.id).where(ComputeAccount.org_id == org.id)) is None:
            service.set_budget(session, actor=SYSTEM, org_id=org.id, budget_in=BudgetIn(budget_fen=budget_fen))
    if session.scalar(select(ComputeApp.id).where(ComputeApp.name == "python")) is None:
        service.register_app(session, actor=SYSTEM, app_in=AppIn(
            name="python", argv=["{python}", "-c"], description="run a Python snippet (demo)"))
    session.flush()
    return connected
