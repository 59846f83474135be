"""Immutable ledger tables: a transaction and its postings. Corrections are new transactions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yuzhi.db import Base, IdMixin, utcnow


class LedgerTxn(IdMixin, Base):
    __tablename__ = "ledger_txns"

    at: Mapped[datetime] = mapped_column(default=utcnow)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(64), index=True, default="")
    memo: Mapped[str] = mapped_column(String(500), default="")
    entries: Mapped[list[LedgerEntry]] = relationship(back_populates="txn", order_by="LedgerEntry.id")


class LedgerEntry(IdMixin, Base):
    __tablename__ = "ledger_entries"

    txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txns.id"), index=True)
    account: Mapped[str] = mapped_column(String(100), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # signed fen, debit positive
    txn: Mapped[LedgerTxn] = relationship(back_populates="entries")
