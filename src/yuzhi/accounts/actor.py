"""Who is calling: the identity every service takes to scope its queries (tenancy)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OFFICE_ADMIN = "office_admin"  # programme office: rules, budgets, settlement
    OFFICE_REVIEWER = "office_reviewer"  # programme office: reviews applications
    MEMBER = "member"  # member of an enterprise / university / research institute
    PROVIDER = "provider"  # operator of a whitelisted compute provider


@dataclass(frozen=True)
class Actor:
    """The authenticated caller. ``org_id`` is the tenant; office users have none."""

    user_id: int | None
    username: str
    role: Role
    org_id: int | None = None
    provider_id: int | None = None  # set for provider operators: the provider they run

    @property
    def is_provider(self) -> bool:
        return self.role == Role.PROVIDER

    @property
    def is_office(self) -> bool:
        return self.role in (Role.OFFICE_ADMIN, Role.OFFICE_REVIEWER)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.OFFICE_ADMIN

    @property
    def label(self) -> str:
        return f"{self.username}({self.role.value})"


#: The identity used by system jobs (demo loader, migrations, year-end close run from the CLI).
SYSTEM = Actor(user_id=None, username="system", role=Role.OFFICE_ADMIN, org_id=None)
