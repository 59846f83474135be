"""Periodic jobs in `yuzhi serve` run in one process at a time (leader lock per job), hand over on stop."""

from __future__ import annotations

import time

from yuzhi.db import make_engine, migrate
from yuzhi.ops import periodic


def test_a_periodic_job_runs_in_one_process_and_hands_over(fresh_url):
    migrate(fresh_url)
    engines = [make_engine(fresh_url), make_engine(fresh_url)]
    ran: list[int] = []

    def job_for(i: int) -> periodic.Job:
        return periodic.Job("ops-test-job", 0.05, lambda engine: ran.append(i))

    stops = [periodic.start(e, [job_for(i)]) for i, e in enumerate(engines)]
    try:
        time.sleep(1.0)
        assert len(ran) >= 5 and len(set(ran)) == 1, ran  # many rounds, one process
        lead = ran[0]
        stops[lead]()
        ran.clear()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not ran:
            time.sleep(0.05)
        assert ran and set(ran) == {1 - lead}  # the other took over
    finally:
        for stop in stops:
            stop()
        for e in engines:
            e.dispose()


def test_the_stale_check_job_runs_on_a_fresh_database(fresh_url):
    migrate(fresh_url)
    engine = make_engine(fresh_url)
    try:
        assert periodic.stale_check(engine) == 0
    finally:
        engine.dispose()


def test_serve_runs_the_stale_check_unless_turned_off():
    from yuzhi.config import Settings

    assert [(j.name, j.every_s) for j in periodic.serve_jobs(Settings())] == [("monitor-stale-check", 60.0),
                                                                             ("schedule-solver", 5.0)]
    assert periodic.serve_jobs(Settings(stale_check_seconds=0))[0].every_s == 0
