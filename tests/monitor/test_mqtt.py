"""MQTT ingestion against the real Mosquitto broker on 127.0.0.1:1883 (``.ci/setup-mosquitto.sh``)."""

from __future__ import annotations

import json
import socket
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from yuzhi.monitor import service as svc
from yuzhi.monitor.models import Alarm, Sample
from yuzhi.monitor.mqtt import MqttIngestor, parse_message
from yuzhi.monitor.schemas import SensorCreate

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def broker_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=1):
            return True
    except OSError:
        return False


def test_parse_message_formats():
    assert [(s.sensor, s.ts, s.value) for s in parse_message("m/3/ch4", b"0.62", received_at=NOW)] == [
        ("ch4", NOW, 0.62)]
    (s,) = parse_message("m/3/ch4", b'{"value": 1.1, "ts": "2026-03-01T09:00:00+08:00"}', received_at=NOW)
    assert (s.sensor, s.ts, s.value) == ("ch4", datetime(2026, 3, 1, 1, 0, tzinfo=UTC), 1.1)
    many = parse_message("m/3/group", b'{"ts": "2026-03-01T08:00:00Z", "ch4": 0.5, "co": 7, "note": "x"}',
                         received_at=NOW)
    assert sorted((s.sensor, s.value) for s in many) == [("ch4", 0.5), ("co", 7.0)]
    with pytest.raises(ValueError, match="neither a number nor JSON"):
        parse_message("m/3/ch4", b"high!", received_at=NOW)
    with pytest.raises(ValueError, match="no numeric field"):
        parse_message("m/3/ch4", b'{"note": "x"}', received_at=NOW)


@pytest.mark.skipif(not broker_up(), reason="no MQTT broker on 127.0.0.1:1883; run .ci/setup-mosquitto.sh")
def test_mqtt_subscription_ingests_and_alarms(engine, session, tenants):
    import paho.mqtt.client as mqtt

    svc.create_sensor(session, actor=tenants.a, sensor_in=SensorCreate(key="ch4_face", preset="methane.coal_face"))
    session.commit()
    prefix = f"yuzhi-test/{uuid.uuid4().hex}"
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.connect("127.0.0.1", 1883)
    pub.loop_start()
    with MqttIngestor(engine=engine, org_id=tenants.a.org_id, topic=f"{prefix}/#", batch_s=0.05) as ing:
        for i, v in enumerate([0.4, 0.8, 1.2, 1.7, 0.9]):
            ts = f"2026-03-01T08:0{i}:00Z"
            pub.publish(f"{prefix}/face/ch4_face", json.dumps({"ts": ts, "value": v}), qos=1).wait_for_publish(5)
        pub.publish(f"{prefix}/face/ch4_face", json.dumps({"ts": "2026-03-01T08:01:00Z", "value": 0.8}),
                    qos=1).wait_for_publish(5)                         # duplicate
        pub.publish(f"{prefix}/face/ch4_face", b"garbage", qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and ing.stats.accepted + ing.stats.duplicates < 6:
            time.sleep(0.05)
    pub.loop_stop()
    pub.disconnect()
    assert (ing.stats.accepted, ing.stats.duplicates, ing.stats.bad_messages) == (5, 1, 1)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Sample)) == 5
    levels = sorted((a.level, a.active) for a in session.scalars(select(Alarm)))
    assert levels == [("alarm", False), ("power_off", False)]   # raised at 1.2 / 1.7, normal at 0.9
