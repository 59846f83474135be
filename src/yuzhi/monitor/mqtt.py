"""MQTT subscription: how plants actually publish sensor readings.

Topic and payload conventions (one organisation per subscription)::

    <prefix>/<anything>/<sensor_key>   payload  12.5
                                       payload  {"value": 12.5, "ts": "2026-03-01T08:00:00Z"}
    <prefix>/<anything>/<group>        payload  {"ts": "...", "ch4_face": 0.62, "co_face": 8}

A bare number is stamped with the receive time (UTC). A JSON object with ``value`` is one
sample of the topic's last level; any other object is one sample per numeric field (``ts`` /
``timestamp`` / ``time`` excluded). Unreadable messages are counted and logged, never raised:
one bad publisher must not stop the subscription.

Messages are buffered and ingested in small batches (``batch_s``), each batch in one database
transaction through :func:`yuzhi.monitor.service.ingest`, after which pending webhooks are
delivered. Batches that fail (an unregistered sensor key) are counted with the error kept.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from yuzhi.accounts.actor import SYSTEM, Actor
from yuzhi.errors import DomainError
from yuzhi.monitor.schemas import SampleIn

log = logging.getLogger(__name__)
TIME_KEYS = ("ts", "timestamp", "time", "datetime")


def parse_message(topic: str, payload: bytes, *, received_at: datetime) -> list[SampleIn]:
    """Samples carried by one MQTT message (see the module docstring for the formats)."""
    text = payload.decode("utf-8").strip()
    leaf = topic.rstrip("/").rsplit("/", 1)[-1]
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"topic {topic}: payload is neither a number nor JSON: {text[:60]!r}") from exc
    if isinstance(obj, bool):
        raise ValueError(f"topic {topic}: boolean payload")
    if isinstance(obj, int | float):
        return [SampleIn(sensor=leaf, ts=received_at, value=float(obj))]
    if not isinstance(obj, dict):
        raise ValueError(f"topic {topic}: JSON payload must be a number or an object")
    ts_raw = next((obj[k] for k in TIME_KEYS if k in obj), None)
    ts = received_at if ts_raw is None else ts_raw
    if "value" in obj:
        return [SampleIn(sensor=str(obj.get("sensor", leaf)), ts=ts, value=obj["value"])]
    out = [SampleIn(sensor=k, ts=ts, value=v) for k, v in obj.items()
           if k not in TIME_KEYS and isinstance(v, int | float) and not isinstance(v, bool)]
    if not out:
        raise ValueError(f"topic {topic}: JSON object has no numeric field")
    return out


@dataclass
class IngestStats:
    messages: int = 0
    samples: int = 0
    accepted: int = 0
    duplicates: int = 0
    bad_messages: int = 0
    failed_batches: int = 0
    alarms_raised: list[int] = field(default_factory=list)
    last_error: str = ""


class MqttIngestor:
    """Subscribe to ``topic`` on a broker and ingest everything into ``org_id``'s sensors.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Database to write to (each batch is one transaction).
    org_id : int
        Tenant that owns the sensors.
    topic : str
        Subscription filter, e.g. ``plant/+/+`` or ``mine3/#``.
    host, port : str, int
        Broker address (Mosquitto on 127.0.0.1:1883 by default).
    batch_s : float
        How long messages are buffered before one ingest transaction.
    actor : Actor
        Who the audit trail names (the system by default).
    """

    def __init__(self, *, engine: Engine, org_id: int, topic: str, host: str = "127.0.0.1", port: int = 1883,
                 batch_s: float = 0.2, qos: int = 1, actor: Actor = SYSTEM, deliver_webhooks: bool = True) -> None:
        self.engine = engine
        self.org_id = org_id
        self.topic = topic
        self.host = host
        self.port = port
        self.batch_s = batch_s
        self.qos = qos
        self.actor = actor
        self.deliver_webhooks = deliver_webhooks
        self.stats = IngestStats()
        self._queue: queue.Queue[SampleIn] = queue.Queue()
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._worker: threading.Thread | None = None
        self._client: Any = None  # a paho Client once connected (paho is imported on connect)

    # paho callbacks (network thread)
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        client.subscribe(self.topic, qos=self.qos)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        self._subscribed.set()

    def _on_message(self, client, userdata, msg):
        self.stats.messages += 1
        try:
            for s in parse_message(msg.topic, msg.payload, received_at=datetime.now(UTC)):
                self._queue.put(s)
        except (ValueError, TypeError) as exc:
            self.stats.bad_messages += 1
            self.stats.last_error = str(exc)
            log.warning("monitor mqtt: %s", exc)
        except Exception as exc:  # pydantic ValidationError and friends
            self.stats.bad_messages += 1
            self.stats.last_error = f"{msg.topic}: {exc}"[:300]
            log.warning("monitor mqtt: bad message on %s: %s", msg.topic, exc)

    def start(self, timeout_s: float = 10.0) -> MqttIngestor:
        """Connect, subscribe (waits for the broker's SUBACK) and start the ingest worker."""
        import paho.mqtt.client as mqtt

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"yuzhi-monitor-{id(self):x}")
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.connect(self.host, self.port, keepalive=30)
        client.loop_start()
        self._client = client
        if not self._subscribed.wait(timeout_s):
            self.stop()
            raise DomainError(f"no SUBACK from MQTT broker {self.host}:{self.port} within {timeout_s}s",
                              field="broker", fix="check that the broker runs (mosquitto) and the address")
        self._worker = threading.Thread(target=self._run, name="monitor-mqtt-ingest", daemon=True)
        self._worker.start()
        return self

    def _drain(self) -> list[SampleIn]:
        items = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def flush(self) -> None:
        """Ingest whatever is buffered now (one transaction)."""
        from yuzhi.db import transaction
        from yuzhi.monitor import service

        items = self._drain()
        if not items:
            return
        self.stats.samples += len(items)
        try:
            with transaction(self.engine) as session:
                rep = service.ingest(session, actor=self.actor, samples=items, org_id=self.org_id, source="mqtt")
            self.stats.accepted += rep.accepted
            self.stats.duplicates += rep.duplicates
            self.stats.alarms_raised += rep.alarms_raised
        except DomainError as exc:
            self.stats.failed_batches += 1
            self.stats.last_error = str(exc)
            log.warning("monitor mqtt: batch of %d refused: %s", len(items), exc)
            return
        if self.deliver_webhooks:
            with transaction(self.engine) as session:
                service.deliver_pending(session)

    def _run(self) -> None:
        while not self._stop.is_set():
            time.sleep(self.batch_s)
            self.flush()

    def stop(self) -> None:
        """Stop the worker after a last flush and disconnect."""
        self._stop.set()
        if self._worker is not None:
            self._worker.join(timeout=10)
            self._worker = None
            self.flush()
        if self._client is not None:
            self._client.loop_stop()
            self._client.disconnect()
            self._client = None

    def __enter__(self) -> MqttIngestor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
