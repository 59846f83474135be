"""Pydantic I/O for stored plans."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from yuzhi.schedule.objectives import OBJECTIVES


class PlanCreate(BaseModel):
    """Solve options for a new plan (the instance comes as a file or a JSON problem)."""

    name: str = Field("plan", max_length=200)
    objective: str = Field("makespan", description=", ".join(OBJECTIVES))
    time_limit: float = Field(10.0, gt=0, le=600)
    workers: int = Field(2, ge=1, le=64)
    org_id: int | None = None


class PlanRead(BaseModel):
    """A stored plan without the (large) problem and schedule."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    name: str
    objective: str
    status: str
    objective_value: int | None
    lower_bound: int | None
    makespan: int | None
    n_orders: int
    n_machines: int
    runtime_s: float
    reason: str
    created_at: datetime


class PlanDetail(PlanRead):
    """A stored plan with its ``schedule.json`` document."""

    schedule: dict
