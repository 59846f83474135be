"""The provider whitelist: the office qualifies a provider under one of the plan's criteria for a
validity period, and can suspend it. Only whitelisted, active, in-validity providers generate subsidy.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import Organisation
from yuzhi.audit.service import record
from yuzhi.compute.models import Criterion, Provider, ProviderStatus
from yuzhi.errors import Conflict, Forbidden, InvalidInput, NotFound


class ProviderCreate(BaseModel):
    org_id: int = Field(description="the provider's legal entity (an organisation registered on the platform)")
    name: str = Field(min_length=2, max_length=200)
    criterion: Criterion
    evidence: str = Field(default="", max_length=500)
    valid_from: date
    valid_to: date

    @model_validator(mode="after")
    def _dates(self) -> ProviderCreate:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from; the whitelist period must not be empty")
        return self


class ProviderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    org_id: int
    name: str
    criterion: str
    evidence: str
    valid_from: date
    valid_to: date
    status: str
    status_reason: str


def _snap(p: Provider) -> dict[str, object]:
    return {"name": p.name, "criterion": p.criterion, "valid_from": p.valid_from, "valid_to": p.valid_to,
            "status": p.status, "reason": p.status_reason}


def whitelist(session: Session, *, actor: Actor, provider_in: ProviderCreate) -> Provider:
    if not actor.is_admin:
        raise Forbidden("only an office administrator whitelists providers")
    if session.get(Organisation, provider_in.org_id) is None:
        raise NotFound(f"organisation {provider_in.org_id} not found", field="org_id",
                       fix="register the provider's legal entity as an organisation first")
    if session.scalar(select(Provider.id).where(Provider.name == provider_in.name)) is not None:
        raise Conflict(f"a provider named {provider_in.name!r} exists", field="name")
    p = Provider(**provider_in.model_dump())
    p.criterion = provider_in.criterion.value
    session.add(p)
    session.flush()
    record(session, actor=actor, action="provider.whitelist", entity="provider", entity_id=p.id, after=_snap(p))
    return p


def set_status(session: Session, *, actor: Actor, provider_id: int, active: bool, reason: str = "") -> Provider:
    if not actor.is_admin:
        raise Forbidden("only an office administrator suspends or restores providers")
    p = get(session, provider_id=provider_id)
    if not active and not reason.strip():
        raise InvalidInput("a suspension needs a reason", field="reason")
    before = _snap(p)
    p.status = ProviderStatus.ACTIVE if active else ProviderStatus.SUSPENDED
    p.status_reason = reason.strip()
    session.flush()
    record(session, actor=actor, action="provider.resume" if active else "provider.suspend", entity="provider",
           entity_id=p.id, before=before, after=_snap(p))
    return p


def get(session: Session, *, provider_id: int) -> Provider:
    p = session.get(Provider, provider_id)
    if p is None:
        raise NotFound(f"provider {provider_id} not found", field="provider_id",
                       fix="pick a provider from the whitelist (GET /api/compute/providers)")
    return p


def list_all(session: Session) -> list[Provider]:
    """The whitelist is public information."""
    return list(session.scalars(select(Provider).order_by(Provider.id)))


def qualification_problem(p: Provider, *, start: date, end: date) -> str | None:
    """Why ``p`` cannot generate subsidy for usage in [start, end], or None when it can."""
    if p.status != ProviderStatus.ACTIVE:
        return f"provider {p.name} is suspended ({p.status_reason or 'no reason given'})"
    if start < p.valid_from or end > p.valid_to:
        return (f"usage {start}..{end} is outside the provider's whitelist period "
                f"{p.valid_from}..{p.valid_to}")
    return None
