"""Property tests for the one tenancy helper (``yuzhi.accounts.tenancy``).

For any caller (role, organisation, provider) and any row (organisation, provider):
``can_see`` ⇔ the written rule, and the SQL ``scope`` selects exactly the rows ``can_see`` admits —
on the test database (SQLite, or PostgreSQL with ``YUZHI_TEST_DATABASE_URL``), in a private table.
``org_for_write`` lands every write in the caller's own organisation or refuses it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, select

from yuzhi.accounts.actor import Actor, Role
from yuzhi.accounts.tenancy import can_see, org_for_write, scope
from yuzhi.errors import InvalidInput, NotFound

IDS = st.one_of(st.none(), st.integers(1, 4))
actors = st.builds(lambda role, org, prov: Actor(user_id=1, username="u", role=role, org_id=org, provider_id=prov),
                   st.sampled_from(list(Role)), IDS, IDS)
rows = st.lists(st.tuples(IDS, IDS, st.sampled_from(["public", "org"])), max_size=12)


def rule(actor: Actor, org_id: int | None, provider_id: int | None, by_provider: bool) -> bool:
    """The rule as the issue states it, written independently of the helper."""
    if actor.role in (Role.OFFICE_ADMIN, Role.OFFICE_REVIEWER):
        return True
    if by_provider and actor.role == Role.PROVIDER:
        return actor.provider_id is not None and actor.provider_id == provider_id
    return actor.org_id is not None and actor.org_id == org_id


@given(actors, IDS, IDS, st.booleans())
def test_can_see_is_the_rule(actor: Actor, org_id: int | None, provider_id: int | None, by_provider: bool) -> None:
    assert can_see(actor, org_id, provider_id, by_provider=by_provider) == rule(actor, org_id, provider_id,
                                                                             by_provider)


def test_other_tenants_are_invisible() -> None:
    member = Actor(user_id=1, username="m", role=Role.MEMBER, org_id=1)
    operator = Actor(user_id=2, username="p", role=Role.PROVIDER, org_id=3, provider_id=7)
    lost = Actor(user_id=3, username="x", role=Role.PROVIDER, org_id=None, provider_id=None)
    assert can_see(member, 1) and not can_see(member, 2) and not can_see(member, None)
    assert can_see(operator, 9, 7, by_provider=True) and not can_see(operator, 3, 8, by_provider=True)
    assert can_see(operator, 3) and not can_see(operator, 9, 7)  # not provider-scoped: by organisation
    assert not can_see(lost, None, None, by_provider=True) and not can_see(lost, None)


_meta = MetaData()
_probe = Table("tenancy_probe_e19b", _meta, Column("id", Integer, primary_key=True),
               Column("org_id", Integer, nullable=True), Column("provider_id", Integer, nullable=True),
               Column("scope", String(8), nullable=False))


@pytest.fixture(scope="module")
def probe(_migrated_engine: Engine) -> Iterator[Engine]:
    _meta.create_all(_migrated_engine)
    yield _migrated_engine
    _meta.drop_all(_migrated_engine)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actor=actors, data=rows, by_provider=st.booleans(), public=st.booleans())
def test_sql_scope_selects_what_can_see_admits(probe: Engine, actor: Actor,
                                               data: list[tuple[int | None, int | None, str]],
                                               by_provider: bool, public: bool) -> None:
    c = _probe.c
    with probe.begin() as conn:
        conn.execute(_probe.delete())
        if data:
            conn.execute(_probe.insert(), [{"id": i + 1, "org_id": o, "provider_id": p, "scope": s}
                                           for i, (o, p, s) in enumerate(data)])
        also = (c.scope == "public") if public else None
        got = set(conn.scalars(scope(select(c.id), c, actor, by_provider=by_provider, also=also)))
    want = {i + 1 for i, (o, p, s) in enumerate(data)
            if rule(actor, o, p, by_provider) or (public and s == "public")}
    assert got == want


@given(actors, IDS)
def test_org_for_write_lands_in_the_callers_org_or_refuses(actor: Actor, org_id: int | None) -> None:
    office = actor.role in (Role.OFFICE_ADMIN, Role.OFFICE_REVIEWER)
    try:
        got = org_for_write(actor, org_id)
    except InvalidInput:
        assert (office and org_id is None) or (not office and actor.org_id is None)
    except NotFound:
        assert not office and actor.org_id is not None and org_id not in (None, actor.org_id)
    else:
        assert got == (org_id if office else actor.org_id)
        assert got is not None
