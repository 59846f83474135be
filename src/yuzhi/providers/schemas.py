"""Provider whitelist payloads (bounded shared types from :mod:`yuzhi.types`)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yuzhi.providers.models import Criterion
from yuzhi.types import Id


class ProviderCreate(BaseModel):
    org_id: Id = Field(description="the provider's legal entity (an organisation registered on the platform)")
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
