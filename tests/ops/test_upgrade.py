"""Upgrades: a database at every earlier generation of migrations, with books in it, upgrades to head
and still proves its books; a database from a newer yuzhi is refused with nothing changed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, inspect, select, text

from tests.factories import approved_quota, code, make_world
from yuzhi.db import alembic_config, make_engine, session_factory
from yuzhi.errors import Conflict
from yuzhi.ops.schema import SchemaStatus, code_heads, schema_state


def earlier_generations() -> list[tuple[str, ...]]:
    """Each branch cut at its k-th migration, for every k below the longest branch: the schemas
    earlier releases shipped (generation 1 is the first release: every branch at its first revision)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    chains = []
    for head in code_heads():  # each branch's own line (down_revision links), oldest first
        own, rev = [], script.get_revision(head)
        while rev is not None:
            own.append(rev.revision)
            rev = script.get_revision(rev.down_revision) if rev.down_revision else None
        chains.append(list(reversed(own)))
    longest = max(len(c) for c in chains)
    return [tuple(sorted(c[min(k, len(c)) - 1] for c in chains)) for k in range(1, longest)]


def _upgrade_to(url: str, revisions: tuple[str, ...]) -> None:
    from alembic import command

    for rev in revisions:  # one at a time: a branch's base may be another's dependency
        command.upgrade(alembic_config(url), rev)


def _books(url: str) -> tuple[int, int, int]:
    from yuzhi.audit.models import AuditEvent
    from yuzhi.vouchers.models import Bill

    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            return (s.scalar(select(func.count(Bill.id))), s.scalar(select(func.sum(Bill.subsidy_fen))),
                    s.scalar(select(func.count()).select_from(AuditEvent)))
    finally:
        engine.dispose()


@pytest.mark.parametrize("generation", range(len(earlier_generations())), ids=lambda g: f"gen{g + 1}")
def test_upgrade_from_an_earlier_release_keeps_the_books(yuzhi_env, generation):
    revisions = earlier_generations()[generation]
    _upgrade_to(yuzhi_env.url, revisions)
    engine = make_engine(yuzhi_env.url)
    assert schema_state(engine).status == SchemaStatus.BEHIND
    # books written by the services at the old schema (the tables they touch are in every release)
    from yuzhi.vouchers import service
    from yuzhi.vouchers.schemas import BillIn

    with session_factory(engine)() as s, s.begin():
        w = make_world(s, units=2)
    # Quotas (ledger postings, audit events) and bills through today's services, which may read tables
    # a very early schema lacks (a bill's customer check reads compute_jobs, added in compute_0002; a
    # review reads the case-file settings of casefile_*); then that generation has no quotas or bills.
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        with session_factory(engine)() as s, s.begin():
            approved_quota(s, w, 0, 3_000_00, contract="C-1")
            approved_quota(s, w, 1, 9_000_00, contract="C-2")
        with session_factory(engine)() as s, s.begin():
            for i, (unit, amount) in enumerate([(1, 1_000_00), (2, 2_500_00), (1, 1_500_00)]):
                service.record_bill(s, actor=w.provider, bill_in=BillIn(
                    invoice_no=f"INV-{i}", customer_uscc=code(unit), period_start=date(2026, 3, 1),
                    period_end=date(2026, 3, 31), amount_fen=amount))
        n_bills = 3
    except (OperationalError, ProgrammingError) as exc:
        assert "no such table" in str(exc) or "does not exist" in str(exc), exc
        n_bills = 0
    engine.dispose()
    before = _books(yuzhi_env.url)
    assert before[0] == n_bills and before[2] > 0

    r = yuzhi_env.run("serve", "--port", "1")  # an older schema is not served without --upgrade
    assert isinstance(r.exception, Conflict) and "yuzhi db upgrade" in str(r.exception)
    r = yuzhi_env.run("db", "upgrade")
    assert r.exit_code == 0, r.output
    r = yuzhi_env.run("db", "current")
    assert r.exit_code == 0 and "at head" in r.output, r.output
    assert _books(yuzhi_env.url) == before
    r = yuzhi_env.run("ledger", "check")
    assert r.exit_code == 0 and "books balance and reconcile" in r.output, r.output
    r = yuzhi_env.run("audit", "verify")
    assert r.exit_code == 0 and "chain intact" in r.output, r.output


def test_first_generation_is_every_branch_at_its_first_migration():
    first = earlier_generations()[0]
    assert all(rev.endswith("_0001") for rev in first), first


def _versions(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))


def test_a_database_from_the_future_is_refused_and_left_alone(yuzhi_env, tmp_path):
    assert yuzhi_env.run("db", "upgrade").exit_code == 0
    engine = make_engine(yuzhi_env.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'vouchers_9001' "
                          "WHERE version_num = (SELECT min(version_num) FROM alembic_version)"))
    tables = sorted(inspect(engine).get_table_names())
    versions = _versions(engine)
    engine.dispose()

    for args in (["db", "upgrade"], ["serve", "--port", "1"]):
        r = yuzhi_env.run(*args)
        assert isinstance(r.exception, Conflict), (args, r.output)
        assert "newer yuzhi" in str(r.exception) and "vouchers_9001" in str(r.exception)
    pw = tmp_path / "pw"
    pw.write_text("granite-lantern-orchard-41")
    r = yuzhi_env.run("init", "--admin", "boss", "--password-file", str(pw))
    assert isinstance(r.exception, Conflict) and "newer yuzhi" in str(r.exception)
    r = yuzhi_env.run("db", "current")
    assert r.exit_code == 1 and "ahead" in r.output

    engine = make_engine(yuzhi_env.url)
    assert sorted(inspect(engine).get_table_names()) == tables
    assert _versions(engine) == versions
    from yuzhi.accounts.models import User

    with session_factory(engine)() as s:
        assert s.scalar(select(func.count(User.id))) == 0
    engine.dispose()


def test_serve_upgrade_flag_upgrades_an_older_schema(yuzhi_env):
    from yuzhi.web.server import check_schema

    _upgrade_to(yuzhi_env.url, earlier_generations()[0])
    with pytest.raises(Conflict, match="older than this yuzhi"):
        check_schema(yuzhi_env.url, upgrade=False)
    check_schema(yuzhi_env.url, upgrade=True)
    engine = make_engine(yuzhi_env.url)
    assert schema_state(engine).status == SchemaStatus.CURRENT
    engine.dispose()
