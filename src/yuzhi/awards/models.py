"""Model registry (备案 filings and deployment cases) and the one-off award programme tables.

"Once per model" is also a database invariant: an approved or paid application copies its
``model_id`` into ``awarded_model_id``, which is unique (NULLs are allowed many times), so even a
bug in the service cannot pay the same model twice.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yuzhi.db import Base, Fen, IdMixin, OrgScopedMixin, TimestampMixin


class ModelDomain(StrEnum):
    INDUSTRIAL_VISION = "industrial_vision"  # 工业视觉 / 质检 (中原智造)
    WORK_SAFETY = "work_safety"  # 安全生产 (豫鼎安澜)
    MINING = "mining"  # 矿山 (天信)
    COLD_CHAIN = "cold_chain_logistics"  # 冷链物流 (华鼎雪豹)
    MANUFACTURING = "manufacturing"  # 研发设计 / 生产排程 / 工业软件
    GENERAL = "general"  # 通用大模型
    OTHER = "other"


class ModelStatus(StrEnum):
    SUBMITTED = "submitted"  # registered by the organisation, awaiting office verification
    VERIFIED = "verified"  # the office checked the filing number and date
    REJECTED = "rejected"


class AiModel(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A model an organisation registers, with its 备案 filing (generative-AI service filing)."""

    __tablename__ = "award_models"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_award_models_org_name"),)

    name: Mapped[str] = mapped_column(String(100))
    domain: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(1000), default="")
    filing_no: Mapped[str] = mapped_column(String(64), default="", index=True)
    filing_date: Mapped[date | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default=ModelStatus.SUBMITTED, index=True)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    cases: Mapped[list[DeploymentCase]] = relationship(back_populates="model", order_by="DeploymentCase.id")


class DeploymentCase(IdMixin, TimestampMixin, Base):
    """An application case: who uses the model, for what, and the measured effect."""

    __tablename__ = "award_cases"

    model_id: Mapped[int] = mapped_column(ForeignKey("award_models.id"), index=True)
    customer: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(String(500))
    effect: Mapped[str] = mapped_column(String(500))  # measured effect, e.g. "漏检率 3.1% → 0.4%"
    started_on: Mapped[date | None] = mapped_column(default=None)
    verified: Mapped[bool] = mapped_column(default=False)
    model: Mapped[AiModel] = relationship(back_populates="cases")


class AwardProgrammeStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class AwardProgramme(IdMixin, TimestampMixin, Base):
    """One year's award programme: its own budget (a separate ledger pool) and rules as data."""

    __tablename__ = "award_programmes"

    year: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    budget_fen: Mapped[int] = mapped_column(Fen)
    cap_per_model_fen: Mapped[int] = mapped_column(Fen)
    once_per_model: Mapped[bool] = mapped_column(default=True)
    require_verified_filing: Mapped[bool] = mapped_column(default=True)
    min_cases: Mapped[int] = mapped_column(Integer, default=1)
    pass_score: Mapped[int] = mapped_column(Integer, default=60)
    province_bp: Mapped[int] = mapped_column(Integer, default=10000)
    disclosure_days: Mapped[int] = mapped_column(Integer, default=7)
    criteria_json: Mapped[str] = mapped_column(Text)  # {"criterion": max points}
    status: Mapped[str] = mapped_column(String(16), default=AwardProgrammeStatus.OPEN)
    source: Mapped[str] = mapped_column(String(500), default="")


class AwardStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"  # committed from the pool, on public disclosure (公示) until disclosure_until
    REJECTED = "rejected"
    REVOKED = "revoked"  # approved, then withdrawn before payment (e.g. an upheld objection)
    PAID = "paid"


class AwardApplication(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    __tablename__ = "award_applications"

    programme_id: Mapped[int] = mapped_column(ForeignKey("award_programmes.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("award_models.id"), index=True)
    awarded_model_id: Mapped[int | None] = mapped_column(ForeignKey("award_models.id"), unique=True,
                                                         default=None)
    requested_fen: Mapped[int] = mapped_column(Fen)
    summary: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[str] = mapped_column(String(16), default=AwardStatus.SUBMITTED, index=True)
    scores_json: Mapped[str] = mapped_column(Text, default="{}")
    score: Mapped[int | None] = mapped_column(Integer, default=None)
    granted_fen: Mapped[int] = mapped_column(Fen, default=0)
    review_reason: Mapped[str] = mapped_column(String(1000), default="")
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    disclosure_until: Mapped[datetime | None] = mapped_column(default=None)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    payment_ref: Mapped[str] = mapped_column(String(100), default="")


class AwardObjection(IdMixin, TimestampMixin, Base):
    """An objection lodged against an award on public disclosure (公示期异议); blocks payment until resolved."""

    __tablename__ = "award_objections"

    application_id: Mapped[int] = mapped_column(ForeignKey("award_applications.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open → upheld / dismissed
    resolution: Mapped[str] = mapped_column(String(500), default="")
