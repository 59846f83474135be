"""Post transactions and read balances. No updates or deletes exist in this module by design."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuzhi.ledger.core import Posting, Txn
from yuzhi.ledger.models import LedgerEntry, LedgerTxn


def post(session: Session, txn: Txn) -> LedgerTxn:
    """Write one balanced transaction (validated by :class:`Txn`) in the caller's transaction."""
    row = LedgerTxn(year=txn.year, kind=txn.kind, ref=txn.ref, memo=txn.memo)
    row.entries = [LedgerEntry(account=p.account, amount=p.amount) for p in txn.postings]
    session.add(row)
    session.flush()
    return row


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
