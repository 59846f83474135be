"""Demo data for the monitoring pages: a coal face whose fan weakens, and a frozen-food cold room.

``load_monitor_demo(session, orgs)`` is meant to be called from the platform demo loader
(``yuzhi demo``); it is idempotent (it does nothing when the mine's ``ch4_face`` sensor exists)
and goes through the same services as the API, so every alarm is in the audit chain.

The coal face (one sample a minute, 3 h, ending at the current minute): the local fan weakens from
minute 80 and is repaired at minute 140. A learned model fitted on the first hour raises its early
warning at about minute 88 on the fan current; the statutory methane alarm follows at minute 104,
power-off at 120, restoration below 1.0 % at 147. The cold room (every 5 minutes, 12 h) has a
door left open for 40 minutes: a frozen-food excursion above −18 °C with its peak and duration.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import SYSTEM, Actor
from yuzhi.monitor import service
from yuzhi.monitor.models import Alarm, Sensor
from yuzhi.monitor.schemas import SampleIn, SensorCreate

MINE = "平煤神马集团智能矿山有限公司"
COLD = "牧原食品股份有限公司"


def coal_face_scenario(seed: int = 7) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Seconds since start and the four traces (keys: ``ch4_face``, ``airflow``, ``co``, ``fan``)."""
    rng = np.random.default_rng(seed)
    t = np.arange(180) * 60.0
    m = np.arange(180)
    air = 2.2 + 0.05 * rng.normal(size=180)
    air[80:140] -= np.minimum((m[80:140] - 80) * 0.03, 1.2)
    ch4 = 0.45 + 0.04 * rng.normal(size=180)
    deficit = np.clip(2.2 - air, 0, None)
    ch4 += np.convolve(deficit, np.ones(15) / 15, mode="full")[:180]
    co = 6 + 0.5 * rng.normal(size=180) + 2 * deficit
    fan = 38 + 0.4 * rng.normal(size=180)
    fan[80:140] -= np.minimum((m[80:140] - 80) * 0.25, 8)
    return t, {"ch4_face": ch4, "airflow": air, "co": co, "fan": fan}


def cold_room_scenario(seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since start and a freezer temperature every 5 minutes for 12 h (door open 40 min)."""
    rng = np.random.default_rng(seed)
    t = np.arange(144) * 300.0
    temp = -21 + 0.3 * rng.normal(size=144)
    temp[70:78] += np.linspace(1, 6, 8)
    temp[78:84] += np.linspace(5, 0.5, 6)
    return t, temp


def load_monitor_demo(session: Session, orgs: Mapping[str, object], actor: Actor = SYSTEM,
                      now: datetime | None = None) -> None:
    """Sensors, samples, a live learned model and alarms for the mine and the food company."""
    from yuzhi.monitor.detectors import MahalanobisDetector

    mine = orgs.get(MINE)
    if mine is None:
        return
    mine_id = mine.id  # type: ignore[attr-defined]
    if session.scalar(select(Sensor.id).where(Sensor.org_id == mine_id, Sensor.key == "ch4_face")):
        return
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    t, series = coal_face_scenario()
    start = now - timedelta(seconds=float(t[-1]))
    meta = {"ch4_face": ("采煤工作面甲烷 CH4", "%", "methane.coal_face"), "airflow": ("工作面风速", "m/s", None),
            "co": ("一氧化碳 CO", "ppm", "co.mine"), "fan": ("局部通风机电流", "A", None)}
    for key, (name, unit, preset) in meta.items():
        service.create_sensor(session, actor=actor, sensor_in=SensorCreate(
            key=key, name=name, unit=unit, preset=preset, period_s=60, org_id=mine_id))
    X = np.column_stack([series[k] for k in meta])
    model = MahalanobisDetector().fit(X[:60], list(meta))
    service.register_model(session, actor=actor, name="局部通风机 early warning", model=model, org_id=mine_id)
    for lo in range(0, len(t), 30):  # in batches, as a monitoring host would push them
        service.ingest(session, actor=actor, org_id=mine_id, source="demo", samples=[
            SampleIn.model_construct(sensor=k, ts=start + timedelta(seconds=float(t[i])), value=float(series[k][i]))
            for i in range(lo, min(lo + 30, len(t))) for k in meta])
    first = session.scalars(select(Alarm).where(Alarm.org_id == mine_id, Alarm.level == "alarm")).first()
    if first is not None:
        service.acknowledge(session, actor=actor, alarm_id=first.id, now=now,
                            comment="局部通风机叶轮积尘，已停机清理并恢复供风；瓦斯检查员复测 0.46%")

    cold = orgs.get(COLD)
    if cold is None:
        return
    tc, temp = cold_room_scenario()
    cstart = now - timedelta(seconds=float(tc[-1]))
    service.create_sensor(session, actor=actor, sensor_in=SensorCreate(
        key="freezer_1", name="1号冷冻库", unit="°C", preset="cold.frozen", deadband=0.5, period_s=300,
        org_id=cold.id))  # type: ignore[attr-defined]
    service.ingest(session, actor=actor, org_id=cold.id, source="demo", samples=[  # type: ignore[attr-defined]
        SampleIn.model_construct(sensor="freezer_1", ts=cstart + timedelta(seconds=float(s)), value=float(v))
        for s, v in zip(tc, temp, strict=True)])
