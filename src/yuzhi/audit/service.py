"""Write and verify audit events. ``record`` runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.audit.chain import GENESIS, ChainProblem, EventFields, canonical_json, event_hash, verify
from yuzhi.audit.models import AuditEvent
from yuzhi.db import utcnow

_PG_LOCK_KEY = 7_000_001  # advisory lock serialising appends to the chain


def _lock_chain(session: Session) -> None:
    """Serialise appends: PostgreSQL advisory lock; SQLite writers are already serial (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    before: Any = None,
    after: Any = None,
    org_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain in the current transaction."""
    _lock_chain(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    fields = EventFields(
        seq=seq,
        at=utcnow(),
        actor=actor.label,
        actor_user_id=actor.user_id,
        org_id=org_id if org_id is not None else actor.org_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=canonical_json(before),
        after=canonical_json(after),
    )
    event = AuditEvent(
        seq=fields.seq, at=fields.at, actor=fields.actor, actor_user_id=fields.actor_user_id,
        org_id=fields.org_id, action=fields.action, entity=fields.entity, entity_id=fields.entity_id,
        before=fields.before, after=fields.after, prev_hash=prev, hash=event_hash(prev, fields),
    )
    session.add(event)
    session.flush()
    return event


def _rows(session: Session) -> Iterator[tuple[EventFields, str, str]]:
    for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)):
        yield (
            EventFields(ev.seq, ev.at, ev.actor, ev.actor_user_id, ev.org_id, ev.action, ev.entity,
                        ev.entity_id, ev.before, ev.after),
            ev.prev_hash,
            ev.hash,
        )


def verify_chain(session: Session) -> tuple[list[ChainProblem], str, int]:
    """Recompute the whole chain; see :func:`yuzhi.audit.chain.verify`."""
    return verify(_rows(session))


def list_events(session: Session, *, actor: Actor, entity: str | None = None, limit: int = 100,
                offset: int = 0) -> tuple[list[AuditEvent], int]:
    """Office sees every event; an organisation sees events about its own records."""
    q = select(AuditEvent)
    if not actor.is_office:
        q = q.where(AuditEvent.org_id == actor.org_id)
    if entity:
        q = q.where(AuditEvent.entity == entity)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(AuditEvent.seq.desc()).limit(limit).offset(offset)).all()
    return list(rows), total
