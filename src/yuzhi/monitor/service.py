"""Monitoring services: sensors, ingestion, live rule evaluation, alarm lifecycle, webhooks.

Keyword-only functions taking ``session``; none of them commits (the caller owns the
transaction). Every write records an audit event in the same transaction.

Ingestion (file, HTTP or MQTT all end in :func:`ingest`):

* duplicates — a (sensor, timestamp) already stored or repeated in the batch — are skipped and
  counted;
* samples older than the sensor's newest stored sample are *late*: stored (so history is
  complete) and counted as out-of-order, but they do not drive the live alarm state, because an
  alarm that was never raised at the time cannot be raised retroactively without confusing
  operators (``yuzhi monitor rules`` re-evaluates a whole file when an audit needs it);
* gaps longer than 1.5 sampling periods are counted as missing samples; a sensor silent for
  ``stale_periods`` periods gets a *stale* alarm from :func:`check_stale`.

Live rules use the same :class:`~yuzhi.monitor.rules.Limit` hysteresis as the file evaluation,
so a file replayed through ``ingest`` raises exactly the events ``rules.evaluate`` lists.
"""

from __future__ import annotations

import ipaddress
import math
import socket
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, Table, delete, func, select
from sqlalchemy.orm import Session

from yuzhi.accounts import tenancy
from yuzhi.accounts.actor import Actor
from yuzhi.audit import service as audit
from yuzhi.config import get_settings
from yuzhi.db import utcnow
from yuzhi.errors import Conflict, InvalidInput, NotFound
from yuzhi.monitor import rules as R
from yuzhi.monitor.io import SensorTable
from yuzhi.monitor.models import (
    Alarm,
    AlarmStatus,
    Contact,
    Delivery,
    LearnedModel,
    Notification,
    Sample,
    Sensor,
    Webhook,
)
from yuzhi.monitor.schemas import IngestReport, SampleIn, SensorCreate, WebhookCreate

MAX_DELIVERY_ATTEMPTS = 5


def _snap(sensor: Sensor) -> dict[str, object]:
    return {"key": sensor.key, "preset": sensor.preset, "overrides": sensor.overrides,
            "deadband": sensor.deadband, "period_s": sensor.period_s,
            "stale_periods": sensor.stale_periods, "retention_days": sensor.retention_days}


def _alarm_snap(a: Alarm) -> dict[str, object]:
    return {"status": a.status, "active": a.active, "level": a.level, "kind": a.kind,
            "ack_comment": a.ack_comment, "clear_comment": a.clear_comment}


# --------------------------------------------------------------------------- sensors


def effective_preset(sensor: Sensor) -> R.Preset | None:
    """The sensor's preset with its dead band and site overrides applied."""
    if not sensor.preset:
        return None
    p = R.get_preset(sensor.preset)
    for level, pair in (sensor.overrides or {}).items():
        if not 1 <= len(pair) <= 2:
            raise InvalidInput(f"override for {level!r} must be [on] or [on, off]", field="overrides",
                               key="override_shape", params={"level": level})
        p = p.with_limit(level, on=pair[0], off=pair[1] if len(pair) == 2 else None)
    if sensor.deadband:
        p = p.with_deadband(sensor.deadband)
    return p


def create_sensor(session: Session, *, actor: Actor, sensor_in: SensorCreate) -> Sensor:
    """Register a sensor (its key must be unique within the organisation)."""
    org_id = tenancy.org_for_write(actor, sensor_in.org_id)
    if sensor_in.preset:
        R.get_preset(sensor_in.preset)
    exists = session.scalar(select(Sensor.id).where(Sensor.org_id == org_id, Sensor.key == sensor_in.key))
    if exists:
        raise Conflict(f"sensor {sensor_in.key!r} already exists", field="key", fix="choose another key",
                       key="sensor_exists", params={"key": sensor_in.key})
    sensor = Sensor(org_id=org_id, **sensor_in.model_dump(exclude={"org_id"}), active_levels=[])
    effective_preset(sensor)  # validates overrides against the preset's levels
    session.add(sensor)
    session.flush()
    audit.record(session, actor=actor, action="monitor.sensor.create", entity="monitor_sensor",
                 entity_id=sensor.id, after=_snap(sensor), org_id=org_id)
    return sensor


def get_sensor(session: Session, *, actor: Actor, sensor_id: int) -> Sensor:
    sensor = session.get(Sensor, sensor_id)
    if sensor is None or not tenancy.can_see(actor, sensor.org_id):
        raise NotFound(f"sensor {sensor_id} not found", field="sensor_id",
                       key="sensor_not_found", params={"id": sensor_id})
    return sensor


def list_sensors(session: Session, *, actor: Actor, org_id: int | None = None) -> list[Sensor]:
    stmt = tenancy.scope(select(Sensor), Sensor, actor).order_by(Sensor.org_id, Sensor.key)
    if org_id is not None:
        stmt = stmt.where(Sensor.org_id == org_id)
    return list(session.scalars(stmt))


# --------------------------------------------------------------------------- ingestion


