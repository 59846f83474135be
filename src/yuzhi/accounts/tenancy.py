"""Tenancy: which rows a caller may see, and which organisation a write lands in — written once.

Why one module: the rule used to be written by hand in each service (four ``_visible`` helpers, two
identical ``_org_for_write``), and the copies had drifted (one let a provider operator without a
provider see rows without one; one compared ``org_id IS NULL`` for callers without an organisation).
Every service now asks these functions, in Python (``can_see``) or in SQL (``scope``), and the
property tests in ``tests/accounts/test_tenancy.py`` check that the two agree with the rule:

* the programme office (admin, reviewer) sees every row;
* a provider operator sees, in a *provider-scoped* table (bills, applications, compute jobs), the
  rows of its own provider only; elsewhere it is an ordinary member of its organisation;
* any other caller sees the rows of its own organisation, and nothing when it has none;
* a table may add rows everyone sees (``also``, e.g. public knowledge bases).

Rows of another tenant are reported as *not found*, never as forbidden, so that ids do not leak.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_

from yuzhi.accounts.actor import Actor
from yuzhi.errors import InvalidInput, NotFound

__all__ = ["can_see", "org_for_write", "org_not_found", "scope", "scope_clause"]

T = TypeVar("T")


def can_see(actor: Actor, org_id: int | None, provider_id: int | None = None, *, by_provider: bool = False) -> bool:
    """May ``actor`` see a row of organisation ``org_id`` (and provider ``provider_id``)?

    ``by_provider`` marks a provider-scoped table: provider operators see its rows by provider."""
    if actor.is_office:
        return True
    if by_provider and actor.is_provider:
        return provider_id is not None and provider_id == actor.provider_id
    return actor.org_id is not None and org_id == actor.org_id


def scope_clause(actor: Actor, model: Any, *, by_provider: bool = False,
                 also: ColumnElement[bool] | None = None) -> ColumnElement[bool] | None:
    """The SQL form of ``can_see`` for ``model``'s rows (``None``: no filter, the office)."""
    if actor.is_office:
        return None
    clause: ColumnElement[bool]
    if by_provider and actor.is_provider:
        clause = model.provider_id == actor.provider_id if actor.provider_id is not None else false()
    elif actor.org_id is not None:
        clause = model.org_id == actor.org_id
    else:
        clause = false()
    return clause if also is None else or_(also, clause)


def scope(stmt: Select[T], model: Any, actor: Actor, *, by_provider: bool = False,
          also: ColumnElement[bool] | None = None) -> Select[T]:
    """``stmt`` restricted to the rows of ``model`` that ``actor`` may see."""
    clause = scope_clause(actor, model, by_provider=by_provider, also=also)
    return stmt if clause is None else stmt.where(clause)


def org_not_found(org_id: int) -> NotFound:
    """The one answer for a missing organisation or another tenant's (ids must not leak)."""
    return NotFound(f"organisation {org_id} not found", field="org_id",
                    key="organisation_not_found", params={"org_id": org_id})


def org_for_write(actor: Actor, org_id: int | None) -> int:
    """The organisation a new row belongs to: the office must name one; members write only to their own."""
    if actor.is_office:
        if org_id is None:
            raise InvalidInput("office users must say which organisation", field="org_id", fix="pass org_id")
        return org_id
    if actor.org_id is None:
        raise InvalidInput("your account belongs to no organisation", field="org_id")
    if org_id is not None and org_id != actor.org_id:
        raise org_not_found(org_id)
    return actor.org_id
