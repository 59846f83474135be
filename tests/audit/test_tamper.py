"""The six ways to tamper with the records that ``yuzhi audit verify`` must catch (issue 13, item 5).

Each test builds a real world (units, a provider, quotas, bills with subsidies: ledger transactions
and audit events), lets the platform anchor its heads as ``yuzhi serve`` does, tampers with the
database the way a database administrator could, and runs the real ``yuzhi audit verify``.
"""

from __future__ import annotations

import json
import os
from datetime import date

import pytest
from sqlalchemy import text
from tests.factories import approved_quota, code, make_world
from typer.testing import CliRunner

from yuzhi.audit import service as audit
from yuzhi.audit.anchor import AnchorStore, KeyRing
from yuzhi.audit.chain import GENESIS, EventFields, event_hash
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.schemas import BillIn


@pytest.fixture
def store(tmp_path) -> AnchorStore:
    return AnchorStore(tmp_path / "audit" / "anchors.jsonl", KeyRing.load(tmp_path / "keys" / "audit-anchor.keys"))


def _world_with_bills(engine, session, store):
    w = make_world(session, units=2)
    approved_quota(session, w, 0, 500_000_00, contract="C-0")
    approved_quota(session, w, 1, 500_000_00, contract="C-1")
    for i in range(4):
        vouchers.record_bill(session, actor=w.provider, bill_in=BillIn(
            invoice_no=f"T-{i}", customer_uscc=code(i % 2 + 1), period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 28), amount_fen=10_000_00 * (i + 1)))
    session.commit()
    assert audit.anchor(engine, store) is not None
    problems, _, count = audit.verify_chain(session, anchors=store)
    assert problems == [] and count > 10
    session.commit()  # SQLite: every transaction holds the write lock (BEGIN IMMEDIATE)
    return w


def _tenant_chain(session, w) -> int:
    """The first unit's chain: its registration, approval, quota and bills (with ledger events)."""
    return w.unit_orgs[0]


def _verify_cli(store: AnchorStore, engine, monkeypatch) -> tuple[int, str]:
    """The real ``yuzhi audit verify`` against this database and anchor store."""
    from yuzhi.cli import app
    from yuzhi.config import get_settings
    from yuzhi.db import get_engine

    monkeypatch.setenv("YUZHI_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("YUZHI_AUDIT_ANCHOR_FILE", str(store.path))
    monkeypatch.setenv("YUZHI_AUDIT_KEY_FILE", str(store.keys.path))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        result = CliRunner().invoke(app, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_untouched_records_verify(engine, session, store, monkeypatch):
    _world_with_bills(engine, session, store)
    rc, out = _verify_cli(store, engine, monkeypatch)
    assert rc == 0, out
    assert "chain intact" in out and "signed anchors" in out


def test_edited_event(engine, session, store, monkeypatch):
    w = _world_with_bills(engine, session, store)
    session.execute(text("UPDATE audit_events SET after = :v WHERE chain = :c AND seq = 2"),
                    {"v": '{"amount_fen":1}', "c": _tenant_chain(session, w)})
    session.commit()
    rc, out = _verify_cli(store, engine, monkeypatch)
    assert rc == 1 and "row edited" in out


def test_deleted_middle_event(engine, session, store, monkeypatch):
    w = _world_with_bills(engine, session, store)
    session.execute(text("DELETE FROM audit_events WHERE chain = :c AND seq = 2"), {"c": _tenant_chain(session, w)})
    session.commit()
    rc, out = _verify_cli(store, engine, monkeypatch)
    assert rc == 1 and "deleted" in out


def test_deleted_newest_event(engine, session, store, monkeypatch):
    w = _world_with_bills(engine, session, store)
    chain = _tenant_chain(session, w)
    session.execute(text("DELETE FROM audit_events WHERE chain = :c AND seq = (SELECT MAX(seq) FROM audit_events "
                         "WHERE chain = :c)"), {"c": chain})
    session.commit()
    problems, _, _ = audit.verify_chain(session, ledger=False)
    assert problems == []  # the chain alone cannot tell: only the anchor does
    session.commit()
    rc, out = _verify_cli(store, engine, monkeypatch)
    assert rc == 1 and "newest events were removed" in out


def test_deleted_chain(engine, session, store, monkeypatch):
    w = _world_with_bills(engine, session, store)
    session.execute(text("DELETE FROM audit_events WHERE chain = :c"), {"c": w.unit_orgs[1]})
    session.commit()
    rc, out = _verify_cli(store, engine, monkeypatch)
    assert rc == 1 and "whole chain was removed" in out


def _rehash(session, chain: int) -> None:
    """Rewrite one event and recompute every hash after it, as an attacker with the code would."""
    from sqlalchemy import select

    from yuzhi.audit.models import AuditEvent

    rows = session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)).all()
    updates, prev = [], GENESIS
    for r in rows:
        after = '{"amount_fen":1}' if r.seq == 2 else r.after
        digest = event_hash(prev, EventFields(r.seq, r.at, r.actor, r.actor_user_id, r.org_id, r.action, r.entity,
                                              r.entity_id, r.before, after))
        updates.append({"a": after, "p": prev, "h": digest, "c": chain, "s": r.seq})
        prev = digest
    session.expunge_all()
    session.execute(text("UPDATE audit_events SET hash = substr('x' || hash, 1, 64) WHERE chain = :c"), {"c": chain})
    for u in updates:
        session.execute(text("UPDATE audit_events SET after = :a, prev_hash = :p, hash = :h "
                             "WHERE chain = :c AND seq = :s"), u)
    session.commit()


