"""Monitoring tables: sensors, samples (with retention), alarms with a lifecycle, webhooks.

Alarm lifecycle (after ISA-18.2, simplified)::

    raised ──acknowledge(comment)──► acknowledged ──condition back to normal──► cleared (auto)
       │                                  └──clear(comment), condition already normal──► cleared
       └── condition back to normal: stays "raised" (latched) with ``normal_at`` set, so an
           excursion that nobody saw is never silently forgotten; acknowledging it then clears it.

``active`` says whether the condition still holds; ``status`` is what the operator has done.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

import yuzhi.accounts.models  # noqa: F401  (organisations / users tables behind the foreign keys)
from yuzhi.db import Base, IdMixin, OrgScopedMixin, TimestampMixin


class AlarmStatus(StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"


class Sensor(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One measured quantity at one place; ``key`` is the CSV column / MQTT topic leaf."""

    __tablename__ = "monitor_sensors"
    __table_args__ = (UniqueConstraint("org_id", "key", name="org_key"),)

    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(20), default="")
    preset: Mapped[str | None] = mapped_column(String(50), default=None)
    #: Limit overrides {level: [on, off]} applied on top of the preset (a site may be stricter).
    overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    deadband: Mapped[float] = mapped_column(Float, default=0.0)
    period_s: Mapped[float] = mapped_column(Float, default=60.0)
    stale_periods: Mapped[int] = mapped_column(Integer, default=3)
    retention_days: Mapped[int] = mapped_column(Integer, default=90)
    last_ts: Mapped[datetime | None] = mapped_column(default=None)
    last_value: Mapped[float | None] = mapped_column(Float, default=None)
    #: Levels currently violated, as left by the last in-order sample (the hysteresis state).
    active_levels: Mapped[list] = mapped_column(JSON, default=list)


class Sample(Base):
    __tablename__ = "monitor_samples"
    __table_args__ = (
        UniqueConstraint("sensor_id", "ts", name="sensor_ts"),
        Index("ix_monitor_samples_sensor_ts", "sensor_id", "ts"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("monitor_sensors.id", ondelete="CASCADE"))
    ts: Mapped[datetime]
    value: Mapped[float | None] = mapped_column(Float, default=None)


class Alarm(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    __tablename__ = "monitor_alarms"

    sensor_id: Mapped[int] = mapped_column(ForeignKey("monitor_sensors.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # rule | stale | model
    level: Mapped[str] = mapped_column(String(30))  # alarm, power_off, high, low, freezing, stale ...
    status: Mapped[str] = mapped_column(String(16), default=AlarmStatus.RAISED, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    raised_at: Mapped[datetime]
    normal_at: Mapped[datetime | None] = mapped_column(default=None)
    value: Mapped[float | None] = mapped_column(Float, default=None)
    peak: Mapped[float | None] = mapped_column(Float, default=None)
    threshold: Mapped[float | None] = mapped_column(Float, default=None)
    message: Mapped[str] = mapped_column(String(500), default="")
    ack_at: Mapped[datetime | None] = mapped_column(default=None)
    ack_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    ack_comment: Mapped[str] = mapped_column(Text, default="")
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)
    cleared_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    clear_comment: Mapped[str] = mapped_column(Text, default="")


class Webhook(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    __tablename__ = "monitor_webhooks"

    url: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Delivery(IdMixin, TimestampMixin, Base):
    """One alarm event to POST to one webhook; written in the alarm's transaction (outbox)."""

    __tablename__ = "monitor_deliveries"

    webhook_id: Mapped[int] = mapped_column(ForeignKey("monitor_webhooks.id", ondelete="CASCADE"), index=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("monitor_alarms.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(20))  # raised | acknowledged | cleared | normal
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending/delivered/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str] = mapped_column(String(500), default="")
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class LearnedModel(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A fitted early-warning model scoring an organisation's live samples point by point.

    ``meta`` is the model's ``model.json``; ``arrays`` its ``arrays.npz`` bytes (no pickle);
    ``state`` the streaming state (EWMA filters, last values, the open alarm) so scoring continues
    seamlessly from one ingest batch to the next.
    """

    __tablename__ = "monitor_models"
    __table_args__ = (UniqueConstraint("org_id", "name", name="org_name"),)

    name: Mapped[str] = mapped_column(String(100))
    sensors: Mapped[list] = mapped_column(JSON)
    meta: Mapped[dict] = mapped_column(JSON)
    arrays: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    clear_below: Mapped[float] = mapped_column(Float, default=0.8)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_ts: Mapped[datetime | None] = mapped_column(default=None)


class Contact(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """Who is told about an unacknowledged alarm, and when: the escalation ladder.

    A contact is e-mailed once an alarm has stayed *raised* (unacknowledged) for ``after_min``
    minutes: the shift operator at 0, the shift leader at 10, the safety chief at 30, ...
    Acknowledging the alarm stops the ladder.
    """

    __tablename__ = "monitor_contacts"
    __table_args__ = (UniqueConstraint("org_id", "email", name="org_email"),)

    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))
    after_min: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Notification(IdMixin, TimestampMixin, Base):
    """The log of who was told about which alarm, how, and whether it went out."""

    __tablename__ = "monitor_notifications"
    __table_args__ = (UniqueConstraint("alarm_id", "contact_id", name="alarm_contact"),)

    alarm_id: Mapped[int] = mapped_column(ForeignKey("monitor_alarms.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("monitor_contacts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    status: Mapped[str] = mapped_column(String(16), default="sent")  # sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
