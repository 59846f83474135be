"""Books registered by the domains that own them; ``yuzhi ledger check`` runs them all.

The ledger is generic: it knows postings, transactions and account *types*, never a programme.
Each domain that keeps money in the ledger (vouchers, awards, a new programme) registers a
:class:`Book` from its own ``reconcile`` module: the account types it owns (and the side each
must stay on) and its reconciliation against its own records. :func:`discover` imports those
modules by name from :data:`yuzhi.DOMAINS`, as the model registry does, so this package imports
no domain. See ``docs/architecture.md`` ("where a new programme plugs in").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from yuzhi.ledger import core
from yuzhi.ledger import service as ledger

#: ``check(session) -> (errors, summary by year)``: a domain's reconciliation with its own records.
Check = Callable[[Session], tuple[list[str], dict[int, dict[str, int]]]]


@dataclass(frozen=True)
class Book:
    """One domain's part of the ledger."""

    name: str
    title: str
    account_types: tuple[core.AccountType, ...]
    check: Check
    summary_columns: tuple[str, ...] = field(default=())


_BOOKS: dict[str, Book] = {}


def register(book: Book) -> Book:
    """Register (or replace, on reload) a domain's book; its account types must be new or its own."""
    owners = {t.prefix: b.name for b in _BOOKS.values() for t in b.account_types}
    for t in book.account_types:
        if owners.get(t.prefix, book.name) != book.name:
            raise ValueError(f"account type {t.prefix!r} already belongs to book {owners[t.prefix]!r}")
    _BOOKS[book.name] = book
    return book


def books() -> list[Book]:
    return list(_BOOKS.values())


def account_types() -> dict[str, core.AccountType]:
    return {t.prefix: t for b in _BOOKS.values() for t in b.account_types}


def discover() -> None:
    """Import every domain's ``reconcile`` module (where books register themselves)."""
    from yuzhi import DOMAINS

    for name in DOMAINS:
        try:
            importlib.import_module(f"yuzhi.{name}.reconcile")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"yuzhi.{name}", f"yuzhi.{name}.reconcile"):
                raise


@dataclass
class Result:
    errors: list[str]
    summaries: dict[str, dict[int, dict[str, int]]]


def check_all(session: Session) -> Result:
    """The generic invariants over the whole ledger (balanced transactions, years isolated, every
    account of a registered type and on its side), then every registered book's reconciliation."""
    discover()
    txns = ledger.load_all(session)
    bals: Mapping[str, int] = core.balances(txns)
    errors = core.check_balanced(txns) + core.check_years_isolated(txns)
    errors += core.check_signs(bals, account_types(), unknown=True)
    summaries: dict[str, dict[int, dict[str, int]]] = {}
    for book in books():
        book_errors, summaries[book.name] = book.check(session)
        errors += book_errors
    return Result(list(dict.fromkeys(errors)), summaries)
