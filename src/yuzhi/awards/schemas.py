"""Pydantic I/O for the model registry and awards. Money is integer fen (``*_fen``)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from yuzhi.awards.models import ModelDomain
from yuzhi.awards.rules import DEFAULT_CRITERIA, PLAN_CAP_FEN
from yuzhi.types import BasisPoints, Fen, Id, PositiveFen, ProgrammeYear, StrictDate

PLAN_SOURCE = "河南省推动人工智能赋能新型工业化行动方案（2025—2027年）：备案模型一次性奖补，最高 100 万元"


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: str = Field(min_length=2, max_length=200)
    scenario: str = Field(min_length=2, max_length=500)
    effect: str = Field(min_length=2, max_length=500, description="measured effect, with numbers")
    started_on: StrictDate | None = None


class CaseRead(CaseCreate):
    model_config = ConfigDict(from_attributes=True)
    id: int
    model_id: int
    verified: bool


class ModelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=100)
    domain: ModelDomain
    description: str = Field(default="", max_length=1000)
    filing_no: str = Field(default="", max_length=64, description="备案 filing number; empty if not yet filed")
    filing_date: StrictDate | None = None
    cases: list[CaseCreate] = Field(default_factory=list, max_length=50)
    org_id: Id | None = Field(default=None, description="office only: register on behalf of an organisation")


class ModelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    org_id: int
    name: str
    domain: str
    description: str
    filing_no: str
    filing_date: date | None
    status: str
    status_reason: str
    verified_at: datetime | None
    cases: list[CaseRead]


class Verify(BaseModel):
    approve: bool
    reason: str = Field(default="", max_length=500)
    case_ids: list[int] | None = Field(default=None, description="cases checked; default all of the model's cases")


class AwardProgrammeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: ProgrammeYear
    name: str = Field(min_length=2, max_length=200)
    budget_fen: PositiveFen
    cap_per_model_fen: PositiveFen = PLAN_CAP_FEN
    once_per_model: bool = True
    require_verified_filing: bool = True
    min_cases: int = Field(default=1, ge=0, le=20)
    pass_score: int = Field(default=60, gt=0)
    province_bp: BasisPoints = 10000
    disclosure_days: int = Field(default=7, ge=0, le=60)
    criteria: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_CRITERIA))
    source: str = Field(default=PLAN_SOURCE, max_length=500)


class AwardProgrammeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    year: int
    name: str
    budget_fen: int
    cap_per_model_fen: int
    once_per_model: bool
    require_verified_filing: bool
    min_cases: int
    pass_score: int
    province_bp: int
    disclosure_days: int
    criteria: dict[str, int]
    status: str
    source: str
    committed_fen: int = 0
    paid_fen: int = 0
    remaining_fen: int = 0


class AwardApply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: ProgrammeYear
    model_id: Id
    requested_fen: PositiveFen
    summary: str = Field(default="", max_length=2000)


class AwardReview(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    scores: dict[str, int] = Field(default_factory=dict, description="one score per programme criterion")
    amount_fen: Fen | None = Field(default=None, description="defaults to the maximum allowed")
    reason: str = Field(min_length=2, max_length=1000, description="why: shown to the applicant and audited")


class AwardApplicationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    org_id: int
    programme_id: int
    model_id: int
    requested_fen: int
    summary: str
    status: str
    scores: dict[str, int]
    score: int | None
    granted_fen: int
    review_reason: str
    reviewed_at: datetime | None
    disclosure_until: datetime | None
    paid_at: datetime | None
    payment_ref: str
    created_at: datetime


class Revoke(BaseModel):
    reason: str = Field(min_length=2, max_length=1000)


class Pay(BaseModel):
    payment_ref: str = Field(min_length=2, max_length=100)


class DisclosureRow(BaseModel):
    application_id: int
    year: int
    organisation: str
    model: str
    domain: str
    filing_no: str
    score: int | None
    granted_fen: int
    status: str
    disclosure_until: datetime | None


class ObjectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=5, max_length=2000)
    submitted_by: str = Field(default="public", max_length=100)


class ObjectionResolve(BaseModel):
    uphold: bool
    resolution: str = Field(min_length=2, max_length=500)


class ObjectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    application_id: int
    submitted_by: str
    text: str
    status: str
    resolution: str
    created_at: datetime
