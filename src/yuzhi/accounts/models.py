"""Organisations (tenants), users, API tokens and declared affiliations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yuzhi.db import Base, IdMixin, TimestampMixin, utcnow


class OrgKind(StrEnum):
    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"
    RESEARCH_INSTITUTE = "research_institute"


class OrgStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Organisation(IdMixin, TimestampMixin, Base):
    __tablename__ = "organisations"

    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(6))  # GB/T 2260 code from the USCC
    city: Mapped[str] = mapped_column(String(32))
    industry: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default=OrgStatus.PENDING)
    status_reason: Mapped[str] = mapped_column(String(500), default="")


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh")


class ApiToken(IdMixin, TimestampMixin, Base):
    """Machine credentials (providers push bills). Only a SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked: Mapped[bool] = mapped_column(default=False)
    session: Mapped[bool] = mapped_column(default=False)  # browser login sessions are tokens too
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)  # updated at most once a minute


class LoginFailure(IdMixin, Base):
    """One failed login, kept 15 minutes: throttling counts these per username and per address, in
    the database so that every process of the platform sees the same count."""

    __tablename__ = "login_failures"

    at: Mapped[datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)


class PlatformSetting(Base):
    """A setting the programme office changes at run time (e.g. ``token_max_days``)."""

    __tablename__ = "platform_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Affiliation(IdMixin, TimestampMixin, Base):
    """A declared related-party link (关联关系) between two organisations: no subsidy between them."""

    __tablename__ = "affiliations"
    __table_args__ = (
        UniqueConstraint("org_a_id", "org_b_id"),
        CheckConstraint("org_a_id < org_b_id", name="ordered"),
    )

    org_a_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    org_b_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
