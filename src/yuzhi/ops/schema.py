"""Where a database stands against the code's migrations: empty, behind, at head, or ahead.

``yuzhi serve`` asks before it starts: a database written by newer code is refused (its tables may
mean things this code does not know), an older one is upgraded only when the operator says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine, inspect

from yuzhi.errors import Conflict


class SchemaStatus(StrEnum):
    EMPTY = "empty"  # no migrations applied (a new database)
    BEHIND = "behind"  # older than the code: ``yuzhi db upgrade``
    CURRENT = "current"  # at every head of the code
    AHEAD = "ahead"  # carries revisions this code does not know: written by a newer yuzhi


@dataclass(frozen=True)
class SchemaState:
    status: SchemaStatus
    current: tuple[str, ...]  # revisions recorded in the database's alembic_version
    heads: tuple[str, ...]  # heads of the code's migration scripts
    unknown: tuple[str, ...] = ()  # recorded revisions the code has no script for

    def describe(self) -> str:
        cur = ", ".join(self.current) or "none"
        return f"schema {self.status.value}: database at [{cur}], code heads [{', '.join(self.heads)}]"


def _script():
    from alembic.script import ScriptDirectory

    from yuzhi.db import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def code_heads() -> tuple[str, ...]:
    return tuple(sorted(_script().get_heads()))


def schema_state(engine: Engine) -> SchemaState:
    """Read ``alembic_version`` (no writes) and compare it with the scripts shipped with this code."""
    from alembic.migration import MigrationContext

    script = _script()
    heads = tuple(sorted(script.get_heads()))
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return SchemaState(SchemaStatus.EMPTY, (), heads)
        current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    if not current:
        return SchemaState(SchemaStatus.EMPTY, (), heads)
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = tuple(r for r in current if r not in known)
    if unknown:
        return SchemaState(SchemaStatus.AHEAD, current, heads, unknown)
    # alembic_version holds only the newest revision of each branch; a head that another branch
    # depends on (accounts_0001) is applied when it is among the recorded revisions' ancestors
    applied = {rev.revision for rev in script.iterate_revisions(list(current), "base")}
    if set(heads) <= applied:
        return SchemaState(SchemaStatus.CURRENT, current, heads)
    return SchemaState(SchemaStatus.BEHIND, current, heads)


def refuse_if_ahead(state: SchemaState) -> None:
    """Raise a clear error when the database was written by newer code; nothing is changed."""
    if state.status == SchemaStatus.AHEAD:
        raise Conflict(
            f"the database was upgraded by a newer yuzhi (revisions {', '.join(state.unknown)} are unknown "
            f"to this version, whose newest are {', '.join(state.heads)}); nothing was changed",
            field="database", fix="run the yuzhi version that upgraded it (or newer), or restore a backup "
            "taken before that upgrade")


def upgrade(engine_url: str) -> tuple[SchemaState, SchemaState]:
    """``alembic upgrade heads`` after refusing a database from the future. Returns (before, after)."""
    from yuzhi.db import make_engine, migrate

    engine = make_engine(engine_url)
    try:
        before = schema_state(engine)
        refuse_if_ahead(before)
        migrate(engine_url)
        return before, schema_state(engine)
    finally:
        engine.dispose()
