"""The compute worker loop: :func:`yuzhi.compute.service.tick` again and again.

Run it as its own process (``yuzhi compute worker``) or inside the web server
(:func:`start_in_thread`). Any number of restarts, and even two workers at once, are safe: the
worker keeps no state of its own, job rows are locked while a worker advances them, and every
engine call is idempotent per job token.

**Adaptive polling** (issue 20 item 7). A fixed one-second pass made a one-second job take 2.3 s
from submission to bill. The loop now waits ``min_interval`` after a pass that changed something
(a job dispatched, started or finished: more is likely to follow), then backs off geometrically
(× ``BACKOFF``) while jobs are active and nothing changes, up to ``interval``; with no active job
at all it waits ``idle_interval`` (one indexed ``SELECT`` per pass, so a new submission is
dispatched within that). Engine queries (``squeue``/``sacct``) therefore run only while jobs are
active, often while they are young, and rarely for long jobs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from yuzhi.compute import service
from yuzhi.compute.store import ArtifactStore
from yuzhi.ops.leader import Leader
from yuzhi.workflows import compute_billing as flows

log = logging.getLogger(__name__)


#: Growth of the wait between passes while active jobs do not change.
BACKOFF = 1.25


def next_wait(previous: float, report: service.TickReport | None, *, interval: float, min_interval: float,
              idle_interval: float) -> float:
    """Seconds to wait before the next pass (see the module docstring). Pure, for tests."""
    if report is None:  # the pass failed: do not hammer a broken database
        return interval
    if report.changed:
        return min(min_interval, interval)
    if not report.active:
        return min(idle_interval, interval)
    return min(max(previous, min_interval) * BACKOFF, interval)


def run(engine: Engine | None = None, *, interval: float = 1.0, stop: threading.Event | None = None,
        store: ArtifactStore | None = None,
        on_report: Callable[[service.TickReport], None] | None = None, leader: Leader | None = None,
        min_interval: float = 0.05, idle_interval: float = 0.2) -> None:
    """Pass over the active jobs until ``stop`` is set, at most ``interval`` seconds apart.

    With a ``leader`` (as ``yuzhi serve`` passes), a pass runs only while this process holds the
    lead, so of many app processes on one database exactly one dispatches at a time; the others
    take over within ``interval`` when it goes away.
    """
    from yuzhi.db import get_engine

    engine = engine or get_engine()
    store = store or service.default_store()
    stop = stop or threading.Event()
    wait = min_interval
    while not stop.is_set():
        if leader is not None and not leader.acquire():
            stop.wait(interval)
            continue
        report = None
        try:
            report = service.tick(engine, store=store, biller=flows.bill_job)
            if on_report is not None:
                on_report(report)
        except Exception as exc:  # the database itself failed: log, wait, try again
            from sqlalchemy.exc import OperationalError

            if isinstance(exc, OperationalError):  # e.g. not migrated yet, or the server is down
                log.error("compute worker: database unavailable: %s (run `yuzhi db upgrade`?)", exc.orig)
            else:
                log.exception("compute worker pass failed")
        wait = next_wait(wait, report, interval=interval, min_interval=min_interval, idle_interval=idle_interval)
        stop.wait(wait)
    if leader is not None:
        leader.release()


def start_in_thread(engine: Engine | None = None, *, interval: float = 1.0,
                    store: ArtifactStore | None = None,
                    leader: Leader | None = None) -> tuple[threading.Thread, threading.Event]:
    """Start the worker as a daemon thread (e.g. from ``yuzhi serve``); set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=run, kwargs={"engine": engine, "interval": interval, "stop": stop,
                                                  "store": store, "leader": leader},
                              name="yuzhi-compute-worker", daemon=True)
    thread.start()
    return thread, stop
