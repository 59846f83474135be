"""Leader election: exactly one holder per name across connections (PostgreSQL) or processes (SQLite)."""

from __future__ import annotations

import subprocess
import sys

from yuzhi.db import make_engine
from yuzhi.ops.leader import Leader, leader_elsewhere


def test_one_leader_at_a_time_and_hand_over(fresh_url):
    a_engine, b_engine = make_engine(fresh_url), make_engine(fresh_url)
    if a_engine.dialect.name == "sqlite":
        with a_engine.connect():
            pass  # create the file
    a, b = Leader(a_engine, "dispatcher"), Leader(b_engine, "dispatcher")
    try:
        assert leader_elsewhere(a_engine) is False
        assert a.acquire() is True
        assert a.acquire() is True  # stays leader
        if a_engine.dialect.name == "postgresql":
            assert b.acquire() is False  # another connection cannot take it
            assert leader_elsewhere(b_engine) is True
        else:  # flock is per open file: prove it from another process
            code = ("import sys; from yuzhi.db import make_engine; from yuzhi.ops.leader import Leader; "
                    f"sys.exit(0 if Leader(make_engine({fresh_url!r}), 'dispatcher').acquire() else 3)")
            assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 3
            assert leader_elsewhere(b_engine) is True
        assert Leader(b_engine, "other-job").acquire() is True  # names are independent
        a.release()
        assert b.acquire() is True  # the lead passes on
        assert a.acquire() is False
    finally:
        a.release()
        b.release()
        a_engine.dispose()
        b_engine.dispose()
