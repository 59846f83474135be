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
