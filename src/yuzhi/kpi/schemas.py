"""Pydantic I/O for enterprise reporting, estimates, robots and the dashboard. Money is integer fen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yuzhi.kpi.core import INDUSTRIES, OTHER_INDUSTRY, ROBOT_SECTORS
from yuzhi.types import Fen, Id, ReportYear, StrictDate


def _industry(v: str) -> str:
    v = v.strip()
    if v not in INDUSTRIES and v != OTHER_INDUSTRY:
        raise ValueError(f"unknown industry {v!r}; use one of {[*INDUSTRIES, OTHER_INDUSTRY]}")
    return v


class KeyEnterpriseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Id
    industry: str
    since_year: ReportYear = 2024
    note: str = Field(default="", max_length=500)

    _check_industry = field_validator("industry")(_industry)


class KeyEnterpriseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    org_id: int
    industry: str
    since_year: int
    active: bool


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: ReportYear
    quarter: int = Field(ge=1, le=4)
    ai_revenue_fen: Fen
    rd_spend_fen: Fen
    employees: int = Field(ge=0, le=10_000_000)
    ai_products: int = Field(ge=0, le=1_000_000)
    org_id: Id | None = Field(default=None, description="office only: file on behalf of an enterprise")


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    org_id: int
    year: int
    quarter: int
    ai_revenue_fen: int
    rd_spend_fen: int
    employees: int
    ai_products: int
    status: str
    flags: list[tuple[str, str]]
    source: str
    confirmed_at: datetime | None
    office_note: str
    created_at: datetime


class Decision(BaseModel):
    note: str = Field(default="", max_length=500)


class EstimateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: ReportYear
    quarter: int = Field(ge=1, le=4)
    industry: str
    city: str = Field(default="", max_length=32)
    ai_revenue_fen: Fen
    firms: int = Field(default=0, ge=0)
    basis: str = Field(min_length=4, max_length=500, description="method and sources of the estimate")

    _check_industry = field_validator("industry")(_industry)


class EstimateRead(EstimateIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


class RobotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    maker: str = Field(min_length=2, max_length=200)
    model: str = Field(min_length=1, max_length=100)
    made_in_henan: bool = True
    sector: str
    quantity: int = Field(default=1, ge=1, le=100_000)
    deployed_on: StrictDate
    status: Literal["planned", "deployed", "retired"] = "deployed"
    site: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=500)
    org_id: Id | None = Field(default=None, description="office only: register for a deploying organisation")

    @field_validator("sector")
    @classmethod
    def _sector(cls, v: str) -> str:
        if v not in ROBOT_SECTORS:
            raise ValueError(f"unknown sector {v!r}; use one of {list(ROBOT_SECTORS)}")
        return v


class RobotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    org_id: int
    maker: str
    model: str
    made_in_henan: bool
    sector: str
    quantity: int
    deployed_on: date
    status: str
    site: str
    note: str


class RobotStatusIn(BaseModel):
    status: Literal["planned", "deployed", "retired"]
    note: str = Field(default="", max_length=500)
