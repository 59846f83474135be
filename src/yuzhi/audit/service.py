"""Write and verify audit events. ``record`` runs inside the caller's transaction."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import Connection, Engine, Table, bindparam, event, func, insert, select, text, true
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import SYSTEM, Actor
from yuzhi.audit.anchor import AnchorStore, Checkpoint, KeyRing
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


_T = cast(Table, AuditEvent.__table__)
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


#: ``session.info`` keys: ledger transactions posted in this transaction and not yet in the chain,
#: and the last actor that recorded an event (who the leftovers are attributed to).
PENDING_LEDGER = "yuzhi.audit.pending_ledger"
LAST_ACTOR = "yuzhi.audit.last_actor"
SUSPECT = "yuzhi.audit.savepoint_rolled_back"
#: Set after a commit that wrote audit events: the anchoring thread of ``yuzhi serve`` wakes on it.
WRITTEN = threading.Event()


def _with_ledger(session: Session, actor: Actor, changes: Sequence[Change]) -> list[Change]:
    """Fold the ledger transactions posted in this transaction into the events being written.

    A transaction whose ``ref`` is ``<entity>:<id>`` joins the chain of the change about that
    record (a bill's subsidy joins the bill's tenant chain), others the first change's chain; the
    event carries the transaction's digest, so the chain covers the ledger rows (see
    :func:`yuzhi.ledger.service.txn_digest`). Same ``INSERT`` as the changes: no extra statement.
    """
    session.info[LAST_ACTOR] = actor
    pending = session.info.pop(PENDING_LEDGER, None)
    if session.info.pop(SUSPECT, False) and pending:  # a savepoint was rolled back: keep what still exists
        from yuzhi.ledger.models import LedgerTxn

        alive = set(session.scalars(select(LedgerTxn.id).where(LedgerTxn.id.in_([i for i, _ in pending]))))
        pending = [(i, body) for i, body in pending if i in alive]
    if not pending:
        return list(changes)
    owner_of = {f"{c.entity}:{c.entity_id}": c.org_id if c.org_id is not None else actor.org_id for c in changes}
    default = (changes[0].org_id if changes[0].org_id is not None else actor.org_id) if changes else actor.org_id
    extra = [Change("ledger.post", "ledger_txn", txn_id, after=body, org_id=owner_of.get(body["ref"], default))
             for txn_id, body in pending]
    return [*changes, *extra]


def record_many(session: Session, *, actor: Actor, changes: Sequence[Change]) -> None:
    """Append events to their tenants' chains in the caller's transaction, in the given order.

    Set-based so a batch of bills costs three statements, not three per bill: lock the chains
    involved, read their heads, insert every event in one multi-row ``INSERT``. The rows are
    written at once (no ORM unit of work), so ids they mention must already be flushed. Ledger
    transactions posted earlier in the same transaction are appended as ``ledger.post`` events.
    """
    changes = _with_ledger(session, actor, changes)
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


@event.listens_for(Session, "before_commit")
def _ledger_leftovers(session: Session) -> None:
    """Ledger transactions posted after the transaction's last audit event still join the chain."""
    if session.info.get(PENDING_LEDGER):
        record_many(session, actor=session.info.get(LAST_ACTOR, SYSTEM), changes=[])


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(LAST_ACTOR, None) is not None:
        WRITTEN.set()
    session.info.pop(PENDING_LEDGER, None)
    session.info.pop(SUSPECT, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:  # type: ignore[no-untyped-def]
    """A rolled-back savepoint may have undone some pending ledger transactions (checked at the next
    audit write); a rolled-back transaction undid them all."""
    if previous_transaction.nested:
        session.info[SUSPECT] = True
        return
    for key in (PENDING_LEDGER, LAST_ACTOR, SUSPECT):
        session.info.pop(key, None)


def _rows(session: Session, chain: int) -> Iterator[tuple[EventFields, str, str]]:
    q = select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
    for ev in session.scalars(q.execution_options(yield_per=2000)):
        yield (
            EventFields(ev.seq, ev.at, ev.actor, ev.actor_user_id, ev.org_id, ev.action, ev.entity,
                        ev.entity_id, ev.before, ev.after),
            ev.prev_hash,
            ev.hash,
        )


def verify_chain(session: Session, *, anchors: AnchorStore | None = None,
                 ledger: bool = True) -> tuple[list[ChainProblem], str, int]:
    """Recompute every tenant's chain; return the problems, the combined head and the event count.

    An event whose ``org_id`` no longer matches its chain (moved between tenants) is a problem too.
    With ``anchors``, every anchored head must still be in the database with its anchored hash
    (catches a cut tail, a dropped chain, a rehashed chain). With ``ledger``, every ledger
    transaction must match the digest its ``ledger.post`` event holds, and every such event must
    still have its transaction (catches ledger rows changed, added or removed outside the platform).
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
    if anchors is not None:
        problems += check_anchors(session, anchors)
    if ledger:
        problems += check_ledger(session)
    return problems, combined_head(heads), total


def check_anchors(session: Session, anchors: AnchorStore) -> list[ChainProblem]:
    """Every chain's newest anchored head must still stand in the database, unchanged."""
    report = anchors.read()
    problems = [ChainProblem(0, p) for p in report.problems]
    for chain, (seq, digest) in sorted(report.latest.items()):
        stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.chain == chain, AuditEvent.seq == seq))
        if stored is None:
            newest = session.scalar(select(func.max(AuditEvent.seq)).where(AuditEvent.chain == chain))
            what = ("the whole chain was removed" if newest is None
                    else f"the chain ends at event {newest}: newest events were removed")
            problems.append(ChainProblem(seq, f"anchored event {seq} is missing ({what})", chain))
        elif stored != digest:
            problems.append(ChainProblem(seq, f"anchored event {seq} has hash {stored[:12]}…, the anchor says "
                                              f"{digest[:12]}… (the chain was rewritten and rehashed)", chain))
    return problems


