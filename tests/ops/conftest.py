"""Fixtures for the operations tests: a fresh, empty database of each kind, and the CLI on it.

PostgreSQL tests get their own database on the CI server (created and dropped here), never the
shared test schema that other test modules wipe, so they can run beside them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from yuzhi.db import normalise_url

PG_URL = os.environ.get("YUZHI_TEST_DATABASE_URL", "")
NEEDS_PG = "PostgreSQL tests need YUZHI_TEST_DATABASE_URL (the CI server)"


def _admin_engine():  # type: ignore[no-untyped-def]
    return create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")


def create_pg_database() -> str:
    """A new empty database on the test server; returns its URL."""
    name = f"yzops_{uuid.uuid4().hex[:10]}"
    eng = _admin_engine()
    with eng.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return make_url(normalise_url(PG_URL)).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    eng = _admin_engine()
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An empty database URL: an SQLite file under tmp_path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'home' / 'yuzhi.db'}"
        return
    if not PG_URL:
        pytest.skip(NEEDS_PG)
    url = create_pg_database()
    try:
        yield url
    finally:
        from yuzhi.db import get_engine

        get_engine.cache_clear()
        drop_pg_database(url)


@pytest.fixture
def yuzhi_env(fresh_url, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Point settings at ``fresh_url`` with its own home; returns a runner for ``yuzhi`` commands."""
    from typer.testing import CliRunner

    from yuzhi import config, db

    home = tmp_path / "home"
    monkeypatch.setenv("YUZHI_HOME", str(home))
    monkeypatch.setenv("YUZHI_DATABASE_URL", fresh_url)
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()

    class Env:
        url = fresh_url
        home_dir = home
        runner = CliRunner()

        def run(self, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
            from yuzhi.cli import app

            return self.runner.invoke(app, list(args), input=input)

    yield Env()
    db.get_engine.cache_clear()
    config.get_settings.cache_clear()
