"""Ingestion, live rules with hysteresis, alarm lifecycle, tenancy, webhooks, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from yuzhi.audit.models import AuditEvent
from yuzhi.errors import Conflict, InvalidInput, NotFound
from yuzhi.monitor import rules as R
from yuzhi.monitor import service as svc
from yuzhi.monitor.models import Alarm, Sample
from yuzhi.monitor.schemas import SampleIn, SensorCreate, WebhookCreate

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def feed(session, actor, key, values, start=0, step=1):
    return svc.ingest(session, actor=actor, samples=[
        SampleIn(sensor=key, ts=at(start + i * step), value=v) for i, v in enumerate(values)])


def test_live_methane_alarms_match_file_evaluation(session, tenants):
    svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(
        key="ch4_face", unit="%", preset="methane.coal_face", period_s=60))
    values = [0.6, 1.0, 1.6, 1.2, 0.9, 0.5]
    rep = feed(session, tenants.a, "ch4_face", values)
    assert rep.accepted == 6 and rep.duplicates == 0 and len(rep.alarms_raised) == 2
    alarms = sorted(session.scalars(select(Alarm)), key=lambda a: a.id)
    got = [(a.level, a.raised_at.replace(tzinfo=UTC), a.normal_at.replace(tzinfo=UTC), a.peak) for a in alarms]
    expect = [(e.level, at(e.start_s / 60), at(e.end_s / 60), e.peak)
              for e in R.evaluate(R.PRESETS["methane.coal_face"], np.arange(6) * 60.0, values)]
    assert got == expect == [("alarm", at(1), at(4), 1.6), ("power_off", at(2), at(4), 1.6)]
    # Latched: back to normal but nobody acknowledged → still "raised", inactive.
    assert {(a.status, a.active) for a in alarms} == {("raised", False)}


def test_duplicates_late_and_missing_samples(session, tenants):
    s = svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(key="t1", period_s=60))
    feed(session, tenants.a, "t1", [1, 2, 3])
    rep = svc.ingest(session, actor=tenants.a, samples=[
        SampleIn(sensor="t1", ts=at(1), value=9),      # duplicate of a stored sample
        SampleIn(sensor="t1", ts=at(6), value=4),      # gap: minutes 3,4,5 missing
        SampleIn(sensor="t1", ts=at(6), value=5),      # duplicate inside the batch
        SampleIn(sensor="t1", ts=at(2.5), value=7),    # late (out of order): stored, no live effect
    ])
    assert (rep.accepted, rep.duplicates, rep.out_of_order, rep.missing) == (2, 2, 1, 3)
    assert session.scalar(select(func.count()).select_from(Sample)) == 5
    assert s.last_ts.replace(tzinfo=UTC) == at(6) and s.last_value == 4


def test_unknown_sensor_refuses_whole_batch(session, tenants):
    svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(key="t1"))
    with pytest.raises(InvalidInput, match="unknown sensor\\(s\\): nope"):
        svc.ingest(session, actor=tenants.a, samples=[SampleIn(sensor="t1", ts=T0, value=1),
                                                       SampleIn(sensor="nope", ts=T0, value=1)])
    assert session.scalar(select(func.count()).select_from(Sample)) == 0


def test_lifecycle_ack_clear_and_webhook(session, tenants, receiver):
    svc.create_webhook(session, actor=tenants.a, webhook_in=WebhookCreate(url=receiver.url))
    svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(key="co", preset="co.mine"))
    feed(session, tenants.a, "co", [10, 30])
    (alarm,) = session.scalars(select(Alarm))
    with pytest.raises(Conflict, match="must be acknowledged first"):
        svc.clear(session, actor=tenants.a, alarm_id=alarm.id, comment="x")
    with pytest.raises(InvalidInput, match="needs a comment"):
        svc.acknowledge(session, actor=tenants.a, alarm_id=alarm.id, comment="  ")
    svc.acknowledge(session, actor=tenants.a, alarm_id=alarm.id, comment="ventilation increased")
    with pytest.raises(Conflict, match="condition still holds"):
        svc.clear(session, actor=tenants.a, alarm_id=alarm.id, comment="done")
    feed(session, tenants.a, "co", [12], start=2)          # back to normal while acknowledged → cleared
    assert (alarm.status, alarm.active, alarm.cleared_at.replace(tzinfo=UTC)) == ("cleared", False, at(2))
    sent = svc.deliver_pending(session)
    assert [d.status for d in sent] == ["delivered"] * 3
    assert [(r["header"], r["status"]) for r in receiver.received] == [
        ("monitor.alarm.raised", "raised"), ("monitor.alarm.acknowledged", "acknowledged"),
        ("monitor.alarm.cleared", "cleared")]
    assert receiver.received[0]["value"] == 30.0 and receiver.received[0]["threshold"] == 24.0
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "monitor_alarm")
                                   .order_by(AuditEvent.seq)))
    assert actions == ["monitor.alarm.raise", "monitor.alarm.acknowledged", "monitor.alarm.cleared"]


def test_failed_webhook_is_retried_then_failed(session, tenants, receiver):
    receiver.status = 500
    svc.create_webhook(session, actor=tenants.a, webhook_in=WebhookCreate(url=receiver.url))
    svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(key="co", preset="co.mine"))
    feed(session, tenants.a, "co", [30])
    for _ in range(svc.MAX_DELIVERY_ATTEMPTS):
        (d,) = svc.deliver_pending(session)
    assert (d.status, d.attempts, d.error) == ("failed", 5, "HTTP 500")
    assert svc.deliver_pending(session) == []


def test_ack_of_alarm_already_normal_clears_it(session, tenants):
    svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(key="co", preset="co.mine"))
    feed(session, tenants.a, "co", [30, 5])
    (alarm,) = session.scalars(select(Alarm))
    svc.acknowledge(session, actor=tenants.a, alarm_id=alarm.id, comment="saw it after the fact", now=at(9))
    assert alarm.status == "cleared" and alarm.cleared_at.replace(tzinfo=UTC) == at(9)


def test_tenancy(session, tenants):
    s = svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(key="co", preset="co.mine"))
    feed(session, tenants.a, "co", [30])
    (alarm,) = session.scalars(select(Alarm))
    with pytest.raises(NotFound):
        svc.get_sensor(session, actor=tenants.b, sensor_id=s.id)
    with pytest.raises(NotFound):
        svc.acknowledge(session, actor=tenants.b, alarm_id=alarm.id, comment="not mine")
    assert svc.list_alarms(session, actor=tenants.b) == ([], 0)
    assert svc.list_alarms(session, actor=tenants.office)[1] == 1
    # Tenant b may use the same key: keys are per organisation.
    svc.create_sensor(session, actor=tenants.b, sensor_in=SensorCreate(key="co"))
    with pytest.raises(Conflict, match="already exists"):
        svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(key="co"))
    with pytest.raises(InvalidInput, match="must say which organisation"):
        svc.create_sensor(session, actor=tenants.office, sensor_in=SensorCreate(key="x"))


def test_stale_sensor_alarm_and_return(session, tenants):
    svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(key="t", period_s=60, stale_periods=3))
    feed(session, tenants.a, "t", [5.0])
    assert svc.check_stale(session, actor=tenants.a, now=at(3)) == []          # exactly 3 periods: not yet
    (stale,) = svc.check_stale(session, actor=tenants.a, now=at(3.5))
    assert (stale.level, stale.raised_at.replace(tzinfo=UTC)) == ("stale", at(3))
    assert svc.check_stale(session, actor=tenants.a, now=at(10)) == []         # no duplicate alarm
    rep = feed(session, tenants.a, "t", [5.1], start=11)
    assert rep.alarms_normal == [stale.id] and stale.active is False


def test_deadband_and_override(session, tenants):
    svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(
        key="fridge", preset="cold.pharma_2_8", deadband=0.5, overrides={"high": [7.5]}))
    feed(session, tenants.a, "fridge", [7.0, 7.6, 7.4, 7.7, 6.9])
    (alarm,) = session.scalars(select(Alarm))
    # stricter site limit 7.5, clears at ≤ 7.0 (7.5 − 0.5): 7.4 does not clear; 6.9 does.
    assert (alarm.level, alarm.raised_at.replace(tzinfo=UTC), alarm.normal_at.replace(tzinfo=UTC), alarm.peak) == (
        "high", at(1), at(4), 7.7)
    with pytest.raises(InvalidInput, match="no limit 'hot'"):
        svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(
            key="f2", preset="cold.pharma_2_8", overrides={"hot": [7.5]}))


def test_retention_and_samples_around(session, tenants):
    svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(key="co", preset="co.mine", retention_days=1))
    feed(session, tenants.a, "co", [1, 2, 30, 3], step=60)   # hourly
    (alarm,) = session.scalars(select(Alarm))
    _, traces = svc.samples_around(session, actor=tenants.a, alarm_id=alarm.id, before_s=3600, after_s=0)
    assert [v for _, v in traces["co"]] == [2.0, 30.0, 3.0]
    assert svc.purge_samples(session, now=at(60 * 3) + timedelta(days=1)) == 3   # keeps the last hour


def test_learned_model_scores_live_batches_like_the_batch_path(session, tenants):
    from yuzhi.monitor.detectors import MahalanobisDetector

    from .test_detectors import SENSORS, plant

    X, _ = plant(n=600, fault_at=400)
    det = MahalanobisDetector().fit(X[:300], SENSORS)
    _, flag, top = det.explain(X)
    first = int(np.flatnonzero(flag)[0])
    for k in SENSORS:
        svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(key=k, period_s=1))
    with pytest.raises(InvalidInput, match="not registered: ch4"):
        svc.register_model(session, actor=tenants.a, name="m",
                           model=MahalanobisDetector().fit(X[:300], ("ch4", *SENSORS[1:])))
    svc.register_model(session, actor=tenants.a, name="pump", model=det)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    raised = []
    for lo in range(0, 600, 97):                         # uneven batches: state carries over
        rep = svc.ingest(session, actor=tenants.a, samples=[
            SampleIn(sensor=k, ts=t0 + timedelta(seconds=i), value=float(X[i, j]))
            for i in range(lo, min(lo + 97, 600)) for j, k in enumerate(SENSORS)])
        raised += rep.alarms_raised
    (alarm,) = session.scalars(select(Alarm).where(Alarm.kind == "model"))
    assert raised == [alarm.id] and alarm.level == "early_warning" and alarm.active
    assert alarm.raised_at.replace(tzinfo=UTC) == t0 + timedelta(seconds=first)
    flow = svc.list_sensors(session, actor=tenants.a)[[s.key for s in svc.list_sensors(
        session, actor=tenants.a)].index(SENSORS[top[first]])]
    assert alarm.sensor_id == flow.id and SENSORS[top[first]] == "flow"
    assert "most responsible sensor flow" in alarm.message