def _as_utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def ingest(session: Session, *, actor: Actor, samples: Sequence[SampleIn], org_id: int | None = None,
           source: str = "api") -> IngestReport:
    """Store samples, evaluate the live rules and raise / return-to-normal alarms.

    Raises
    ------
    InvalidInput
        An unknown sensor key (nothing is stored: the whole batch is refused).
    """
    org = tenancy.org_for_write(actor, org_id)
    keys = sorted({s.sensor for s in samples})
    # FOR UPDATE (PostgreSQL; SQLite writers are serial already): concurrent ingests of the same
    # sensors (MQTT and HTTP at once) queue here, so dedupe and the live alarm state stay exact.
    sensors = {s.key: s for s in session.scalars(
        select(Sensor).where(Sensor.org_id == org, Sensor.key.in_(keys)).order_by(Sensor.id).with_for_update())}
    unknown = [k for k in keys if k not in sensors]
    if unknown:
        raise InvalidInput(f"unknown sensor(s): {', '.join(unknown)}", field="sensor",
                           fix="register them first (POST /api/monitor/sensors or `yuzhi monitor sensor add`)",
                           key="sensors_unknown", params={"keys": ", ".join(unknown)})
    by_sensor: dict[str, list[SampleIn]] = defaultdict(list)
    for s in samples:
        if s.value is not None and not math.isfinite(s.value):
            raise InvalidInput(f"sensor {s.sensor} at {s.ts.isoformat()}: value must be finite", field="value",
                               key="reading_not_finite", params={"sensor": s.sensor, "ts": s.ts})
        by_sensor[s.sensor].append(s)
    report = IngestReport()
    live: dict[datetime, dict[str, float]] = defaultdict(dict)
    for key in keys:
        _ingest_sensor(session, actor, sensors[key], by_sensor[key], report, live)
    if live:
        _score_models(session, actor, org, live, report)
    audit.record(session, actor=actor, action="monitor.ingest", entity="monitor_samples", entity_id=org,
                 after={"source": source, "accepted": report.accepted, "duplicates": report.duplicates,
                        "out_of_order": report.out_of_order, "alarms_raised": report.alarms_raised},
                 org_id=org)
    return report


def _ingest_sensor(session: Session, actor: Actor, sensor: Sensor, items: list[SampleIn],
                   report: IngestReport, live: dict[datetime, dict[str, float]]) -> None:
    lo = min(s.ts for s in items)
    hi = max(s.ts for s in items)
    stored = {_as_utc(t) for t in session.scalars(
        select(Sample.ts).where(Sample.sensor_id == sensor.id, Sample.ts >= lo, Sample.ts <= hi))}
    report.out_of_order += _out_of_order(items, stored, _as_utc(sensor.last_ts) if sensor.last_ts else None)
    items = sorted(items, key=lambda s: s.ts)  # stable: the first of equal timestamps wins
    preset = effective_preset(sensor)
    open_alarms = {a.level: a for a in session.scalars(
        select(Alarm).where(Alarm.sensor_id == sensor.id, Alarm.active.is_(True),
                            Alarm.kind.in_(("rule", "stale"))))}
    last = _as_utc(sensor.last_ts) if sensor.last_ts else None
    period = timedelta(seconds=sensor.period_s)
    new_rows = []
    for s in items:
        ts = s.ts
        if ts in stored:
            report.duplicates += 1
            continue
        stored.add(ts)
        new_rows.append({"sensor_id": sensor.id, "ts": ts, "value": s.value})
        report.accepted += 1
        if last is not None and ts < last:
            continue  # late: stored, but does not drive the live alarm state
        if last is not None and ts - last > 1.5 * period:
            report.missing += round((ts - last) / period) - 1
        last = ts
        if s.value is None:
            continue
        live[ts][sensor.key] = s.value
        stale = open_alarms.pop("stale", None)
        if stale is not None:
            _to_normal(session, actor, stale, ts, report)
        sensor.last_value = s.value
        if preset is not None:
            _apply_limits(session, actor, sensor, preset, open_alarms, ts, s.value, report)
    if new_rows:
        session.execute(cast(Table, Sample.__table__).insert(), new_rows)
    sensor.last_ts = last
    sensor.active_levels = sorted(k for k in open_alarms if k != "stale")


def _out_of_order(items: list[SampleIn], stored: set[datetime], newest: datetime | None) -> int:
    """Arrival-order inversions (against the newest sample seen so far), duplicates apart: the batch
    is then evaluated in time order, and these are only counted."""
    count = 0
    seen = set(stored)
    for s in items:
        if s.ts in seen:
            continue
        seen.add(s.ts)
        if newest is not None and s.ts < newest:
            count += 1
        newest = s.ts if newest is None else max(newest, s.ts)
    return count


def _apply_limits(session: Session, actor: Actor, sensor: Sensor, preset: R.Preset, open_alarms: dict[str, Alarm],
                  ts: datetime, v: float, report: IngestReport) -> None:
    """One live sample against each limit of the preset: raise an alarm, follow its peak, or clear it."""
    for lim in preset.limits:
        alarm = open_alarms.get(lim.level)
        if alarm is None:
            if lim.violates_on(v):
                alarm = _raise(session, actor, sensor, kind="rule", level=lim.level, ts=ts, value=v,
                               threshold=lim.on, preset=preset)
                open_alarms[lim.level] = alarm
                report.alarms_raised.append(alarm.id)
        elif lim.still_violates(v):
            peak = v if alarm.peak is None else alarm.peak
            alarm.peak = max(peak, v) if lim.direction == "high" else min(peak, v)
        else:
            _to_normal(session, actor, alarm, ts, report)
            del open_alarms[lim.level]


