"""Write and verify audit events. ``record`` runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.audit.chain import GENESIS, ChainProblem, EventFields, canonical_json, combined_head, event_hash, verify
from yuzhi.audit.models import AuditEvent
from yuzhi.db import utcnow

_PG_LOCK_KEY = 7_000_001  # advisory lock serialising appends to the chain


@dataclass(frozen=True)
class Change:
    """One write to put in the audit log (see :func:`record_many`)."""

    action: str
    entity: str
    entity_id: object
    before: Any = None
    after: Any = None
    org_id: int | None = None


_T = AuditEvent.__table__
# built once (see vouchers.bills): each chain's newest event, the advisory locks, the insert.
# The newest event is found by walking the (chain, seq) primary key backwards, one step per chain,
# so the cost does not grow with the chain's length.
_HEAD = select(_T.c.seq, _T.c.hash).where(_T.c.chain == bindparam("chain")).order_by(_T.c.seq.desc()).limit(1)
_HEADS_PG = text("SELECT c.chain, e.seq, e.hash FROM unnest(CAST(:chains AS bigint[])) AS c(chain) "
                 "CROSS JOIN LATERAL (SELECT seq, hash FROM audit_events WHERE audit_events.chain = c.chain "
                 "ORDER BY seq DESC LIMIT 1) AS e")
_LOCK_ONE = text("SELECT pg_advisory_xact_lock(:k, :c)")
_LOCK_MANY = text("SELECT count(pg_advisory_xact_lock(:k, c)) FROM "
                  "(SELECT c FROM unnest(CAST(:cs AS integer[])) AS c ORDER BY c) AS ordered")
_INSERT = insert(_T)


def _lock_chains(conn: Connection, chains: list[int]) -> None:
    """Serialise appends per chain: PostgreSQL advisory locks taken in chain order, so two batches
    touching the same tenants cannot deadlock, while other tenants' writes go on in parallel.
    SQLite writers are already serial (BEGIN IMMEDIATE)."""
    if conn.dialect.name != "postgresql":
        return
    if len(chains) == 1:
        conn.execute(_LOCK_ONE, {"k": _PG_LOCK_KEY, "c": chains[0]})
    else:
        conn.execute(_LOCK_MANY, {"k": _PG_LOCK_KEY, "cs": chains})


def _heads(conn: Connection, chains: list[int]) -> dict[int, tuple[int, str]]:
    """(last seq, last hash) of each chain that has events: one statement on PostgreSQL (a lateral
    join), one indexed lookup per chain on SQLite (in-process, no round trips)."""
    if conn.dialect.name == "postgresql":
        return {int(c): (int(seq), h) for c, seq, h in conn.execute(_HEADS_PG, {"chains": chains})}
    out = {}
    for chain in chains:
        row = conn.execute(_HEAD, {"chain": chain}).first()
        if row is not None:
            out[chain] = (int(row[0]), row[1])
    return out


def record_many(session: Session, *, actor: Actor, changes: Sequence[Change]) -> None:
    """Append events to their tenants' chains in the caller's transaction, in the given order.

    Set-based so a batch of bills costs three statements, not three per bill: lock the chains
    involved, read their heads, insert every event in one multi-row ``INSERT``. The rows are
    written at once (no ORM unit of work), so ids they mention must already be flushed.
    """
    if not changes:
        return
    owners = [c.org_id if c.org_id is not None else actor.org_id for c in changes]
    chains = sorted({o or 0 for o in owners})
    conn = session.connection()
    _lock_chains(conn, chains)
    heads = _heads(conn, chains)
    at = utcnow()
    rows = []
    for change, owner in zip(changes, owners, strict=True):
        chain = owner or 0
        seq, prev = heads.get(chain, (0, GENESIS))
        fields = EventFields(
            seq=seq + 1, at=at, actor=actor.label, actor_user_id=actor.user_id, org_id=owner,
            action=change.action, entity=change.entity, entity_id=str(change.entity_id),
            before=canonical_json(change.before), after=canonical_json(change.after),
        )
        digest = event_hash(prev, fields)
        heads[chain] = (fields.seq, digest)
        rows.append({"chain": chain, "seq": fields.seq, "at": at, "actor": fields.actor,
                     "actor_user_id": fields.actor_user_id, "org_id": owner, "action": fields.action,
                     "entity": fields.entity, "entity_id": fields.entity_id, "before": fields.before,
                     "after": fields.after, "prev_hash": prev, "hash": digest})
    conn.execute(_INSERT, rows)


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
) -> None:
    """Append one event to its tenant's chain in the current transaction."""
    record_many(session, actor=actor, changes=[Change(action, entity, entity_id, before, after, org_id)])


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
