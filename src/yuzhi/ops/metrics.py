"""Prometheus metrics: HTTP requests and latency, bill group-commit batch sizes, and the state of the
books read from the database at scrape time (bills, compute jobs, audit chain, alarms).

Per-process counters go through ``prometheus_client``; with several web workers
(``yuzhi serve --workers N``) the server sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers start,
and a scrape of any worker adds up every worker's files. Figures that live in the database are
counted at scrape time, so every process reports the same truth without sharing memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text

REQUESTS = Counter("yuzhi_http_requests", "HTTP requests by method, route template and status",
                   ["method", "route", "status"])
LATENCY = Histogram("yuzhi_http_request_duration_seconds", "HTTP request latency by route template",
                    ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
BILL_BATCH = Histogram("yuzhi_bill_group_commit_batch_size", "bills written per group-commit transaction",
                       buckets=(1, 2, 4, 8, 16, 32, 64, 128, 200))
BILLS_COMMITTED = Counter("yuzhi_bill_group_commit_bills", "bills written through the bill desk")


def observe_bill_batch(size: int) -> None:
    """Called by the bill desk after each committed group-commit transaction."""
    BILL_BATCH.observe(size)
    BILLS_COMMITTED.inc(size)


_DB_QUERIES = {
    "bills": "SELECT kind, count(*) FROM voucher_bills GROUP BY kind",
    "jobs": "SELECT status, count(*) FROM compute_jobs GROUP BY status",
    "audit": "SELECT count(*), count(DISTINCT chain) FROM audit_events",
    "alarms": "SELECT kind, status, count(*) FROM monitor_alarms WHERE active = :t GROUP BY kind, status",
}


class DatabaseCollector(Collector):
    """Gauges counted in the database at scrape time (each query guarded: a missing table or a
    database outage yields ``yuzhi_database_up 0``, not a failed scrape)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("yuzhi_database_up", "1 when the database answered this scrape")
        bills = GaugeMetricFamily("yuzhi_bills_recorded", "bills and credit notes on file", labels=["kind"])
        jobs = GaugeMetricFamily("yuzhi_compute_jobs", "compute jobs by state", labels=["status"])
        audit = GaugeMetricFamily("yuzhi_audit_events", "length of the audit log (all chains)")
        chains = GaugeMetricFamily("yuzhi_audit_chains", "number of audit chains (one per tenant)")
        alarms = GaugeMetricFamily("yuzhi_alarms_active", "active monitoring alarms", labels=["kind", "status"])
        try:
            with self.engine.connect() as conn:
                for kind, n in conn.execute(text(_DB_QUERIES["bills"])):
                    bills.add_metric([str(kind)], n)
                for status, n in conn.execute(text(_DB_QUERIES["jobs"])):
                    jobs.add_metric([str(status)], n)
                n_events, n_chains = conn.execute(text(_DB_QUERIES["audit"])).one()
                audit.add_metric([], n_events)
                chains.add_metric([], n_chains)
                for kind, status, n in conn.execute(text(_DB_QUERIES["alarms"]), {"t": True}):
                    alarms.add_metric([str(kind), str(status)], n)
                conn.rollback()
            up.add_metric([], 1)
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        yield from (up, bills, jobs, audit, chains, alarms)


def render(engine: Engine) -> tuple[bytes, str]:
    """The exposition text for one scrape: this process's (or all workers') metrics + the database's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (REQUESTS, LATENCY, BILL_BATCH, BILLS_COMMITTED):
            registry.register(metric)
    registry.register(DatabaseCollector(engine))
    return generate_latest(registry), CONTENT_TYPE_LATEST
