"""Key-enterprise quarterly reports, office estimates, and the embodied-AI robot registry."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yuzhi.db import Base, Fen, IdMixin, OrgScopedMixin, TimestampMixin


class KeyEnterprise(IdMixin, TimestampMixin, Base):
    """An organisation the office designates a key AI enterprise (重点企业): it files quarterly reports."""

    __tablename__ = "kpi_key_enterprises"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    industry: Mapped[str] = mapped_column(String(32))  # one of the plan's seven industries, or 其他
    since_year: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(String(500), default="")


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"  # counted in the industry scale
    RETURNED = "returned"  # sent back to the enterprise for correction


class QuarterlyReport(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """One enterprise's figures for one quarter (flows for the quarter, not year-to-date)."""

    __tablename__ = "kpi_reports"
    __table_args__ = (UniqueConstraint("org_id", "year", "quarter", name="uq_kpi_reports_org_quarter"),)

    year: Mapped[int] = mapped_column(Integer, index=True)
    quarter: Mapped[int] = mapped_column(Integer)
    ai_revenue_fen: Mapped[int] = mapped_column(Fen)
    rd_spend_fen: Mapped[int] = mapped_column(Fen)
    employees: Mapped[int] = mapped_column(Integer)
    ai_products: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.SUBMITTED, index=True)
    flags_json: Mapped[str] = mapped_column(Text, default="[]")  # [[field, message], ...]
    source: Mapped[str] = mapped_column(String(16), default="form")  # form / excel / api
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    office_note: Mapped[str] = mapped_column(String(500), default="")


class Estimate(IdMixin, TimestampMixin, Base):
    """The office's estimate of AI revenue of firms that do not report, for one quarter and group."""

    __tablename__ = "kpi_estimates"
    __table_args__ = (UniqueConstraint("year", "quarter", "industry", "city", name="uq_kpi_estimates_group"),)

    year: Mapped[int] = mapped_column(Integer, index=True)
    quarter: Mapped[int] = mapped_column(Integer)
    industry: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32), default="")
    ai_revenue_fen: Mapped[int] = mapped_column(Fen)
    firms: Mapped[int] = mapped_column(Integer, default=0)
    basis: Mapped[str] = mapped_column(String(500))  # how the estimate was made (sources, method)


class RobotStatus(StrEnum):
    PLANNED = "planned"
    DEPLOYED = "deployed"
    RETIRED = "retired"


class RobotDeployment(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A deployment of embodied-AI robots at an organisation (``org_id`` = the deploying organisation)."""

    __tablename__ = "kpi_robots"

    maker: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(100))
    made_in_henan: Mapped[bool] = mapped_column(default=True)
    sector: Mapped[str] = mapped_column(String(32), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    deployed_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default=RobotStatus.DEPLOYED, index=True)
    site: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
