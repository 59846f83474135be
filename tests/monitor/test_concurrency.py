"""Concurrent ingestion of overlapping batches: every sample stored once, one alarm, no errors."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from yuzhi.db import transaction
from yuzhi.monitor import service as svc
from yuzhi.monitor.models import Alarm, Sample
from yuzhi.monitor.schemas import SampleIn, SensorCreate

from .conftest import make_tenants

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_parallel_overlapping_ingests(engine):
    with transaction(engine) as s:
        t = make_tenants(s)
        svc.create_sensor(s, actor=t.a, sensor_in=SensorCreate(key="co", preset="co.mine", period_s=1))
    values = [5.0] * 50 + [30.0] * 20 + [5.0] * 30
    samples = [SampleIn(sensor="co", ts=T0 + timedelta(seconds=i), value=v) for i, v in enumerate(values)]
    errors, reports = [], []

    def worker(part):  # type: ignore[no-untyped-def]
        try:
            with transaction(engine) as s:
                reports.append(svc.ingest(s, actor=t.a, samples=part))
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(samples[lo:lo + 60],)) for lo in (0, 20, 40)] + [
        threading.Thread(target=worker, args=(samples,))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert sum(r.accepted for r in reports) == 100
    assert sum(r.accepted + r.duplicates for r in reports) == 60 + 60 + 60 + 100
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Sample)) == 100
        assert s.scalar(select(func.count()).select_from(Alarm)) == 1