def _raise(session: Session, actor: Actor, sensor: Sensor, *, kind: str, level: str, ts: datetime,
           value: float | None, threshold: float | None, preset: R.Preset | None = None,
           message: str = "") -> Alarm:
    if not message and preset is not None:
        message = f"{sensor.key} {level}: {value:g} {preset.unit} (limit {threshold:g}; {preset.source})"
    alarm = Alarm(org_id=sensor.org_id, sensor_id=sensor.id, kind=kind, level=level, raised_at=ts,
                  value=value, peak=value, threshold=threshold, message=message[:500],
                  status=AlarmStatus.RAISED, active=True)
    session.add(alarm)
    session.flush()
    audit.record(session, actor=actor, action="monitor.alarm.raise", entity="monitor_alarm",
                 entity_id=alarm.id, after=_alarm_snap(alarm), org_id=sensor.org_id)
    _enqueue(session, alarm, "raised")
    return alarm


def _to_normal(session: Session, actor: Actor, alarm: Alarm, ts: datetime, report: IngestReport | None) -> None:
    before = _alarm_snap(alarm)
    alarm.active = False
    alarm.normal_at = ts
    event = "normal"
    if alarm.status == AlarmStatus.ACKNOWLEDGED:
        alarm.status = AlarmStatus.CLEARED
        alarm.cleared_at = ts
        event = "cleared"
    audit.record(session, actor=actor, action=f"monitor.alarm.{event}", entity="monitor_alarm",
                 entity_id=alarm.id, before=before, after=_alarm_snap(alarm), org_id=alarm.org_id)
    _enqueue(session, alarm, event)
    if report is not None:
        report.alarms_normal.append(alarm.id)


def register_model(session: Session, *, actor: Actor, name: str, model: object, org_id: int | None = None,
                   clear_below: float = 0.8) -> LearnedModel:
    """Attach a fitted :class:`~yuzhi.monitor.detectors.MahalanobisDetector` to live ingestion.

    Every in-order sample of its sensors is then scored point by point; ``score > 1`` raises an
    ``early_warning`` alarm on the sensor that contributes most, which returns to normal when the
    score falls below ``clear_below`` (hysteresis).
    """
    from yuzhi.monitor.detectors import MahalanobisDetector

    if not isinstance(model, MahalanobisDetector):
        raise InvalidInput("model must be a fitted MahalanobisDetector", field="model")
    if not 0 < clear_below <= 1:
        raise InvalidInput("clear_below must be in (0, 1]", field="clear_below")
    org = tenancy.org_for_write(actor, org_id)
    known = set(session.scalars(select(Sensor.key).where(Sensor.org_id == org)))
    missing = [k for k in model.sensors_ if k not in known]
    if missing:
        raise InvalidInput(f"the model's sensors are not registered: {', '.join(missing)}", field="sensors",
                           fix="register them first, with the same keys as the training columns",
                           key="model_sensors_unregistered", params={"keys": ", ".join(missing)})
    if session.scalar(select(LearnedModel.id).where(LearnedModel.org_id == org, LearnedModel.name == name)):
        raise Conflict(f"a model named {name!r} already exists", field="name",
                       key="monitor_model_exists", params={"name": name})
    meta, arrays = model.to_parts()
    row = LearnedModel(org_id=org, name=name, sensors=list(model.sensors_), meta=meta, arrays=arrays,
                       state={}, clear_below=clear_below, active=True)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="monitor.model.register", entity="monitor_model",
                 entity_id=row.id, after={"name": name, "sensors": row.sensors, "threshold": meta["threshold"]},
                 org_id=org)
    return row


def _score_models(session: Session, actor: Actor, org: int, live: dict[datetime, dict[str, float]],
                  report: IngestReport) -> None:
    from yuzhi.monitor.detectors import MahalanobisDetector

    models = list(session.scalars(select(LearnedModel).where(LearnedModel.org_id == org,
                                                             LearnedModel.active.is_(True))))
    if not models:
        return
    ids = dict(session.execute(select(Sensor.key, Sensor.id).where(Sensor.org_id == org)).all())
    for row in models:
        keys = row.sensors
        wanted = set(keys)
        last = _as_utc(row.last_ts) if row.last_ts else None
        times = sorted(t for t, vals in live.items() if wanted & vals.keys() and (last is None or t > last))
        if not times:
            continue
        det = MahalanobisDetector.from_parts(row.meta, row.arrays)
        state = dict(row.state or {})
        open_id = state.pop("open_alarm_id", None)
        stream = det.stream().restore(state.get("filters", {}))
        alarm = session.get(Alarm, open_id) if open_id else None
        for t in times:
            vals = live[t]
            res = stream.update([vals.get(k, float("nan")) for k in keys])
            if alarm is None and res.anomaly:
                sensor = session.get(Sensor, ids[res.top_sensor])
                assert sensor is not None  # the model's sensors were checked when it was installed
                alarm = _raise(session, actor, sensor, kind="model", level="early_warning", ts=t,
                               value=res.score, threshold=1.0,
                               message=f"model {row.name}: score {res.score:.2f} > 1; most responsible sensor "
                                       f"{res.top_sensor}")
                report.alarms_raised.append(alarm.id)
            elif alarm is not None:
                if res.score >= row.clear_below:
                    alarm.peak = max(alarm.peak or 0.0, res.score)
                else:
                    _to_normal(session, actor, alarm, t, report)
                    alarm = None
        row.last_ts = times[-1]
        row.state = {"filters": stream.state(), "open_alarm_id": alarm.id if alarm is not None else None}


