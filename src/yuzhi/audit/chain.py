"""Pure hash-chain logic for the audit log (no database): canonical form, hashing, verification.

Each event's hash covers its sequence number, time, actor, action, entity, before/after JSON and
the previous event's hash, so editing any field, deleting or reordering a row breaks the chain
from that point on. Each tenant has its own chain (see ``AuditEvent``); :func:`combined_head`
folds every chain's head into one value. Deleting the newest rows can only be detected against a
head kept elsewhere: ``yuzhi audit verify`` prints the combined head and accepts ``--expect-head``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, non-ASCII kept, dates as ISO strings."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


@dataclass(frozen=True)
class EventFields:
    seq: int
    at: datetime
    actor: str
    actor_user_id: int | None
    org_id: int | None
    action: str
    entity: str
    entity_id: str
    before: str
    after: str


def event_hash(prev_hash: str, ev: EventFields) -> str:
    payload = canonical_json(
        [
            ev.seq,
            ev.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            ev.actor,
            ev.actor_user_id,
            ev.org_id,
            ev.action,
            ev.entity,
            ev.entity_id,
            ev.before,
            ev.after,
        ]
    )
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str
    chain: int = 0


def combined_head(heads: dict[int, str]) -> str:
    """One value for all chains: sha256 over ``chain:head`` lines in chain order."""
    text = "\n".join(f"{c}:{h}" for c, h in sorted(heads.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def verify(rows: Iterable[tuple[EventFields, str, str]]) -> tuple[list[ChainProblem], str, int]:
    """Check ``(fields, prev_hash, hash)`` rows in sequence order.

    Returns the problems found, the head hash and the number of rows checked.
    """
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    head = GENESIS
    for fields, prev_hash, stored in rows:
        count += 1
        if fields.seq != expected_seq:
            problems.append(ChainProblem(fields.seq, f"sequence gap: expected {expected_seq} (row(s) deleted)"))
        if prev_hash != expected_prev:
            problems.append(ChainProblem(fields.seq,
                                         "previous-hash link broken (a row before it was changed or deleted)"))
        recomputed = event_hash(prev_hash, fields)
        if recomputed != stored:
            problems.append(ChainProblem(fields.seq, "content does not match its hash (row edited)"))
        expected_prev = stored
        expected_seq = fields.seq + 1
        head = stored
    return problems, head, count
