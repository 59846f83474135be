"""Periodic jobs that must run once across all ``yuzhi serve`` processes and hosts (issue 14 item 2).

Each job has its own leader lock (``yuzhi.ops.leader``): every server runs the thread, only the
holder of the lock does the work, and when it dies another takes over at its next round. The jobs
themselves are idempotent (a stale-sensor check skips a sensor whose stale alarm is open), so even a
hand-over overlap cannot raise an alarm twice.

Today: the stale-sensor check (``YUZHI_STALE_CHECK_SECONDS``, the same work as
``yuzhi monitor stale-check``) and the schedule solver's safety net (``yuzhi.schedule.jobs``: queued
solves nobody ran, every 5 s). Year close stays an office decision (``yuzhi vouchers close-year``);
audit anchoring has its own thread (``yuzhi.audit.service.start_anchoring``) under the same kind of lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from yuzhi.ops.leader import Leader

log = logging.getLogger("yuzhi.ops")


@dataclass(frozen=True)
class Job:
    name: str  # also the leader lock's name
    every_s: float
    run: Callable[[Engine], object]


def stale_check(engine: Engine) -> int:
    """Raise stale-sensor alarms and deliver pending notifications (``yuzhi monitor stale-check``)."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import session_factory
    from yuzhi.monitor import service

    sm = session_factory(engine)
    with sm() as s, s.begin():
        raised = service.check_stale(s, actor=SYSTEM)
    with sm() as s, s.begin():
        service.deliver_pending(s)
    return len(raised)


def schedule_solver(engine: Engine) -> int:
    """Run solves left queued (their upload's process stopped first) and fail those whose process died."""
    from yuzhi.schedule import jobs

    return jobs.run_pending(engine)


def start(engine: Engine, jobs: list[Job]) -> Callable[[], None]:
    """One daemon thread per job; returns a function that stops them and gives their leads back."""
    stop = threading.Event()
    threads = []

    def loop(job: Job) -> None:
        leader = Leader(engine, job.name)
        try:
            while not stop.wait(job.every_s):
                try:
                    if leader.acquire():
                        job.run(engine)
                except Exception as exc:  # keep the schedule; the next round retries
                    log.error("periodic job %s failed: %s", job.name, exc)
        finally:
            leader.release()

    for job in jobs:
        if job.every_s > 0:
            t = threading.Thread(target=loop, args=(job,), name=f"yuzhi-{job.name}", daemon=True)
            t.start()
            threads.append(t)

    def stopper() -> None:
        stop.set()
        for t in threads:
            t.join(10)

    return stopper


def serve_jobs(settings) -> list[Job]:
    """The periodic jobs ``yuzhi serve`` runs, from the settings."""
    return [Job("monitor-stale-check", float(settings.stale_check_seconds), stale_check),
            Job("schedule-solver", 5.0, schedule_solver)]