def ingest_table(session: Session, *, actor: Actor, table: SensorTable, org_id: int | None = None,
                 source: str = "file") -> IngestReport:
    """Ingest a table read by :func:`yuzhi.monitor.io.read_table` (one column per sensor key)."""
    import pandas as pd

    stamps = pd.DatetimeIndex(table.time).tz_localize("UTC").to_pydatetime()
    samples = []
    for j, key in enumerate(table.sensors):
        col = table.values[:, j].tolist()
        # Already validated by read_table: skip pydantic's per-sample validation.
        samples += [SampleIn.model_construct(sensor=key, ts=ts, value=None if v != v else v)
                    for ts, v in zip(stamps, col, strict=True)]
    report = ingest(session, actor=actor, samples=samples, org_id=org_id, source=source)
    report.duplicates += table.report.duplicates
    report.out_of_order += table.report.out_of_order
    return report


def check_stale(session: Session, *, actor: Actor, now: datetime | None = None) -> list[Alarm]:
    """Raise a stale alarm for every sensor silent longer than ``stale_periods × period_s``."""
    now = _as_utc(now or utcnow())
    raised = []
    stmt = tenancy.scope(select(Sensor), Sensor, actor)
    for sensor in session.scalars(stmt):
        if sensor.last_ts is None:
            continue
        limit = timedelta(seconds=sensor.period_s * sensor.stale_periods)
        if now - _as_utc(sensor.last_ts) <= limit:
            continue
        open_stale = session.scalar(select(Alarm.id).where(Alarm.sensor_id == sensor.id, Alarm.level == "stale",
                                                           Alarm.active.is_(True)))
        if open_stale:
            continue
        raised.append(_raise(session, actor, sensor, kind="stale", level="stale",
                             ts=_as_utc(sensor.last_ts) + limit, value=None, threshold=None,
                             message=f"{sensor.key}: no data since {_as_utc(sensor.last_ts).isoformat()} "
                                     f"({sensor.stale_periods} periods of {sensor.period_s:g}s)"))
    return raised


def purge_samples(session: Session, *, now: datetime | None = None) -> int:
    """Delete samples older than each sensor's retention; returns the number deleted."""
    now = _as_utc(now or utcnow())
    total = 0
    for sensor_id, days in session.execute(select(Sensor.id, Sensor.retention_days)):
        res = cast(CursorResult[Any], session.execute(delete(Sample).where(Sample.sensor_id == sensor_id,
                                                   Sample.ts < now - timedelta(days=days))))
        total += res.rowcount or 0
    return total


# --------------------------------------------------------------------------- alarms


def list_alarms(session: Session, *, actor: Actor, status: str | None = None, sensor_id: int | None = None,
                limit: int = 100, offset: int = 0) -> tuple[list[Alarm], int]:
    stmt = tenancy.scope(select(Alarm), Alarm, actor)
    if status:
        if status not in {s.value for s in AlarmStatus}:
            raise InvalidInput(f"unknown status {status!r}", field="status",
                               fix="raised, acknowledged or cleared",
                               key="alarm_status_unknown", params={"status": status})
        stmt = stmt.where(Alarm.status == status)
    if sensor_id is not None:
        stmt = stmt.where(Alarm.sensor_id == sensor_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Alarm.raised_at.desc(), Alarm.id.desc()).limit(limit).offset(offset))
    return list(rows), count


def get_alarm(session: Session, *, actor: Actor, alarm_id: int) -> Alarm:
    alarm = session.get(Alarm, alarm_id)
    if alarm is None or not tenancy.can_see(actor, alarm.org_id):
        raise NotFound(f"alarm {alarm_id} not found", field="alarm_id",
                       key="alarm_not_found", params={"id": alarm_id})
    return alarm


def acknowledge(session: Session, *, actor: Actor, alarm_id: int, comment: str,
                now: datetime | None = None) -> Alarm:
    """raised → acknowledged; if the condition is already normal, straight to cleared."""
    alarm = get_alarm(session, actor=actor, alarm_id=alarm_id)
    if not comment.strip():
        raise InvalidInput("an acknowledgement needs a comment", field="comment",
                           fix="say what was checked or done")
    if alarm.status != AlarmStatus.RAISED:
        raise Conflict(f"alarm {alarm_id} is already {alarm.status}", field="status",
                       key="alarm_already", params={"id": alarm_id, "status": alarm.status})
    before = _alarm_snap(alarm)
    now = _as_utc(now or utcnow())
    alarm.status, alarm.ack_at, alarm.ack_by, alarm.ack_comment = AlarmStatus.ACKNOWLEDGED, now, actor.user_id, comment
    event = "acknowledged"
    if not alarm.active:
        alarm.status, alarm.cleared_at, alarm.cleared_by = AlarmStatus.CLEARED, now, actor.user_id
        event = "cleared"
    audit.record(session, actor=actor, action=f"monitor.alarm.{event}", entity="monitor_alarm",
                 entity_id=alarm.id, before=before, after=_alarm_snap(alarm), org_id=alarm.org_id)
    _enqueue(session, alarm, event)
    return alarm


