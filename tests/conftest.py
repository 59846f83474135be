"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when ``YUZHI_TEST_DATABASE_URL`` is set),
emptied before each test that asks for it; sessions; an HTTP client on the real app; shared data path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("YUZHI_PASSWORD_PROFILE", "test")  # argon2 CHEAPEST: users are created per test

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from yuzhi.config import shared_data_dir
from yuzhi.db import Base, import_all_models, make_engine, migrate, normalise_url

PG_URL = os.environ.get("YUZHI_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if PG_URL:
        return normalise_url(PG_URL)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _migrated_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    migrate(db_url)
    import_all_models()
    yield engine
    engine.dispose()


def _wipe(engine: Engine) -> None:
    from sqlalchemy import inspect

    existing = set(inspect(engine).get_table_names())
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in existing]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))


@contextmanager
def demo_world(engine: Engine, home: Path) -> Iterator[Engine]:
    """The demo year loaded into ``engine`` with ``YUZHI_HOME`` at ``home``; wiped and restored after.

    For module-scoped fixtures that walk every page as each demo role (loading the demo is the slow part).
    """
    from yuzhi.config import get_settings
    from yuzhi.demo import load_demo

    old = os.environ.get("YUZHI_HOME")
    os.environ["YUZHI_HOME"] = str(home)
    get_settings.cache_clear()
    _wipe(engine)
    load_demo(engine)
    try:
        yield engine
    finally:
        _wipe(engine)
        if old is None:
            os.environ.pop("YUZHI_HOME", None)
        else:
            os.environ["YUZHI_HOME"] = old
        get_settings.cache_clear()


@pytest.fixture
def engine(_migrated_engine: Engine) -> Engine:
    """A migrated database with every table empty."""
    _wipe(_migrated_engine)
    return _migrated_engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    s = Session(bind=engine, expire_on_commit=False)
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def app(engine: Engine):  # type: ignore[no-untyped-def]
    from yuzhi.web.app import create_app

    return create_app(engine)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from tests.clients import CsrfClient  # sends the form's CSRF token like a browser (see tests/clients.py)

    with CsrfClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"real data folder {path} is absent (it sits beside the repository in CI)")
    return path


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


# headless-Chromium fixtures (the real app under uvicorn, Debian's Chromium), shared by the browser tests
from tests.browser import chromium, server  # noqa: E402, F401
