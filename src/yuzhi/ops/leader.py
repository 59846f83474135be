"""Leader election: one process among many (workers, hosts) runs the compute dispatcher.

PostgreSQL: a session-level advisory lock held on a dedicated connection. The server releases it
when that connection ends (process killed, host lost, network cut), so another process takes the
lead on its next try; no lease to tune and nothing beyond the database (no Redis). SQLite (one
host by nature): an exclusive ``flock`` on a file beside the database, released by the kernel when
the process dies.

Correctness does not rest on the lock alone: job rows are still locked while advanced and engine
calls are idempotent per job token, so a brief overlap during a hand-over cannot bill twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import zlib
from pathlib import Path

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

_CLASS = 7_000_002  # first key of yuzhi's leader locks (the audit chain uses 7_000_001)


def lock_key(name: str) -> int:
    """Stable 31-bit key for a named role (e.g. ``dispatcher``)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


class Leader:
    """Try to become (and stay) the leader for ``name``. Call :meth:`acquire` before each round of
    work: it returns True while this process holds the lead, re-checking the connection each time."""

    def __init__(self, engine: Engine, name: str = "dispatcher") -> None:
        self.engine = engine
        self.name = name
        self.key = lock_key(name)
        self._conn: Connection | None = None
        self._fd: int | None = None
        self.is_leader = False

    # --- PostgreSQL ---------------------------------------------------------------------------
    def _acquire_pg(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if self.is_leader:
                self._conn.execute(text("SELECT 1"))  # still connected, so still holding the lock
                return True
            got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:c, :k)"),
                                          {"c": _CLASS, "k": self.key}).scalar())
        except Exception as exc:
            log.warning("leader %s: database connection lost (%s); standing down", self.name, exc)
            self._drop_conn()
            return False
        if got and not self.is_leader:
            log.info("leader %s: this process (pid %d) took the lead", self.name, os.getpid())
        self.is_leader = got
        return got

    def _drop_conn(self) -> None:
        self.is_leader = False
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.invalidate()
                self._conn.close()
        self._conn = None

    # --- SQLite -------------------------------------------------------------------------------
    def _lock_path(self) -> Path:
        db = self.engine.url.database or "memory"
        return Path(f"{db}.{self.name}.leader")

    def _acquire_file(self) -> bool:
        import fcntl

        if self.is_leader:
            return True
        if self.engine.url.database in (None, "", ":memory:"):
            self.is_leader = True
            return True
        if self._fd is None:
            self._fd = os.open(self._lock_path(), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        os.ftruncate(self._fd, 0)
        os.write(self._fd, str(os.getpid()).encode())
        self.is_leader = True
        log.info("leader %s: this process (pid %d) took the lead", self.name, os.getpid())
        return True

    # --- both ---------------------------------------------------------------------------------
    def acquire(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            return self._acquire_pg()
        return self._acquire_file()

    def release(self) -> None:
        if self.engine.dialect.name == "postgresql":
            if self._conn is not None and self.is_leader:
                with contextlib.suppress(Exception):
                    self._conn.execute(text("SELECT pg_advisory_unlock(:c, :k)"), {"c": _CLASS, "k": self.key})
            self._drop_conn()
            return
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
        self.is_leader = False


def leader_elsewhere(engine: Engine, name: str = "dispatcher") -> bool | None:
    """Whether some process holds the lead for ``name`` (None: cannot tell on this database)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                  "AND classid = :c AND objid = :k"), {"c": _CLASS, "k": lock_key(name)}).scalar()
            conn.rollback()
        return bool(n)
    db = engine.url.database
    if not db or db == ":memory:":
        return None
    import fcntl

    path = Path(f"{db}.{name}.leader")
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # also drops the shared lock we may have taken
    return False