def clear(session: Session, *, actor: Actor, alarm_id: int, comment: str, now: datetime | None = None) -> Alarm:
    """acknowledged → cleared by hand; refused while the condition still holds."""
    alarm = get_alarm(session, actor=actor, alarm_id=alarm_id)
    if not comment.strip():
        raise InvalidInput("clearing needs a comment", field="comment")
    if alarm.status == AlarmStatus.CLEARED:
        raise Conflict(f"alarm {alarm_id} is already cleared", field="status",
                       key="alarm_already_cleared", params={"id": alarm_id})
    if alarm.status == AlarmStatus.RAISED:
        raise Conflict(f"alarm {alarm_id} must be acknowledged first", field="status",
                       fix="acknowledge it with a comment",
                       key="alarm_ack_first", params={"id": alarm_id})
    if alarm.active:
        raise Conflict(f"alarm {alarm_id}: the condition still holds ({alarm.level})", field="active",
                       fix="clear it once the readings are back to normal",
                       key="alarm_still_active", params={"id": alarm_id, "level": alarm.level})
    before = _alarm_snap(alarm)
    now = _as_utc(now or utcnow())
    alarm.status, alarm.cleared_at, alarm.cleared_by, alarm.clear_comment = (
        AlarmStatus.CLEARED, now, actor.user_id, comment)
    audit.record(session, actor=actor, action="monitor.alarm.cleared", entity="monitor_alarm",
                 entity_id=alarm.id, before=before, after=_alarm_snap(alarm), org_id=alarm.org_id)
    _enqueue(session, alarm, "cleared")
    return alarm


def samples_around(session: Session, *, actor: Actor, alarm_id: int, before_s: float = 3600,
                   after_s: float = 3600) -> tuple[Alarm, dict[str, list[tuple[datetime, float | None]]]]:
    """Traces of every sensor of the alarm's organisation in a window around the alarm."""
    alarm = get_alarm(session, actor=actor, alarm_id=alarm_id)
    t0 = _as_utc(alarm.raised_at) - timedelta(seconds=before_s)
    t1 = _as_utc(alarm.normal_at or alarm.raised_at) + timedelta(seconds=after_s)
    rows = session.execute(
        select(Sensor.key, Sample.ts, Sample.value).join(Sensor, Sensor.id == Sample.sensor_id)
        .where(Sensor.org_id == alarm.org_id, Sample.ts >= t0, Sample.ts <= t1)
        .order_by(Sensor.key, Sample.ts))
    out: dict[str, list[tuple[datetime, float | None]]] = defaultdict(list)
    for key, ts, value in rows:
        out[key].append((_as_utc(ts), value))
    return alarm, dict(out)


# --------------------------------------------------------------------------- webhooks


_BLOCKED_NETS = [ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "::1/128", "0.0.0.0/8", "::/128", "169.254.0.0/16", "fe80::/10", "100.100.100.200/32",
    "fd00:ec2::254/128", "224.0.0.0/4", "ff00::/8")]
_BLOCKED_NAMES = {"localhost", "metadata", "metadata.google.internal", "instance-data"}


def webhook_target_problem(url: str, allow: str = "", *, resolve: bool = False) -> str | None:
    """Why ``url`` may not be a webhook target, or None.

    A webhook makes the server send requests to an address a tenant chose; loopback, link-local and
    cloud-metadata addresses (``http://169.254.169.254/...``) would reach the server's own services,
    so they are refused unless the office allow-lists them (``YUZHI_WEBHOOK_ALLOW``). Intranet
    addresses are allowed: factories' receivers live there. ``resolve``: also check what a host name
    resolves to (at delivery time, against DNS answers that point inwards).
    """
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError as exc:  # e.g. an unbalanced "[" of an IPv6 literal
        return f"the URL is not a valid address ({exc})"
    if not host:
        return "the URL has no host"
    allowed = [a.strip().lower() for a in allow.split(",") if a.strip()]
    if host in allowed:
        return None
    addresses: list[str] = [host]
    if resolve:
        try:
            addresses = sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})
        except (OSError, UnicodeError):
            return None  # unresolvable: the delivery fails on its own
    for addr in addresses:
        try:
            ip = ipaddress.ip_address(addr.split("%")[0])
        except ValueError:
            if addr in _BLOCKED_NAMES or addr.endswith(".localhost"):
                return f"{addr} names this server or its cloud metadata service"
            continue
        if any(ip in ipaddress.ip_network(a, strict=False) for a in allowed if _is_network(a)):
            continue
        if any(ip in net for net in _BLOCKED_NETS if net.version == ip.version):
            return f"{host} is a loopback, link-local or cloud-metadata address ({ip})"
    return None


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def create_webhook(session: Session, *, actor: Actor, webhook_in: WebhookCreate) -> Webhook:
    problem = webhook_target_problem(webhook_in.url, get_settings().webhook_allow)
    if problem:
        raise InvalidInput(f"webhook target refused: {problem}", field="url",
                           fix="use your receiver's own address; the programme office allow-lists internal "
                               "targets (YUZHI_WEBHOOK_ALLOW)",
                           key="webhook_refused", params={"problem": problem})
    org = tenancy.org_for_write(actor, webhook_in.org_id)
    hook = Webhook(org_id=org, url=webhook_in.url, active=True)
    session.add(hook)
    session.flush()
    audit.record(session, actor=actor, action="monitor.webhook.create", entity="monitor_webhook",
                 entity_id=hook.id, after={"url": hook.url}, org_id=org)
    return hook


