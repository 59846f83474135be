"""``yuzhi init``: schema and first office administrator on an empty database, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from yuzhi.errors import Conflict, InvalidInput
from yuzhi.ops.passwords import password_problems

STRONG = "granite-lantern-orchard-41"


def _users(url: str) -> list[tuple[str, str]]:
    from yuzhi.accounts.models import User
    from yuzhi.db import make_engine, session_factory

    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            return [(u.username, u.role) for u in s.scalars(select(User).order_by(User.id))]
    finally:
        engine.dispose()


def _audit_actions(url: str) -> list[str]:
    from yuzhi.audit.models import AuditEvent
    from yuzhi.db import make_engine, session_factory

    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.chain, AuditEvent.seq)))
    finally:
        engine.dispose()


def test_init_from_password_file_then_refuses_a_second_admin_unless_forced(yuzhi_env, tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text(STRONG + "\nsecond line is ignored\n")
    r = yuzhi_env.run("init", "--admin", "office.boss", "--password-file", str(pw))
    assert r.exit_code == 0, r.output
    assert STRONG not in r.output  # never echoed
    assert _users(yuzhi_env.url) == [("office.boss", "office_admin")]
    assert _audit_actions(yuzhi_env.url) == ["user.create", "admin.init"]
    # the password works for a login
    from yuzhi.accounts.models import User
    from yuzhi.accounts.security import verify_password
    from yuzhi.db import make_engine, session_factory

    engine = make_engine(yuzhi_env.url)
    with session_factory(engine)() as s:
        assert verify_password(STRONG, s.scalar(select(User.password_hash)))
        assert not verify_password(STRONG + "x", s.scalar(select(User.password_hash)))
    engine.dispose()

    r = yuzhi_env.run("init", "--admin", "second", "--password-file", str(pw))
    assert isinstance(r.exception, Conflict), r.output
    assert "office.boss" in str(r.exception) and "--force" in str(r.exception)
    assert _users(yuzhi_env.url) == [("office.boss", "office_admin")]

    r = yuzhi_env.run("init", "--admin", "second", "--password-file", str(pw), "--force")
    assert r.exit_code == 0, r.output
    assert [u for u, _ in _users(yuzhi_env.url)] == ["office.boss", "second"]
    assert _audit_actions(yuzhi_env.url)[-1] == "admin.init_forced"
    assert yuzhi_env.run("audit", "verify").exit_code == 0
    assert yuzhi_env.run("db", "current").exit_code == 0


def test_init_prompts_hidden_with_confirmation(yuzhi_env):
    r = yuzhi_env.run("init", "--admin", "boss", input=f"{STRONG}\n{STRONG}\n")
    assert r.exit_code == 0, r.output
    assert STRONG not in r.output
    assert _users(yuzhi_env.url) == [("boss", "office_admin")]


@pytest.mark.parametrize("weak,reason", [
    ("short1!", "at least 12"),
    ("password1234", "most common"),
    ("12345678901234", "keyboard or alphabet run"),
    ("aaaaaaaaaaaaaaaa", "repeats"),
    ("xx-boss-xx-2026-boss", "contains the username"),
])
def test_weak_password_is_refused_and_nothing_is_created(yuzhi_env, tmp_path, weak, reason):
    pw = tmp_path / "pw.txt"
    pw.write_text(weak + "\n")
    r = yuzhi_env.run("init", "--admin", "boss", "--password-file", str(pw))
    assert isinstance(r.exception, InvalidInput), r.output
    assert reason in str(r.exception)
    assert weak not in str(r.exception)
    from yuzhi.db import make_engine
    from yuzhi.ops.schema import SchemaStatus, schema_state

    engine = make_engine(yuzhi_env.url)
    assert schema_state(engine).status == SchemaStatus.EMPTY  # nothing was written, not even the schema
    engine.dispose()


def test_bad_password_file_and_username_are_clear_errors(yuzhi_env, tmp_path):
    r = yuzhi_env.run("init", "--admin", "boss", "--password-file", str(tmp_path / "missing.txt"))
    assert isinstance(r.exception, InvalidInput) and "does not exist" in str(r.exception)
    empty = tmp_path / "empty.txt"
    empty.write_text("\nsecret-on-second-line-is-not-read\n")
    r = yuzhi_env.run("init", "--admin", "boss", "--password-file", str(empty))
    assert isinstance(r.exception, InvalidInput) and "empty first line" in str(r.exception)
    good = tmp_path / "pw.txt"
    good.write_text(STRONG)
    r = yuzhi_env.run("init", "--admin", "no spaces allowed", "--password-file", str(good))
    assert isinstance(r.exception, InvalidInput) and "username" in str(r.exception)


def test_password_rules_accept_passphrases():
    assert password_problems(STRONG, username="boss") == []
    assert password_problems("Zq8!vR2#mT5@", username="boss") == []
    assert password_problems(" " + STRONG, username="boss") != []


def test_serve_refuses_an_empty_database(yuzhi_env):
    r = yuzhi_env.run("serve", "--port", "1")
    assert isinstance(r.exception, Conflict) and "yuzhi init" in str(r.exception)


def test_admin_count_is_one_after_init_on_existing_schema(yuzhi_env, tmp_path):
    """A database migrated earlier (``yuzhi db upgrade``) but without users still takes ``init``."""
    assert yuzhi_env.run("db", "upgrade").exit_code == 0
    pw = tmp_path / "pw.txt"
    pw.write_text(STRONG)
    assert yuzhi_env.run("init", "--admin", "boss", "--password-file", str(pw)).exit_code == 0
    from yuzhi.accounts.models import User
    from yuzhi.db import make_engine, session_factory

    engine = make_engine(yuzhi_env.url)
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1
    engine.dispose()