def test_rewritten_and_rehashed_chain(engine, session, store, monkeypatch):
    w = _world_with_bills(engine, session, store)
    chain = _tenant_chain(session, w)
    _rehash(session, chain)
    problems, _, _ = audit.verify_chain(session, ledger=False)
    assert problems == []  # internally consistent again: only the anchor tells
    session.commit()
    rc, out = _verify_cli(store, engine, monkeypatch)
    assert rc == 1 and "rewritten and rehashed" in out


def test_ledger_row_changed_behind_the_platforms_back(engine, session, store, monkeypatch):
    _world_with_bills(engine, session, store)
    txn = session.execute(text("SELECT txn_id FROM ledger_entries WHERE account LIKE 'payable:%' "
                               "ORDER BY id DESC LIMIT 1")).scalar_one()
    session.execute(text("UPDATE ledger_entries SET amount = amount + 100 WHERE txn_id = :t AND account LIKE "
                         "'payable:%'"), {"t": txn})
    session.execute(text("UPDATE ledger_entries SET amount = amount - 100 WHERE txn_id = :t AND account LIKE "
                         "'quota:%'"), {"t": txn})  # still balanced: `ledger check` alone would not see it
    session.commit()
    rc, out = _verify_cli(store, engine, monkeypatch)
    assert rc == 1 and f"ledger transaction {txn}" in out and "was changed" in out


def test_ledger_rows_added_or_deleted_are_detected(engine, session, store):
    _world_with_bills(engine, session, store)
    session.execute(text("INSERT INTO ledger_txns (id, at, year, kind, ref, memo) VALUES "
                         "(9999, '2026-03-01 00:00:00', 2026, 'subsidy', 'bill:x', '')"))
    last = session.execute(text("SELECT MAX(id) FROM ledger_txns WHERE id < 9999")).scalar_one()
    session.execute(text("DELETE FROM ledger_entries WHERE txn_id = :t"), {"t": last})
    session.execute(text("DELETE FROM ledger_txns WHERE id = :t"), {"t": last})
    session.commit()
    problems = [p.problem for p in audit.verify_chain(session, anchors=store)[0]]
    assert any("9999" in p and "not in the audit chain" in p for p in problems)
    assert any(f"ledger transaction {last} recorded" in p and "deleted" in p for p in problems)


def test_forged_or_trimmed_anchor_file_is_detected(engine, session, store):
    w = _world_with_bills(engine, session, store)
    vouchers.record_bill(session, actor=w.provider, bill_in=BillIn(
        invoice_no="T-late", customer_uscc=code(1), period_start=date(2026, 4, 1), period_end=date(2026, 4, 28),
        amount_fen=1_000_00))
    session.commit()
    assert audit.anchor(engine, store) is not None
    lines = store.path.read_text().splitlines()
    assert len(lines) == 2
    forged = json.loads(lines[1])
    forged["combined"] = "0" * 64
    store.path.write_text(lines[0] + "\n" + json.dumps(forged) + "\n")
    assert any("signature does not match" in p.problem for p in audit.verify_chain(session, anchors=store)[0])
    store.path.write_text(lines[1] + "\n")  # the first line removed
    assert any("does not follow" in p.problem for p in audit.verify_chain(session, anchors=store)[0])


def test_nothing_moved_writes_no_anchor_and_rotation_keeps_old_anchors_valid(engine, session, store):
    w = _world_with_bills(engine, session, store)
    assert audit.anchor(engine, store) is None
    old = store.keys.signing_key()
    new = store.keys.rotate()
    assert new.kid != old.kid and oct(os.stat(store.keys.path).st_mode & 0o777) == "0o600"
    vouchers.record_bill(session, actor=w.provider, bill_in=BillIn(
        invoice_no="T-rot", customer_uscc=code(2), period_start=date(2026, 4, 1), period_end=date(2026, 4, 28),
        amount_fen=1_000_00))
    session.commit()
    cp = audit.anchor(engine, store)
    assert cp is not None and cp.kid == new.kid and list(cp.heads) == [w.unit_orgs[1]]
    reloaded = AnchorStore(store.path, KeyRing.load(store.keys.path))
    assert audit.verify_chain(session, anchors=reloaded)[0] == []
    without_old = AnchorStore(store.path, KeyRing.load(store.keys.path))
    without_old.keys.keys = [k for k in without_old.keys.keys if k.kid != old.kid]
    assert any("unknown key" in p.problem for p in audit.verify_chain(session, anchors=without_old)[0])


def test_the_serve_thread_anchors_after_a_write(engine, session, store):
    w = make_world(session, units=1)
    session.commit()
    _thread, stop = audit.start_anchoring(engine, store, every_s=30, settle_s=0.05)
    try:
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and store.read().count == 0:
            time.sleep(0.05)
        first = store.read().count
        assert first >= 1  # the commits above woke it
        approved_quota(session, w, 0, 1_000_00, contract="C-x")
        session.commit()
        while time.monotonic() < deadline and store.read().count == first:
            time.sleep(0.05)
        assert store.read().count == first + 1
    finally:
        stop()
        _thread.join(5)
    assert audit.verify_chain(session, anchors=store)[0] == []


def test_ledger_from_before_the_coverage_is_adopted_once(engine, session, store):
    _world_with_bills(engine, session, store)
    session.execute(text("DELETE FROM audit_events WHERE entity = 'ledger_txn'"))  # as an old release wrote it
    session.commit()
    problems = [p.problem for p in audit.verify_chain(session, anchors=None)[0]]
    assert any("not in the audit chain" in p for p in problems)
    n = audit.adopt_ledger(session)
    session.commit()
    assert n > 0 and audit.adopt_ledger(session) == 0
    session.commit()
    remaining = [p.problem for p in audit.verify_chain(session, anchors=None)[0]]
    assert not any("ledger" in p for p in remaining)