def list_webhooks(session: Session, *, actor: Actor) -> list[Webhook]:
    return list(session.scalars(tenancy.scope(select(Webhook), Webhook, actor).order_by(Webhook.id)))


def _payload(alarm: Alarm, event: str) -> dict[str, object]:
    def iso(d: datetime | None) -> str | None:
        return _as_utc(d).isoformat() if d else None

    return {"event": event, "alarm_id": alarm.id, "org_id": alarm.org_id, "sensor_id": alarm.sensor_id,
            "kind": alarm.kind, "level": alarm.level, "status": alarm.status, "active": alarm.active,
            "raised_at": iso(alarm.raised_at), "normal_at": iso(alarm.normal_at), "value": alarm.value,
            "peak": alarm.peak, "threshold": alarm.threshold, "message": alarm.message,
            "comment": alarm.clear_comment or alarm.ack_comment}


def _enqueue(session: Session, alarm: Alarm, event: str) -> None:
    """Outbox: a pending delivery per active webhook, in the alarm's own transaction."""
    for hook in session.scalars(select(Webhook).where(Webhook.org_id == alarm.org_id, Webhook.active.is_(True))):
        session.add(Delivery(webhook_id=hook.id, alarm_id=alarm.id, event=event, payload=_payload(alarm, event)))


def deliver_pending(session: Session, *, limit: int = 200, timeout_s: float = 5.0) -> list[Delivery]:
    """POST pending deliveries (oldest first). Run after the alarm's transaction committed."""
    import httpx

    rows = list(session.scalars(select(Delivery).where(Delivery.status == "pending")
                                .order_by(Delivery.id).limit(limit)))
    if not rows:
        return rows
    hooks = {h.id: h for h in session.scalars(select(Webhook).where(Webhook.id.in_({d.webhook_id for d in rows})))}
    allow = get_settings().webhook_allow
    with httpx.Client(timeout=timeout_s) as client:
        for d in rows:
            d.attempts += 1
            problem = webhook_target_problem(hooks[d.webhook_id].url, allow, resolve=True)
            if problem:  # e.g. a name that now resolves inwards: never sent
                d.status, d.error = "failed", f"target refused: {problem}"[:500]
                continue
            try:
                resp = client.post(hooks[d.webhook_id].url, json=d.payload,
                                   headers={"X-Yuzhi-Event": f"monitor.alarm.{d.event}"})
                d.response_code = resp.status_code
                ok = 200 <= resp.status_code < 300
                d.error = "" if ok else f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                ok = False
                d.error = f"{type(exc).__name__}: {exc}"[:500]
            if ok:
                d.status, d.delivered_at = "delivered", utcnow()
            elif d.attempts >= MAX_DELIVERY_ATTEMPTS:
                d.status = "failed"
    return rows


def deliveries(session: Session, *, alarm_ids: Iterable[int]) -> list[Delivery]:
    return list(session.scalars(select(Delivery).where(Delivery.alarm_id.in_(list(alarm_ids)))
                                .order_by(Delivery.id)))


# --------------------------------------------------------------------------- operator's console


