"""The provider whitelist's table (``providers``; created by the accounts migration, users reference it)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from yuzhi.db import Base, IdMixin, TimestampMixin


class Criterion(StrEnum):
    """The qualifying criterion of the Henan plan a whitelisted provider meets."""

    NATIONAL_SUPERCOMPUTING = "national_supercomputing"  # 国家超算中心 (e.g. 国家超算郑州中心)
    AI_COMPUTING_100PF = "ai_computing_100pf"  # 智算中心 ≥ 100 PFLOPS
    DATA_CENTRE_1000_RACKS = "data_centre_1000_racks"  # 数据中心 ≥ 1,000 standard racks


class ProviderStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Provider(IdMixin, TimestampMixin, Base):
    """A whitelisted compute provider, operated by an organisation (its legal entity, same USCC)."""

    __tablename__ = "providers"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    criterion: Mapped[str] = mapped_column(String(40))
    evidence: Mapped[str] = mapped_column(String(500), default="")  # e.g. "120 PFLOPS FP16, 2025 audit"
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default=ProviderStatus.ACTIVE)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
