"""Post transactions and read balances. No updates or deletes exist in this module by design."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from yuzhi.db import utcnow
from yuzhi.ledger.core import Posting, Txn, txn_digest
from yuzhi.ledger.models import LedgerEntry, LedgerTxn

_T, _E = cast(Table, LedgerTxn.__table__), cast(Table, LedgerEntry.__table__)
_INSERT_TXNS = insert(_T).returning(_T.c.id, sort_by_parameter_order=True)  # built once: see vouchers.bills
_INSERT_ENTRIES = insert(_E)


def post_many(session: Session, txns: Sequence[Txn]) -> list[int]:
    """Write balanced transactions (each validated by :class:`Txn`) in the caller's transaction.

    Two multi-row ``INSERT`` statements whatever the number of transactions (bills arrive in bulk);
    the rows are written at once, outside the ORM unit of work. Returns the new transaction ids.
    """
    if not txns:
        return []
    at = utcnow()
    conn = session.connection()
    ids = list(conn.execute(_INSERT_TXNS, [{"at": at, "year": x.year, "kind": x.kind, "ref": x.ref, "memo": x.memo}
                                           for x in txns]).scalars())
    conn.execute(_INSERT_ENTRIES, [{"txn_id": i, "account": p.account, "amount": p.amount}
                                   for i, x in zip(ids, txns, strict=True) for p in x.postings])
    # the audit chain covers the ledger: the next audit write of this transaction (or its commit)
    # appends one ``ledger.post`` event per transaction with its digest (yuzhi.audit.service)
    from yuzhi.audit.service import PENDING_LEDGER

    session.info.setdefault(PENDING_LEDGER, []).extend(
        (i, {"digest": txn_digest(i, at, x.year, x.kind, x.ref, x.memo, ((p.account, p.amount) for p in x.postings)),
             "kind": x.kind, "year": x.year, "ref": x.ref})
        for i, x in zip(ids, txns, strict=True))
    return ids


def post(session: Session, txn: Txn) -> int:
    """Write one balanced transaction; returns its id."""
    return post_many(session, [txn])[0]


def lock_books(session: Session, name: str) -> None:
    """Serialise, until commit, the writers that read a balance before posting against it.

    Used where a posting's split depends on a balance (a credit note reverses subsidy from the
    payable first and only the rest becomes a receivable; settlement nets receivables against
    payables). PostgreSQL: a transaction-scoped advisory lock on ``name``; SQLite writers are
    already serial (``BEGIN IMMEDIATE``). Take it after any row locks the caller needs and never
    wait for a row lock while holding it (no lock cycle)."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(name.encode()) - 2**31  # signed 32-bit, fits bigint
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def balance(session: Session, account: str) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                              .where(LedgerEntry.account == account)) or 0)


def balances_like(session: Session, prefix: str) -> dict[str, int]:
    rows = session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.account.like(prefix.replace("%", r"\%") + "%", escape="\\"))
        .group_by(LedgerEntry.account)
    ).all()
    return {a: int(s) for a, s in rows}


def load_all(session: Session, year: int | None = None) -> list[Txn]:
    """Every transaction as pure :class:`Txn` values, for the invariant checks."""
    q = select(LedgerTxn).order_by(LedgerTxn.id)
    if year is not None:
        q = q.where(LedgerTxn.year == year)
    out = []
    for row in session.scalars(q).unique():
        postings = tuple(Posting(e.account, int(e.amount)) for e in row.entries)
        try:
            out.append(Txn(row.kind, row.year, postings, row.memo, row.ref or f"txn{row.id}"))
        except ValueError:
            # keep the unbalanced transaction visible to check_balanced instead of crashing
            t = object.__new__(Txn)
            object.__setattr__(t, "kind", row.kind)
            object.__setattr__(t, "year", row.year)
            object.__setattr__(t, "postings", postings)
            object.__setattr__(t, "memo", row.memo)
            object.__setattr__(t, "ref", row.ref or f"txn{row.id}")
            out.append(t)
    return out