def console_tiles(session: Session, *, actor: Actor, since: datetime, until: datetime,
                  ) -> list[dict[str, Any]]:
    """Per site (organisation) the sensors' tiles over ``[since, until]``: display name, unit,
    last value, state by severity (active alarms; stale when silent past its stale limit), unacknowledged
    alarms, and the samples for the sparkline. Scoped to the caller's tenant like every query here."""
    from yuzhi.accounts.models import Organisation
    from yuzhi.monitor import console as C

    since, until = _as_utc(since), _as_utc(until)
    sensors = list_sensors(session, actor=actor)
    if not sensors:
        return []
    ids = [s.id for s in sensors]
    series: dict[int, list[tuple[float, float]]] = defaultdict(list)
    last: dict[int, tuple[datetime, float | None]] = {}
    for sid, ts, value in session.execute(
            select(Sample.sensor_id, Sample.ts, Sample.value)
            .where(Sample.sensor_id.in_(ids), Sample.ts >= since, Sample.ts <= until)
            .order_by(Sample.sensor_id, Sample.ts)):
        ts = _as_utc(ts)
        if value is not None:
            series[sid].append((ts.timestamp(), value))
        last[sid] = (ts, value)
    # Alarms as they stood at ``until`` (a replay shows the past, not today's statuses): raised by
    # then and not yet cleared; active while not yet back to normal; acknowledged if done by then.
    open_alarms: dict[int, list[Alarm]] = defaultdict(list)
    for a in session.scalars(select(Alarm).where(Alarm.sensor_id.in_(ids), Alarm.raised_at <= until,
                                                 (Alarm.cleared_at.is_(None)) | (Alarm.cleared_at > until))
                             .order_by(Alarm.raised_at)):
        open_alarms[a.sensor_id].append(a)

    def active_then(a: Alarm) -> bool:
        return a.normal_at is None or _as_utc(a.normal_at) > until

    def acked_then(a: Alarm) -> bool:
        return a.ack_at is not None and _as_utc(a.ack_at) <= until

    orgs = dict(session.execute(select(Organisation.id, Organisation.name)
                                .where(Organisation.id.in_({s.org_id for s in sensors}))).all())
    sites: dict[int, list[dict[str, object]]] = defaultdict(list)
    for s in sensors:
        last_ts: datetime | None
        if s.last_ts is not None and _as_utc(s.last_ts) <= until and s.id not in last:
            last_ts, last_value = _as_utc(s.last_ts), s.last_value
        else:
            last_ts, last_value = last.get(s.id, (None, None))
        active = [a for a in open_alarms[s.id] if active_then(a)]
        levels = [a.level for a in active]
        silent = last_ts is None or (until - last_ts).total_seconds() > s.stale_periods * s.period_s
        if silent and "stale" not in levels:
            levels.append("stale")
        preset = effective_preset(s)
        limits = [lim.on for lim in preset.limits] if preset else []
        sites[s.org_id].append({
            "sensor": s, "name": s.name or s.key, "unit": s.unit or (preset.unit if preset else ""),
            "value": C.fmt_value(last_value), "raw_value": last_value, "last_ts": last_ts,
            "state": C.state_of(levels), "levels": levels,
            "unacked": [a for a in open_alarms[s.id] if not acked_then(a)],
            "acked": [a for a in active if acked_then(a)],
            "spark": C.sparkline_svg(series[s.id], since.timestamp(), until.timestamp(), limits=limits),
        })
    out: list[dict[str, Any]] = []
    for org_id, tiles in sites.items():
        tiles.sort(key=lambda t: (C.STATES.index(str(t["state"])), str(t["name"])))
        out.append({"org_id": org_id, "name": orgs.get(org_id, str(org_id)), "tiles": tiles})
    return sorted(out, key=lambda o: (min(C.STATES.index(str(t["state"])) for t in o["tiles"]), str(o["name"])))


def sensor_series(session: Session, *, actor: Actor, sensor_id: int, since: datetime, until: datetime,
                  ) -> dict[str, object]:
    """One sensor over ``[since, until]``: samples, limits, alarms overlapping the range, and the
    learned score of every active model that watches this sensor (recomputed from the stored
    samples with the model's own filter, so it matches what ingestion saw from a cold start)."""
    from yuzhi.monitor.detectors import MahalanobisDetector

    sensor = get_sensor(session, actor=actor, sensor_id=sensor_id)
    since, until = _as_utc(since), _as_utc(until)
    pts = [(_as_utc(ts).timestamp(), v) for ts, v in session.execute(
        select(Sample.ts, Sample.value).where(Sample.sensor_id == sensor.id, Sample.ts >= since,
                                              Sample.ts <= until).order_by(Sample.ts)) if v is not None]
    alarms = list(session.scalars(select(Alarm).where(
        Alarm.sensor_id == sensor.id, Alarm.raised_at <= until,
        (Alarm.normal_at.is_(None)) | (Alarm.normal_at >= since)).order_by(Alarm.raised_at)))
    preset = effective_preset(sensor)
    limits = [(lim.level, lim.on) for lim in preset.limits] if preset else []
    score: list[tuple[float, float]] = []
    for row in session.scalars(select(LearnedModel).where(LearnedModel.org_id == sensor.org_id,
                                                          LearnedModel.active.is_(True))):
        if sensor.key not in row.sensors:
            continue
        ids = dict(session.execute(select(Sensor.key, Sensor.id).where(Sensor.org_id == sensor.org_id,
                                                                       Sensor.key.in_(row.sensors))).all())
        rows: dict[datetime, dict[str, float]] = defaultdict(dict)
        names = {v: k for k, v in ids.items()}
        for sid, ts, v in session.execute(select(Sample.sensor_id, Sample.ts, Sample.value).where(
                Sample.sensor_id.in_(ids.values()), Sample.ts >= since, Sample.ts <= until)):
            if v is not None:
                rows[_as_utc(ts)][names[sid]] = v
        if not rows:
            continue
        det = MahalanobisDetector.from_parts(row.meta, row.arrays)
        times = sorted(rows)
        X = [[rows[t].get(k, math.nan) for k in det.sensors_] for t in times]
        import numpy as np

        s = det.score_samples(np.asarray(X, dtype=np.float64))
        score = [(t.timestamp(), float(v)) for t, v in zip(times, s, strict=True)]
        break
    return {"sensor": sensor, "points": pts, "alarms": alarms, "limits": limits, "score": score,
            "unit": sensor.unit or (preset.unit if preset else "")}


# --------------------------------------------------------------------------- e-mail and escalation


