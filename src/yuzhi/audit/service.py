"""Write and verify audit events. ``record`` runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.audit.chain import GENESIS, ChainProblem, EventFields, canonical_json, combined_head, event_hash, verify
from yuzhi.audit.models import AuditEvent
from yuzhi.db import utcnow

_PG_LOCK_KEY = 7_000_001  # advisory lock serialising appends to the chain


def _lock_chain(session: Session, chain: int) -> None:
    """Serialise appends to one chain: a PostgreSQL advisory lock per chain (other tenants' writes go
    on in parallel); SQLite writers are already serial (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k, :c)"), {"k": _PG_LOCK_KEY, "c": chain})


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
    """Append one event to its tenant's chain in the current transaction."""
    owner = org_id if org_id is not None else actor.org_id
    chain = owner or 0
    _lock_chain(session, chain)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.chain == chain)
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    fields = EventFields(
        seq=seq,
        at=utcnow(),
        actor=actor.label,
        actor_user_id=actor.user_id,
        org_id=owner,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=canonical_json(before),
        after=canonical_json(after),
    )
    event = AuditEvent(
        chain=chain, seq=fields.seq, at=fields.at, actor=fields.actor, actor_user_id=fields.actor_user_id,
        org_id=fields.org_id, action=fields.action, entity=fields.entity, entity_id=fields.entity_id,
        before=fields.before, after=fields.after, prev_hash=prev, hash=event_hash(prev, fields),
    )
    session.add(event)
    session.flush()
    return event


def _rows(session: Session, chain: int) -> Iterator[tuple[EventFields, str, str]]:
    q = select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
    for ev in session.scalars(q.execution_options(yield_per=2000)):
        yield (
            EventFields(ev.seq, ev.at, ev.actor, ev.actor_user_id, ev.org_id, ev.action, ev.entity,
                        ev.entity_id, ev.before, ev.after),
            ev.prev_hash,
            ev.hash,
        )


def verify_chain(session: Session) -> tuple[list[ChainProblem], str, int]:
    """Recompute every tenant's chain; return the problems, the combined head and the event count.

    An event whose ``org_id`` no longer matches its chain (moved between tenants) is a problem too.
    """
    problems: list[ChainProblem] = []
    heads: dict[int, str] = {}
    total = 0
    for chain in session.scalars(select(AuditEvent.chain).distinct().order_by(AuditEvent.chain)):
        found, head, count = verify(_rows(session, chain))
        problems += [ChainProblem(p.seq, p.problem, chain) for p in found]
        heads[chain] = head
        total += count
    moved = session.execute(select(AuditEvent.chain, AuditEvent.seq).where(
        AuditEvent.chain != func.coalesce(AuditEvent.org_id, 0))).all()
    problems += [ChainProblem(seq, "event stands in another tenant's chain (moved)", chain) for chain, seq in moved]
    return problems, combined_head(heads), total


def list_events(session: Session, *, actor: Actor, entity: str | None = None, limit: int = 100,
                offset: int = 0) -> tuple[list[AuditEvent], int]:
    """Office sees every event; an organisation sees events about its own records."""
    q = select(AuditEvent)
    if not actor.is_office:
        q = q.where(AuditEvent.org_id == actor.org_id)
    if entity:
        q = q.where(AuditEvent.entity == entity)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(AuditEvent.at.desc(), AuditEvent.seq.desc()).limit(limit).offset(offset)).all()
    return list(rows), total
