"""API tokens: only the hash is stored; revoked, expired or deactivated credentials stop working."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from tests.factories import make_world

from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import Role
from yuzhi.accounts.models import ApiToken, User
from yuzhi.providers.models import Provider


def test_token_resolves_to_its_caller_and_only_its_hash_is_stored(session):
    w = make_world(session, units=1)
    user = session.scalar(select(User).where(User.username == "provider"))
    row, token = accounts.issue_token(session, user=user, name="billing")
    assert row.token_hash != token and token not in (row.token_hash, row.prefix)
    actor = accounts.actor_for_token(session, token)
    provider = session.get(Provider, w.provider_id)
    assert (actor.role, actor.provider_id, actor.org_id) == (Role.PROVIDER, w.provider_id, provider.org_id)
    unit = session.scalar(select(User).where(User.username == "unit1"))
    _, unit_token = accounts.issue_token(session, user=unit, name="x")
    assert accounts.actor_for_token(session, unit_token).org_id == w.unit_orgs[0]
    assert accounts.actor_for_token(session, token + "x") is None


def test_revoked_expired_and_deactivated_tokens_fail(session):
    make_world(session, units=1)
    user = session.scalar(select(User).where(User.username == "unit1"))
    _, revoked = accounts.issue_token(session, user=user, name="a")
    accounts.revoke_token(session, token=revoked)
    assert accounts.actor_for_token(session, revoked) is None
    row, expired = accounts.issue_token(session, user=user, name="b")
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.flush()
    assert accounts.actor_for_token(session, expired) is None
    _, live = accounts.issue_token(session, user=user, name="c")
    assert accounts.actor_for_token(session, live) is not None
    user.active = False
    session.flush()
    assert accounts.actor_for_token(session, live) is None
    assert session.scalar(select(ApiToken.revoked).where(ApiToken.name == "a")) is True
