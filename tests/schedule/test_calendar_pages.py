"""Gantt in calendar time (dates, shift times, a now line, the page's language) and re-planning from the plan page."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.schedule.conftest import make_tenants
from tests.schedule.test_service_api import TINY, _login
from yuzhi.audit.models import AuditEvent
from yuzhi.db import transaction
from yuzhi.errors import InvalidInput
from yuzhi.schedule.gantt import clock, now_units, render_html
from yuzhi.schedule.models import Plan
from yuzhi.schedule.objectives import ScheduledOp as S
from yuzhi.schedule.problem import Problem

CAL = dict(TINY, time_unit="min", plan_start="2026-12-07T08:00")  # Monday 08:00 Beijing time
OPS = [S(0, 0, 0, 0, 300), S(0, 1, 1, 300, 500), S(1, 0, 1, 0, 240), S(1, 1, 0, 300, 400)]
BJ = dt.timezone(dt.timedelta(hours=8))


def test_calendar_axis_shows_dates_shift_times_and_now():
    p = Problem.from_dict(CAL)
    assert Problem.from_dict(p.to_dict()).plan_start == "2026-12-07T08:00:00"
    start, unit = clock(p)
    assert (start.astimezone(dt.UTC).hour, unit) == (0, 60)  # naive = Beijing time
    now = dt.datetime(2026, 12, 7, 10, 30, tzinfo=BJ)
    assert now_units(p, now) == 150
    h = render_html(p, OPS, now=now)
    assert ">12-07 08:00<" in h and ">12-07 10:00<" in h and ">12-07 12:00<" in h
    assert h.count('class="now"') == 2 and "2026-12-07 10:30" in h  # one per chart, saying when in Beijing time
    assert "Beijing time" in h and "2026-12-07 08:00" in h
    # now outside the plan: no line
    assert 'class="now"' not in render_html(p, OPS, now=now + dt.timedelta(days=3))


def test_without_calendar_the_axis_counts_units_and_says_so():
    p = Problem.from_dict(dict(TINY, time_unit="min"))
    assert clock(p) is None and now_units(p) is None
    h = render_html(p, OPS)
    assert "from the plan start" in h and "[min]" in h
    assert 'class="now"' not in h and ">100<" in h


def test_labels_follow_the_translator():
    zh = {"Machines": "设备", "Orders": "订单", "Gantt chart": "甘特图"}
    h = render_html(Problem.from_dict(CAL), OPS, tr=lambda k: zh.get(k, k), lang="zh")
    assert "<h2>设备</h2>" in h and "<h2>订单</h2>" in h and 'lang="zh"' in h
    assert "Machines 设备" not in render_html(Problem.from_dict(CAL), OPS, tr=lambda k: k)
    assert "Machines 设备" in render_html(Problem.from_dict(CAL), OPS)  # the CLI's file stays bilingual


def test_bad_plan_start_is_refused():
    with pytest.raises(InvalidInput) as e:
        Problem.from_dict(dict(TINY, plan_start="next monday"))
    assert e.value.field == "plan_start"


def _plans(engine) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Plan)))


def test_replan_from_the_plan_page(client, engine):
    with transaction(engine) as s:
        make_tenants(s)
    a, b = _login(client, "plan0"), _login(client, "plan1")
    r = client.post("/api/schedule/plans/json", headers=a, json=CAL, params={"name": "cal"})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    page = client.get(f"/schedule/plans/{pid}", headers=a)
    assert f'action="/schedule/plans/{pid}/replan"' in page.text and "<script>" not in page.text
    gz = client.get(f"/schedule/plans/{pid}/gantt?lang=zh", headers=a).text
    assert "<h2>设备</h2>" in gz and "Machines" not in gz and "北京时间" in gz and "<th>利用率</th>" in gz
    assert not any(w in gz for w in (">machine<", ">utilisation<", "makespan", ">tardiness<"))
    assert "<h2>Machines</h2>" in client.get(f"/schedule/plans/{pid}/gantt?lang=en", headers=a).text
    n = _plans(engine)
    # bad input: a specific error on the page, nothing stored
    r = client.post(
        f"/schedule/plans/{pid}/replan", headers=a, data={"at": "0", "down_machine": "0", "down_from": "soon"}
    )
    assert r.status_code == 422 and 'data-testid="error"' in r.text and _plans(engine) == n
    r = client.post(f"/schedule/plans/{pid}/replan", headers=a, data={"at": "1"})
    assert r.status_code == 422 and _plans(engine) == n  # nothing changed → say what changed
    # another tenant cannot re-plan it
    r = client.post(
        f"/schedule/plans/{pid}/replan",
        headers=b,
        data={"at": "1", "down_machine": "1", "down_from": "0", "down_to": "5"},
    )
    assert r.status_code == 404 and _plans(engine) == n
    # machine 1 ("M1") down 2026-12-07 08:01–08:06 (date-times in Beijing time) + a rush order
    r = client.post(
        f"/schedule/plans/{pid}/replan",
        headers=a,
        data={
            "at": "1",
            "down_machine": "1",
            "down_from": "2026-12-07 08:01",
            "down_to": "2026-12-07 08:06",
            "rush_name": "RUSH",
            "rush_machine": "0",
            "rush_duration": "2",
            "rush_due": "8",
            "time_limit": "5",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/schedule/jobs/"), r.text  # a background job
    done = client.get(r.headers["location"], headers=a, follow_redirects=False)  # …that became the new plan
    assert done.status_code == 303, done.text
    new = int(done.headers["location"].rsplit("/", 1)[1])
    body = client.get(f"/api/schedule/plans/{new}", headers=a).json()
    assert body["n_orders"] == 3 and body["schedule"]["rescheduled_from"] == pid
    m1 = [(o["start"], o["end"]) for o in body["schedule"]["operations"] if o["machine"] == 1]
    # B's first operation started at 0 on M1 and runs [0, 4): the outage follows it, nothing else overlaps it
    assert all(e <= 4 or s >= 9 for s, e in m1), m1
    assert client.get(f"/schedule/plans/{new}", headers=a).text.count('data-testid="replanned-from"') == 1
    with transaction(engine) as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "schedule.plan.replan")).all()
        assert [e.entity_id for e in ev] == [str(new)]
