"""Audit anchoring runs in one process among many: the leader lock decides which one writes checkpoints."""

from __future__ import annotations

import time

from yuzhi.accounts.actor import SYSTEM
from yuzhi.audit import service as audit
from yuzhi.audit.anchor import AnchorStore, KeyRing
from yuzhi.db import make_engine, migrate, session_factory
from yuzhi.ops.leader import Leader


def _event(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    with session_factory(engine)() as s, s.begin():
        audit.record(s, actor=SYSTEM, action="ops.test", entity="ops", entity_id=n, after={"n": n})


def _wait(pred, limit_s: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_only_the_leader_anchors_and_a_follower_takes_over(fresh_url, tmp_path):
    migrate(fresh_url)
    engines = [make_engine(fresh_url), make_engine(fresh_url)]
    keys = tmp_path / "keys.json"
    # two processes (or hosts) with their own anchor files: without the lock both would write
    stores = [AnchorStore(tmp_path / f"anchors-{i}.jsonl", KeyRing.load(keys)) for i in range(2)]
    leaders = [Leader(e, "audit-anchor") for e in engines]
    runs = [audit.start_anchoring(e, st, every_s=0.2, settle_s=0.01, leader=ld)
            for e, st, ld in zip(engines, stores, leaders, strict=True)]
    try:
        _event(engines[0], 1)
        assert _wait(lambda: sum(st.read().count for st in stores) >= 1)
        time.sleep(1.0)  # several rounds of both threads
        counts = [st.read().count for st in stores]
        assert sorted(c > 0 for c in counts) == [False, True], counts  # exactly one process anchored
        lead = counts.index(max(counts))
        thread, stop = runs[lead]
        stop()
        thread.join(10)
        assert not leaders[lead].is_leader  # stopping gave the lead back
        follower = 1 - lead
        _event(engines[follower], 2)
        assert _wait(lambda: stores[follower].read().count >= 1)  # the other one took over
        assert stores[follower].read().problems == []
    finally:
        for thread, stop in runs:
            stop()
            thread.join(10)
        for e in engines:
            e.dispose()