def add_contact(session: Session, *, actor: Actor, name: str, email: str, after_min: int = 0,
                org_id: int | None = None) -> Contact:
    """Put someone on the organisation's escalation ladder: e-mailed when an alarm has stayed
    unacknowledged for ``after_min`` minutes (0 = at once)."""
    from yuzhi.monitor.notify import check_email

    org = tenancy.org_for_write(actor, org_id)
    email = check_email(email)
    if after_min < 0:
        raise InvalidInput(f"after_min must be ≥ 0 minutes, got {after_min}", field="after_min",
                           key="after_min_negative", params={"value": after_min})
    if not name.strip():
        raise InvalidInput("a contact needs a name", field="name", fix="e.g. --name '值班长 王工'")
    if session.scalar(select(Contact.id).where(Contact.org_id == org, Contact.email == email)):
        raise Conflict(f"{email} is already a contact of this organisation", field="email",
                       key="contact_exists", params={"email": email})
    c = Contact(org_id=org, name=name.strip(), email=email, after_min=after_min, active=True)
    session.add(c)
    session.flush()
    audit.record(session, actor=actor, action="monitor.contact.create", entity="monitor_contact",
                 entity_id=c.id, after={"name": c.name, "email": c.email, "after_min": c.after_min}, org_id=org)
    return c


def list_contacts(session: Session, *, actor: Actor) -> list[Contact]:
    return list(session.scalars(tenancy.scope(select(Contact), Contact, actor)
                                .order_by(Contact.org_id, Contact.after_min, Contact.id)))


def _mail_text(alarm: Alarm, sensor: Sensor, minutes: float) -> tuple[str, str]:
    from yuzhi.monitor import console as C

    level_zh = C.LEVEL_NAMES["zh"].get(alarm.level, alarm.level)
    name = sensor.name or sensor.key
    value = f"{C.fmt_value(alarm.peak)} {sensor.unit}".strip()
    subject = f"[yuzhi] {level_zh} {alarm.level} · {name} ({sensor.key}) · {value}"
    body = (f"{name} ({sensor.key}) {level_zh} / {alarm.level}\n"
            f"报警时间 raised: {C.beijing(alarm.raised_at)} (北京时间 Beijing time)\n"
            f"峰值 peak: {value}; 限值 limit: {C.fmt_value(alarm.threshold)}\n"
            f"未确认 unacknowledged for {minutes:.0f} min\n{alarm.message}\n\n"
            f"确认 acknowledge: /monitor/alarms/{alarm.id}\n")
    return subject, body


def notify_due(session: Session, *, smtp: object, now: datetime | None = None,
               max_attempts: int = 5) -> list[Notification]:
    """E-mail every contact whose turn has come for an unacknowledged alarm; log each attempt.

    Run every minute (``yuzhi monitor notify`` from cron / a systemd timer). An alarm still
    *raised* ``m`` minutes after it started goes to every active contact of its organisation with
    ``after_min ≤ m`` not yet told: the escalation ladder. A failed send is logged and retried on
    the next run, up to ``max_attempts``. Acknowledging stops the ladder.
    """
    import smtplib

    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.monitor.notify import send

    now = _as_utc(now or utcnow())
    done = {(n.alarm_id, n.contact_id): n for n in session.scalars(
        select(Notification).join(Alarm, Alarm.id == Notification.alarm_id)
        .where(Alarm.status == AlarmStatus.RAISED))}
    out = []
    for alarm in session.scalars(select(Alarm).where(Alarm.status == AlarmStatus.RAISED).order_by(Alarm.id)):
        minutes = (now - _as_utc(alarm.raised_at)).total_seconds() / 60
        contacts = session.scalars(select(Contact).where(Contact.org_id == alarm.org_id, Contact.active.is_(True),
                                                         Contact.after_min <= minutes).order_by(Contact.after_min))
        sensor = session.get(Sensor, alarm.sensor_id)
        assert sensor is not None
        for c in contacts:
            prev = done.get((alarm.id, c.id))
            if prev is not None and (prev.status == "sent" or prev.attempts >= max_attempts):
                continue
            subject, body = _mail_text(alarm, sensor, minutes)
            try:
                send(smtp, c.email, subject, body)  # type: ignore[arg-type]
                status, error = "sent", ""
            except (OSError, smtplib.SMTPException) as exc:  # transport failures are logged, not raised
                status, error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            if prev is None:
                prev = Notification(alarm_id=alarm.id, contact_id=c.id, channel="email", attempts=0)
                session.add(prev)
            prev.attempts += 1
            prev.status, prev.error = status, error
            prev.sent_at = now if status == "sent" else None
            session.flush()
            audit.record(session, actor=SYSTEM, action=f"monitor.notify.{status}", entity="monitor_notification",
                         entity_id=prev.id, after={"alarm": alarm.id, "to": c.email, "after_min": c.after_min,
                                                   "error": error}, org_id=alarm.org_id)
            out.append(prev)
    return out


def notification_log(session: Session, *, actor: Actor, alarm_id: int | None = None,
                     ) -> list[tuple[Notification, Contact, Alarm]]:
    """Who was told about which alarm, when, and whether it went out (newest first)."""
    stmt = (select(Notification, Contact, Alarm).join(Contact, Contact.id == Notification.contact_id)
            .join(Alarm, Alarm.id == Notification.alarm_id))
    if not actor.is_office:
        stmt = stmt.where(Alarm.org_id == actor.org_id)
    if alarm_id is not None:
        stmt = stmt.where(Alarm.id == alarm_id)
    return [tuple(r) for r in session.execute(stmt.order_by(Notification.id.desc()))]  # type: ignore[misc]
