"""Pydantic I/O for the monitoring API and services."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yuzhi.types import Id


class SensorBase(BaseModel):
    key: str = Field(min_length=1, max_length=100, pattern=r"^[^\s/#+]+$",
                     description="Column name in files, last MQTT topic level; no spaces, '/', '#', '+'.")
    name: str = Field("", max_length=200)
    unit: str = Field("", max_length=20)
    preset: str | None = Field(None, description="Statutory preset key, e.g. methane.coal_face.")
    overrides: dict[str, list[float]] = Field(default_factory=dict,
                                              description="{level: [on, off]} stricter site limits.")
    deadband: float = Field(0.0, ge=0)
    period_s: float = Field(60.0, gt=0, description="Expected sampling period (stale-sensor alarm).")
    stale_periods: int = Field(3, ge=1)
    retention_days: int = Field(90, ge=1, le=36500)


class SensorCreate(SensorBase):
    org_id: int | None = Field(None, description="Owner; office users must give it, others get their own.")


class SensorRead(SensorBase):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    last_ts: datetime | None
    last_value: float | None
    active_levels: list[str]


class SampleIn(BaseModel):
    sensor: str = Field(min_length=1, max_length=100)
    ts: datetime
    value: float | None

    @field_validator("ts")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


class SamplesIn(BaseModel):
    org_id: int | None = None
    samples: list[SampleIn] = Field(min_length=1, max_length=100_000)


class IngestReport(BaseModel):
    accepted: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    missing: int = 0
    alarms_raised: list[int] = Field(default_factory=list)
    alarms_normal: list[int] = Field(default_factory=list)


class AlarmRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    sensor_id: int
    kind: str
    level: str
    status: str
    active: bool
    raised_at: datetime
    normal_at: datetime | None
    value: float | None
    peak: float | None
    threshold: float | None
    message: str
    ack_at: datetime | None
    ack_comment: str
    cleared_at: datetime | None
    clear_comment: str


class AlarmAction(BaseModel):
    comment: str = Field(min_length=1, max_length=2000)


class WebhookCreate(BaseModel):
    url: str = Field(min_length=8, max_length=500, pattern=r"^https?://")
    org_id: Id | None = None


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    url: str
    active: bool
