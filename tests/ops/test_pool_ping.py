"""Pooled PostgreSQL connections are pinged only after sitting idle (``yuzhi.db._ping_when_idle``),
not on every checkout: a connection killed while idle is still replaced before anyone uses it, and a
connection used moments ago costs no extra round trip (issue 14: the single-bill path)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from tests.ops.conftest import NEEDS_PG, PG_URL, _admin_engine
from yuzhi.db import make_engine, normalise_url

pytestmark = pytest.mark.skipif(not PG_URL, reason=NEEDS_PG)


def _pid(engine, autocommit: bool = False) -> int:  # type: ignore[no-untyped-def]
    conn = engine.connect()
    if autocommit:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
    with conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_killed_while_idle_is_replaced_before_use() -> None:
    engine = make_engine(normalise_url(PG_URL), ping_after_idle_s=0.2)
    try:
        pid = _pid(engine)
        assert _pid(engine) == pid  # the pool hands back the same (hot) connection
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        admin.dispose()
        time.sleep(0.5)
        assert _pid(engine, autocommit=True) != pid  # pinged, found dead, replaced: no error
        with engine.begin() as conn:  # and a transaction works on the replacement
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_hot_connection_is_not_pinged() -> None:
    """The trade-off, shown: a connection used within the idle window goes straight to work, so one
    killed in that window fails its next statement once (as a connection dying mid-request always
    could); the pool is then invalidated and the next checkout connects afresh."""
    from sqlalchemy.exc import OperationalError

    engine = make_engine(normalise_url(PG_URL), ping_after_idle_s=60)
    try:
        pid = _pid(engine)
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        admin.dispose()
        time.sleep(0.3)
        with pytest.raises(OperationalError), engine.connect() as conn:  # no ping: straight to the query
            conn.execute(text("SELECT 1"))
        assert _pid(engine) != pid  # the dead connection was discarded
    finally:
        engine.dispose()
