"""Pydantic I/O for organisations, users and tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from yuzhi.accounts.models import OrgKind


class OrgCreate(BaseModel):
    uscc: str = Field(min_length=1, max_length=32, description="18-character Unified Social Credit Code")
    name: str = Field(min_length=2, max_length=200)
    kind: OrgKind
    industry: str = Field(default="", max_length=64)


class OrgRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    uscc: str
    name: str
    kind: str
    region: str
    city: str
    industry: str
    status: str
    status_reason: str


class OrgDecision(BaseModel):
    approve: bool
    reason: str = Field(default="", max_length=500)


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    display_name: str = Field(default="", max_length=100)
    role: str
    org_id: int | None = None
    provider_id: int | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: str
    org_id: int | None
    provider_id: int | None
    active: bool


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    days: int | None = Field(default=365, ge=1, le=3650)


class TokenIssued(BaseModel):
    id: int
    name: str
    token: str = Field(description="shown once; only its hash is stored")
    expires_at: datetime | None


class LoginIn(BaseModel):
    username: str
    password: str


class AffiliationCreate(BaseModel):
    org_a_id: int
    org_b_id: int
    note: str = Field(default="", max_length=500)


class TokenRead(BaseModel):
    """A token or login session as listed: never the secret, only its first characters."""

    id: int
    name: str
    prefix: str = Field(description="first characters of the token, to recognise it")
    kind: str = Field(description="api (issued for a program) or session (a browser login)")
    username: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="updated at most once a minute")
    revoked: bool


class TokenPolicy(BaseModel):
    max_days: int = Field(ge=1, le=3650, description="longest life of an API token, in days")
