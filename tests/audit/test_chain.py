from sqlalchemy import text

from yuzhi.accounts.actor import SYSTEM
from yuzhi.audit import service


def _three(session):
    for i in range(3):
        service.record(session, actor=SYSTEM, action="thing.create", entity="thing", entity_id=i,
                       after={"n": i, "名": "测试"})
    session.commit()


def test_intact_chain_verifies(session):
    _three(session)
    problems, head, count = service.verify_chain(session)
    assert problems == [] and count == 3 and len(head) == 64


def test_edited_row_is_detected(session):
    _three(session)
    session.execute(text("UPDATE audit_events SET after = :v WHERE seq = 2"), {"v": '{"n":99}'})
    session.commit()
    problems, _, _ = service.verify_chain(session)
    assert [(p.seq, "edited" in p.problem) for p in problems] == [(2, True)]


def test_deleted_row_is_detected(session):
    _three(session)
    session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    session.commit()
    problems, _, count = service.verify_chain(session)
    assert count == 2
    assert {p.seq for p in problems} == {3}
    assert any("deleted" in p.problem for p in problems)


def test_deleted_tail_needs_the_recorded_head(session):
    _three(session)
    _, head, _ = service.verify_chain(session)
    session.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    session.commit()
    problems, new_head, _ = service.verify_chain(session)
    assert problems == [] and new_head != head  # only the recorded head reveals it


def test_each_tenant_has_its_own_chain_and_moves_are_detected(session):
    from yuzhi.accounts.actor import Actor, Role
    from yuzhi.audit.models import AuditEvent

    a = Actor(user_id=None, username="a", role=Role.MEMBER, org_id=7)
    b = Actor(user_id=None, username="b", role=Role.MEMBER, org_id=8)
    for actor in (a, b, a):
        service.record(session, actor=actor, action="x", entity="thing", entity_id=1)
    service.record(session, actor=SYSTEM, action="y", entity="programme", entity_id=1)
    session.commit()
    rows = sorted(session.execute(text("SELECT chain, seq FROM audit_events")).all())
    assert [tuple(r) for r in rows] == [(0, 1), (7, 1), (7, 2), (8, 1)]
    assert service.verify_chain(session)[0] == []
    session.execute(text("UPDATE audit_events SET org_id = 8 WHERE chain = 7 AND seq = 2"))
    session.commit()
    problems, _, _ = service.verify_chain(session)
    assert {(p.chain, p.seq) for p in problems} == {(7, 2)}
    assert any("another tenant" in p.problem for p in problems)
    assert session.get(AuditEvent, (7, 2)) is not None