def check_ledger(session: Session) -> list[ChainProblem]:
    """Compare every ledger transaction with the digest the audit chain holds for it."""
    from yuzhi.ledger.core import txn_digest
    from yuzhi.ledger.models import LedgerEntry, LedgerTxn

    recorded: dict[int, tuple[int, int, str]] = {}
    for chain, seq, entity_id, after in session.execute(
            select(AuditEvent.chain, AuditEvent.seq, AuditEvent.entity_id, AuditEvent.after)
            .where(AuditEvent.entity == "ledger_txn", AuditEvent.action == "ledger.post")):
        try:
            recorded[int(entity_id)] = (chain, seq, str(json.loads(after)["digest"]))
        except (ValueError, KeyError, TypeError):
            continue  # the event itself was edited: its chain check reports it
    postings: dict[int, list[tuple[str, int]]] = {}
    for txn_id, account, amount in session.execute(
            select(LedgerEntry.txn_id, LedgerEntry.account, LedgerEntry.amount).order_by(LedgerEntry.id)):
        postings.setdefault(txn_id, []).append((account, int(amount)))
    problems = []
    for t in session.execute(select(LedgerTxn.id, LedgerTxn.at, LedgerTxn.year, LedgerTxn.kind, LedgerTxn.ref,
                                    LedgerTxn.memo).order_by(LedgerTxn.id)):
        entry = recorded.pop(t.id, None)
        if entry is None:
            problems.append(ChainProblem(0, f"ledger transaction {t.id} ({t.kind} {t.ref}) is not in the audit "
                                            "chain (written outside the platform)"))
            continue
        digest = txn_digest(t.id, t.at, t.year, t.kind, t.ref, t.memo, postings.get(t.id, []))
        if digest != entry[2]:
            problems.append(ChainProblem(entry[1], f"ledger transaction {t.id} ({t.kind} {t.ref}) differs from what "
                                                   "the audit chain recorded (a ledger row was changed)", entry[0]))
    for txn_id, (chain, seq, _) in sorted(recorded.items()):
        problems.append(ChainProblem(seq, f"ledger transaction {txn_id} recorded in the audit chain is missing "
                                          "(a ledger row was deleted)", chain))
    return problems


