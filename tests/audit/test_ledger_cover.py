"""Every ledger transaction joins the audit chain, in the tenant chain of the record that caused it,
whether or not an audit event follows it in the same transaction."""

from __future__ import annotations

import json

from sqlalchemy import select

from yuzhi.accounts.actor import SYSTEM, Actor, Role
from yuzhi.audit import service as audit
from yuzhi.audit.models import AuditEvent
from yuzhi.ledger import service as ledger
from yuzhi.ledger.core import transfer


def _fund(year: int, amount: int, ref: str = ""):  # type: ignore[no-untyped-def]
    return transfer("fund", year, debit=f"pool:{year}", credit=f"funding:{year}:province", amount=amount, ref=ref)


def test_ledger_events_follow_the_record_that_caused_them(session):
    unit = Actor(user_id=None, username="u", role=Role.MEMBER, org_id=7)
    (tid,) = ledger.post_many(session, [_fund(2026, 500, ref="bill:41")])
    audit.record(session, actor=unit, action="bill.record", entity="bill", entity_id=41, org_id=7)
    session.commit()
    ev = session.scalars(select(AuditEvent).where(AuditEvent.entity == "ledger_txn")).one()
    assert (ev.chain, ev.entity_id, ev.action) == (7, str(tid), "ledger.post")
    assert len(json.loads(ev.after)["digest"]) == 64
    assert audit.verify_chain(session)[0] == []


def test_leftovers_join_at_commit_and_rolled_back_savepoints_are_left_out(session):
    audit.record(session, actor=SYSTEM, action="x", entity="thing", entity_id=1)
    kept = ledger.post(session, _fund(2026, 100))  # after the last event of the transaction
    sp = session.begin_nested()
    gone = ledger.post(session, _fund(2026, 200))
    sp.rollback()
    session.commit()
    ids = set(session.scalars(select(AuditEvent.entity_id).where(AuditEvent.entity == "ledger_txn")))
    assert ids == {str(kept)} and str(gone) not in ids
    assert audit.verify_chain(session)[0] == []
