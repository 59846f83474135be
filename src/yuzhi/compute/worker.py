"""The compute worker loop: :func:`yuzhi.compute.service.tick` again and again.

Run it as its own process (``yuzhi compute worker``) or inside the web server
(:func:`start_in_thread`). Any number of restarts, and even two workers at once, are safe: the
worker keeps no state of its own, job rows are locked while a worker advances them, and every
engine call is idempotent per job token.
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


def run(engine: Engine | None = None, *, interval: float = 1.0, stop: threading.Event | None = None,
        store: ArtifactStore | None = None,
        on_report: Callable[[service.TickReport], None] | None = None, leader: Leader | None = None) -> None:
    """Pass over the active jobs every ``interval`` seconds until ``stop`` is set.

    With a ``leader`` (as ``yuzhi serve`` passes), a pass runs only while this process holds the
    lead, so of many app processes on one database exactly one dispatches at a time; the others
    take over within ``interval`` when it goes away.
    """
    from yuzhi.db import get_engine

    engine = engine or get_engine()
    store = store or service.default_store()
    stop = stop or threading.Event()
    while not stop.is_set():
        if leader is not None and not leader.acquire():
            stop.wait(interval)
            continue
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
        stop.wait(interval)
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
