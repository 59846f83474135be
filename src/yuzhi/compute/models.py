"""The compute network's own tables (providers themselves live in :mod:`yuzhi.providers.models`)."""

from __future__ import annotations

# The compute network's engine side (issue 7): how a provider's cluster is connected, what it offers
# and charges, per-organisation compute budgets with holds, and jobs. Money is integer fen
# (``yuzhi.db.Fen``); JSON columns are stored as text for portability.
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy import Float as _Float
from sqlalchemy.orm import Mapped, mapped_column

from yuzhi.db import Base, Fen, IdMixin, OrgScopedMixin, TimestampMixin


class JobStatus(StrEnum):
    """The platform's job lifecycle: queued → submitted → running → succeeded / failed / cancelled."""

    QUEUED = "queued"
    SUBMITTED = "submitted"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.SUBMITTED, JobStatus.RUNNING)


class ComputeEndpoint(IdMixin, TimestampMixin, Base):
    """How the platform reaches a provider's engine (``local`` or ``slurm``) and whether it is up."""

    __tablename__ = "compute_endpoints"

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    config_json: Mapped[str] = mapped_column(Text, default="{}")
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    unavailable_reason: Mapped[str] = mapped_column(String(500), default="")
    checked_at: Mapped[datetime | None] = mapped_column(default=None)


class ComputeCapacity(IdMixin, TimestampMixin, Base):
    """Capacity a provider publishes; the per-job maxima are enforced at submission."""

    __tablename__ = "compute_capacity"

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), unique=True)
    nodes: Mapped[int] = mapped_column(Integer, default=1)
    cores: Mapped[int] = mapped_column(Integer)
    gpus: Mapped[int] = mapped_column(Integer, default=0)
    memory_gb: Mapped[int] = mapped_column(Integer)
    max_cpus_per_job: Mapped[int] = mapped_column(Integer)
    max_gpus_per_job: Mapped[int] = mapped_column(Integer, default=0)
    max_mem_mb_per_job: Mapped[int] = mapped_column(Integer)
    max_time_limit_s: Mapped[int] = mapped_column(Integer, default=7 * 86400)


class RateCardRow(IdMixin, TimestampMixin, Base):
    """A provider's published prices for a validity period (see :mod:`yuzhi.compute.pricing`)."""

    __tablename__ = "compute_rate_cards"
    __table_args__ = (UniqueConstraint("provider_id", "valid_from"),)

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    core_hour_fen: Mapped[int] = mapped_column(Fen)
    gpu_hour_fen: Mapped[int] = mapped_column(Fen)
    mem_gb_hour_fen: Mapped[int] = mapped_column(Fen)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None] = mapped_column(default=None)
    failed_policy: Mapped[str] = mapped_column(String(16), default="charged")
    # issue 20 item 2: billing granularity, a floor per charged job, and per-job or monthly invoices
    min_increment_s: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    min_charge_fen: Mapped[int] = mapped_column(Fen, default=0, server_default="0")
    billing_period: Mapped[str] = mapped_column(String(8), default="job", server_default="job")


class ComputeAccount(IdMixin, TimestampMixin, Base):
    """An organisation's compute budget. Invariant: ``held_fen + spent_fen <= budget_fen``."""

    __tablename__ = "compute_accounts"
    __table_args__ = (
        CheckConstraint("held_fen >= 0 AND spent_fen >= 0", name="nonneg"),
        CheckConstraint("held_fen + spent_fen <= budget_fen", name="within_budget"),
    )

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    budget_fen: Mapped[int] = mapped_column(Fen, default=0)
    held_fen: Mapped[int] = mapped_column(Fen, default=0)
    spent_fen: Mapped[int] = mapped_column(Fen, default=0)


class ComputeApp(IdMixin, TimestampMixin, Base):
    """A registered command (no containers): members run apps, never arbitrary command lines."""

    __tablename__ = "compute_apps"

    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    argv_json: Mapped[str] = mapped_column(Text)  # JSON list; "{python}" is replaced by the interpreter
    allow_args: Mapped[bool] = mapped_column(Boolean, default=True)


class ComputeJob(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One AI job: what, where, its lifecycle, its metered usage and its money trail."""

    __tablename__ = "compute_jobs"
    __table_args__ = (
        CheckConstraint("hold_fen >= 0 AND quote_fen >= 0 AND charge_fen >= 0", name="nonneg_money"),
    )

    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    argv_json: Mapped[str] = mapped_column(Text)
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    inputs_json: Mapped[str] = mapped_column(Text, default="{}")
    outputs_json: Mapped[str] = mapped_column(Text, default="[]")
    cpus: Mapped[int] = mapped_column(Integer)
    gpus: Mapped[int] = mapped_column(Integer, default=0)
    mem_mb: Mapped[int] = mapped_column(Integer)
    time_limit_s: Mapped[int] = mapped_column(Integer)
    # lifecycle
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED, index=True)
    backend_state: Mapped[str] = mapped_column(String(16), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # metered usage (from the backend's accounting)
    elapsed_s: Mapped[float] = mapped_column(_Float, default=0.0)
    cpu_s: Mapped[float] = mapped_column(_Float, default=0.0)
    alloc_cpus: Mapped[int] = mapped_column(Integer, default=0)
    alloc_gpus: Mapped[int] = mapped_column(Integer, default=0)
    alloc_mem_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    max_rss_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    exit_code: Mapped[int | None] = mapped_column(Integer, default=None)
    # money: quote → hold → charge → release
    rate_card_id: Mapped[int | None] = mapped_column(ForeignKey("compute_rate_cards.id"), default=None)
    quote_fen: Mapped[int] = mapped_column(Fen, default=0)
    hold_fen: Mapped[int] = mapped_column(Fen, default=0)  # still held against the budget
    expected_subsidy_fen: Mapped[int] = mapped_column(Fen, default=0)
    price_fen: Mapped[int] = mapped_column(Fen, default=0)  # metered price before policy and cap
    charge_fen: Mapped[int] = mapped_column(Fen, default=0)  # what was billed
    bill_id: Mapped[int | None] = mapped_column(Integer, default=None)
    subsidy_fen: Mapped[int] = mapped_column(Fen, default=0)
    bill_status: Mapped[str] = mapped_column(String(500), default="")
    billed_at: Mapped[datetime | None] = mapped_column(default=None)
