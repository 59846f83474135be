"""The monitoring demo data: idempotent, and the alarms the docs describe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.factories import code
from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import SYSTEM
from yuzhi.accounts.models import OrgKind
from yuzhi.accounts.schemas import OrgCreate
from yuzhi.monitor.demo import COLD, MINE, load_monitor_demo
from yuzhi.monitor.models import Alarm, Sample

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_demo_alarms_and_idempotence(session):
    orgs = {}
    for i, name in enumerate((MINE, COLD)):
        orgs[name] = accounts.register_org(session, actor=SYSTEM, org_in=OrgCreate(
            uscc=code(700 + i), name=name, kind=OrgKind.ENTERPRISE, industry="能源"))
    load_monitor_demo(session, orgs, now=NOW)
    start = NOW - timedelta(minutes=179)
    alarms = {(a.org_id, a.kind, a.level): a for a in session.scalars(select(Alarm))}
    mine, cold = orgs[MINE].id, orgs[COLD].id
    ch4 = alarms[(mine, "rule", "alarm")]
    assert (ch4.raised_at.replace(tzinfo=UTC) - start, ch4.normal_at.replace(tzinfo=UTC) - start) == (
        timedelta(minutes=104), timedelta(minutes=147))
    assert ch4.status == "cleared" and "局部通风机" in ch4.ack_comment
    power = alarms[(mine, "rule", "power_off")]
    assert (power.status, power.active) == ("raised", False)
    warn = alarms[(mine, "model", "early_warning")]
    assert warn.raised_at.replace(tzinfo=UTC) - start == timedelta(minutes=88)
    assert "most responsible sensor fan" in warn.message
    freezer = alarms[(cold, "rule", "high")]
    assert freezer.peak > -18 and freezer.normal_at > freezer.raised_at
    n = session.scalar(select(func.count()).select_from(Sample))
    assert n == 180 * 4 + 144
    load_monitor_demo(session, orgs, now=NOW)
    assert session.scalar(select(func.count()).select_from(Sample)) == n
