"""Pydantic I/O for the compute network (endpoints, capacity, rate cards, budgets, apps, jobs)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yuzhi.types import Fen, Id, StrictDate


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["local", "slurm"]
    config: dict[str, Any] = Field(default_factory=dict, examples=[{"partition": "debug"}])


class EndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    provider_id: int
    kind: str
    available: bool
    unavailable_reason: str
    checked_at: datetime | None


class CapacityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nodes: int = Field(ge=1)
    cores: int = Field(ge=1)
    gpus: int = Field(default=0, ge=0)
    memory_gb: int = Field(ge=1)
    max_cpus_per_job: int = Field(ge=1)
    max_gpus_per_job: int = Field(default=0, ge=0)
    max_mem_mb_per_job: int = Field(ge=1)
    max_time_limit_s: int = Field(default=7 * 86400, ge=60)

    @model_validator(mode="after")
    def _per_job_within_total(self) -> CapacityIn:
        if self.max_cpus_per_job > self.cores:
            raise ValueError("max_cpus_per_job exceeds the provider's total cores")
        if self.max_gpus_per_job > self.gpus:
            raise ValueError("max_gpus_per_job exceeds the provider's total GPUs")
        if self.max_mem_mb_per_job > self.memory_gb * 1024:
            raise ValueError("max_mem_mb_per_job exceeds the provider's total memory")
        return self


class CapacityRead(CapacityIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")
    provider_id: int


class RateCardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    core_hour_fen: Fen
    gpu_hour_fen: Fen
    mem_gb_hour_fen: Fen
    valid_from: StrictDate
    valid_to: StrictDate | None = None
    failed_policy: Literal["charged", "free"] = "charged"
    min_increment_s: int = Field(1, ge=1, le=86400)
    min_charge_fen: Fen = Field(0, description="minimum charge per job, integer fen")
    billing_period: Literal["job", "month"] = "job"


class RateCardRead(RateCardIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")
    id: int
    provider_id: int


class RateCardEnd(BaseModel):
    """Ending a card: its last valid day (China Standard Time)."""
    model_config = ConfigDict(extra="forbid")
    valid_to: StrictDate


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    budget_fen: Fen


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    org_id: int
    budget_fen: int
    held_fen: int
    spent_fen: int

    @property
    def available_fen(self) -> int:
        return self.budget_fen - self.held_fen - self.spent_fen


class AppIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = Field(default="", max_length=500)
    argv: list[str] = Field(min_length=1, max_length=100, examples=[["{python}", "inputs/train.py"]])
    allow_args: bool = True


class AppRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str
    allow_args: bool


class JobIn(BaseModel):
    """A job request. ``kind`` is a typed AI job (``schedule.solve``, ``monitor.fit`` …) or ``app``."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1, max_length=32, examples=["monitor.fit", "app"])
    name: str = Field(default="", max_length=200)
    app: str | None = Field(default=None, max_length=64, description="registered app (kind=app)")
    args: list[str] = Field(default_factory=list, max_length=100)
    inputs: dict[str, str] = Field(default_factory=dict, description="file name → SHA-256 of an uploaded artifact")
    provider_id: Id | None = Field(default=None, description="omit for the cheapest eligible provider")
    cpus: int = Field(default=1, ge=1, le=100_000)
    gpus: int = Field(default=0, ge=0, le=10_000)
    mem_mb: int = Field(default=1024, ge=1, le=100_000_000)
    time_limit_s: int = Field(default=3600, ge=1, le=366 * 86400)
    # multi-node / MPI shape (issue 20 item 4): cpus are then per task, gpus and mem_mb per node
    nodes: int = Field(default=1, ge=1, le=10_000)
    ntasks: int = Field(default=1, ge=1, le=1_000_000)
    gpu_type: str = Field(default="", max_length=32, pattern=r"^[A-Za-z0-9_.-]*$", examples=["a800"])
    launcher: Literal["", "srun"] = ""

    @property
    def total_cpus(self) -> int:
        return self.cpus * self.ntasks

    @property
    def total_gpus(self) -> int:
        return self.gpus * self.nodes

    @property
    def total_mem_mb(self) -> int:
        return self.mem_mb * self.nodes

    @field_validator("inputs")
    @classmethod
    def _hashes(cls, v: dict[str, str]) -> dict[str, str]:
        for name, sha in v.items():
            if not re.fullmatch(r"[0-9a-f]{64}", sha):
                raise ValueError(f"input {name!r}: {sha!r} is not a SHA-256 hex digest")
        return v


class QuoteRead(BaseModel):
    provider_id: int
    provider_name: str
    rate_card_id: int
    quote_fen: int
    expected_subsidy_fen: int = 0


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    org_id: int
    provider_id: int
    kind: str
    name: str
    status: str
    backend_state: str
    reason: str
    external_id: str | None
    cpus: int
    gpus: int
    mem_mb: int
    time_limit_s: int
    created_at: datetime
    submitted_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    elapsed_s: float
    cpu_s: float
    alloc_cpus: int
    alloc_gpus: int
    alloc_mem_bytes: int
    max_rss_bytes: int
    exit_code: int | None
    quote_fen: int
    hold_fen: int
    expected_subsidy_fen: int
    price_fen: int
    charge_fen: int
    subsidy_fen: int
    bill_id: int | None
    bill_status: str
    inputs: dict[str, str] = Field(default_factory=dict)
    outputs: list[dict[str, Any]] = Field(default_factory=list)


class JobPage(BaseModel):
    data: list[JobRead]
    count: int


class ArtifactRead(BaseModel):
    sha256: str
    size: int
    name: str
