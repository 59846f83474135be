"""Database plumbing: declarative base, shared mixins, engines, sessions and migrations.

Services never commit. The caller (an API dependency, a CLI command, a flow) opens one
transaction with :func:`transaction` so that, e.g., a settlement, its ledger postings and its
audit event commit together or not at all.

SQLite is the embedded default; PostgreSQL is the production database. On SQLite every write
transaction starts with ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing late,
and foreign keys are enforced.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from sqlalchemy import BigInteger, DateTime, Engine, ForeignKey, Integer, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from yuzhi import DOMAINS
from yuzhi.config import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {datetime: UTCDateTime()}


#: Money is always integer fen. Use this alias for every money column.
Fen = BigInteger


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrgScopedMixin:
    """Rows owned by one organisation (tenant). Services filter on ``org_id`` for non-office callers."""

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)


def for_update(session: Session, query):
    """``SELECT … FOR UPDATE`` on PostgreSQL; SQLite needs none (writers are serial, BEGIN IMMEDIATE)."""
    return query.with_for_update() if session.get_bind().dialect.name == "postgresql" else query


def import_all_models() -> None:
    """Import every domain's ``models`` module so ``Base.metadata`` knows all tables."""
    for name in DOMAINS:
        try:
            importlib.import_module(f"yuzhi.{name}.models")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"yuzhi.{name}", f"yuzhi.{name}.models"):
                raise


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs (as libpq users write them) and use the psycopg 3 driver."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def make_engine(url: str, **kwargs: object) -> Engine:
    """Create an engine with the project's per-backend settings."""
    url = normalise_url(url)
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # a read-only snapshot (execution option ``yuzhi_read_only``, e.g. the policy simulator)
            # begins deferred: it takes no write lock, so writers carry on while it reads
            deferred = conn.get_execution_options().get("yuzhi_read_only")
            conn.exec_driver_sql("BEGIN DEFERRED" if deferred else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_use_lifo", True)  # the hot connections stay hot; the rest age and get pinged
    ping_after = kwargs.pop("ping_after_idle_s", PING_AFTER_IDLE_S)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine, float(ping_after))  # type: ignore[arg-type]
    return engine


#: A pooled connection idle longer than this is pinged before use (``SELECT 1``); see :func:`_ping_when_idle`.
PING_AFTER_IDLE_S = 5.0


def _ping_when_idle(engine: Engine, idle_s: float) -> None:
    """Check a pooled connection before use only when it sat idle more than ``idle_s`` seconds.

    SQLAlchemy's ``pool_pre_ping`` pings on *every* checkout: a round trip to PostgreSQL before each
    request's work, and a provider's single bill checks out twice (its token, then the bill desk), so
    two of its ~19 round trips were pings (issue 14). A connection that was used moments ago is as
    alive as a ping would say; one that sat idle (a restarted server, a firewall that dropped it) is
    pinged, and a dead one is replaced before anyone uses it. A connection that dies while in use is
    handled as before: SQLAlchemy sees the disconnect, invalidates the pool and the caller's request
    fails once (a bill push is idempotent: the provider resends it)."""
    import time

    from sqlalchemy import exc

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn, record):
        record.info["yuzhi_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, _proxy):
        since = record.info.get("yuzhi_idle_since")
        if since is None or time.monotonic() - since <= idle_s:
            return  # just connected, or used moments ago
        try:
            cur = dbapi_conn.cursor()
            try:
                cur.execute("SELECT 1")
            finally:
                cur.close()
            dbapi_conn.rollback()  # leave no transaction open: the caller may switch to autocommit
        except Exception as err:  # the pool discards this connection and checks out another
            raise exc.DisconnectionError(f"pooled connection idle {time.monotonic() - since:.0f} s was dead") \
                from err


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url or get_settings().database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest revision of every branch (``alembic upgrade heads``)."""
    from alembic import command

    command.upgrade(alembic_config(url or get_settings().database_url), "heads")
