"""Scheduling fixtures: the shared benchmark instances (skipped when the data folder is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from yuzhi.config import shared_data_dir
from yuzhi.schedule.problem import Problem


@pytest.fixture(scope="session")
def sched_data() -> Path:
    d = shared_data_dir() / "scheduling"
    if not d.is_dir():
        pytest.skip(f"shared scheduling data not found at {d} (present in CI)")
    return d


def jobshop(*jobs: list[tuple[int, int]], n_machines: int | None = None, **extra) -> Problem:
    """A job shop from lists of (machine, duration) per job."""
    m = n_machines or 1 + max(mm for job in jobs for mm, _ in job)
    return Problem.from_dict(
        {
            "machines": m,
            "jobs": [{"operations": [{"modes": [[mm, d]]} for mm, d in job]} for job in jobs],
            **extra,
        }
    )


def make_tenants(session):  # type: ignore[no-untyped-def]
    """Office admin ``sadmin``; members ``plan0`` (tenant a) and ``plan1`` (tenant b), via the real services."""
    from tests.factories import PASSWORD, code
    from yuzhi.accounts import service as accounts
    from yuzhi.accounts.actor import SYSTEM, Role
    from yuzhi.accounts.models import OrgKind
    from yuzhi.accounts.schemas import OrgCreate, UserCreate

    admin = accounts.actor_for(
        accounts.create_user(
            session,
            actor=SYSTEM,
            user_in=UserCreate(username="sadmin", password=PASSWORD, role=Role.OFFICE_ADMIN.value),
        )
    )
    members = []
    for i, name in enumerate(("宇通测试工厂", "中原测试机械")):
        org = accounts.register_org(
            session,
            actor=SYSTEM,
            org_in=OrgCreate(uscc=code(700 + i), name=name, kind=OrgKind.ENTERPRISE, industry="装备制造"),
        )
        accounts.decide_org(session, actor=admin, org_id=org.id, approve=True)
        u = accounts.create_user(
            session,
            actor=SYSTEM,
            user_in=UserCreate(username=f"plan{i}", password=PASSWORD, role=Role.MEMBER.value, org_id=org.id),
        )
        members.append(accounts.actor_for(u))
    session.flush()
    return admin, members[0], members[1]