def adopt_ledger(session: Session) -> int:
    """Put ledger transactions written before the chain covered the ledger (databases older than
    this release) into programme chain 0, each with its digest as it stands now. Run once, right
    after upgrading; it vouches for the rows as they are, so check the books first (``yuzhi ledger
    check``). Returns how many were adopted."""
    from yuzhi.ledger.core import txn_digest
    from yuzhi.ledger.models import LedgerEntry, LedgerTxn

    covered = {int(e) for e in session.scalars(select(AuditEvent.entity_id).where(
        AuditEvent.entity == "ledger_txn", AuditEvent.action == "ledger.post"))}
    changes = []
    for t in session.scalars(select(LedgerTxn).where(LedgerTxn.id.not_in(covered) if covered else true())
                             .order_by(LedgerTxn.id)):
        postings = session.execute(select(LedgerEntry.account, LedgerEntry.amount)
                                   .where(LedgerEntry.txn_id == t.id)).all()
        body = {"digest": txn_digest(t.id, t.at, t.year, t.kind, t.ref, t.memo, [(a, int(v)) for a, v in postings]),
                "kind": t.kind, "year": t.year, "ref": t.ref, "adopted": True}
        changes.append(Change("ledger.post", "ledger_txn", t.id, after=body, org_id=None))
    if changes:
        record_many(session, actor=SYSTEM, changes=changes)
    return len(changes)


# --- anchoring -------------------------------------------------------------------------------

def current_heads(session: Session) -> dict[int, tuple[int, str]]:
    """Every chain's newest ``(seq, hash)``, committed data only. The chains are the tenants
    (organisations) plus the programme-wide chain 0; each head is one step down the primary key,
    so a checkpoint costs the same however long the chains grow."""
    from yuzhi.accounts.models import Organisation

    chains = [0, *session.scalars(select(Organisation.id).order_by(Organisation.id))]
    return _heads(session.connection(), chains)


def default_store() -> AnchorStore:
    """The anchor file and key ring named by the settings (outside the database)."""
    from yuzhi.config import get_settings

    st = get_settings()
    return AnchorStore(st.anchor_path, KeyRing.load(st.key_path, st.audit_key))


def anchor(engine: Engine, store: AnchorStore | None = None, *, force: bool = False) -> Checkpoint | None:
    """Take a checkpoint of every chain's committed head (None when nothing moved)."""
    from yuzhi.db import session_factory

    store = store or default_store()
    with session_factory(engine)() as s:
        heads = current_heads(s)
        s.rollback()
    return store.append(heads, force=force)


class Lead(Protocol):
    """What anchoring needs of a leader lock (``yuzhi.ops.leader.Leader``; audit does not import ops)."""

    def acquire(self) -> bool: ...

    def release(self) -> None: ...


def start_anchoring(engine: Engine, store: AnchorStore | None = None, *, every_s: float = 60.0,
                    settle_s: float = 1.0, leader: Lead | None = None) -> tuple[threading.Thread, Callable[[], None]]:
    """Anchor in a daemon thread: about ``settle_s`` after a commit that wrote audit events (in this
    process), and at least every ``every_s`` (writes by other processes). Returns the thread and a
    function that stops it (after one last checkpoint).

    With ``leader`` (an object with ``acquire()``/``release()``, e.g. ``yuzhi.ops.leader.Leader``),
    only the process holding the lead writes checkpoints: several ``serve`` processes or hosts on one
    database then anchor once per round instead of once each, and a follower takes over within one
    round when the leader dies."""
    import logging

    log = logging.getLogger("yuzhi.audit")
    store = store or default_store()
    stop = threading.Event()

    def once() -> None:
        try:
            if leader is None or leader.acquire():
                anchor(engine, store)
        except Exception as exc:  # keep anchoring; the next round retries
            log.error("audit anchoring failed: %s", exc)

    def loop() -> None:
        while True:
            WRITTEN.wait(every_s)
            if stop.is_set():
                break
            stop.wait(settle_s)  # gather a burst of writes into one checkpoint
            WRITTEN.clear()
            once()
            if stop.is_set():
                break
        once()
        if leader is not None:
            leader.release()

    def stopper() -> None:
        stop.set()
        WRITTEN.set()

    thread = threading.Thread(target=loop, name="yuzhi-audit-anchor", daemon=True)
    thread.start()
    return thread, stopper
