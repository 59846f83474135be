"""Pure double-entry core: postings, transactions and invariant checks (no database, no domain).

Amounts are signed integer fen: positive = debit, negative = credit; every transaction sums to
zero. Accounts are colon-separated names whose first two segments are the account type and the
programme year (``quota:2026:app:7``); which account types exist, and on which side each must
stay, is registered by the domain that owns them (:class:`AccountType`, :mod:`yuzhi.ledger.books`),
not known here. Each invariant is a small function returning a list of error strings (beancount
style), so ``yuzhi ledger check`` can print them all.

>>> t = Txn("approve", 2026, (Posting("pool:2026", -500), Posting("quota:2026:app:1", 500)))
>>> check_balanced([t])
[]
>>> check_signs({"quota:2026:app:1": -1}, {"quota": AccountType("quota", DEBIT)})
['account quota:2026:app:1 is negative: -1 fen']
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Posting:
    account: str
    amount: int

    def __post_init__(self) -> None:
        if type(self.amount) is not int:
            raise TypeError(f"amount must be int fen, got {type(self.amount).__name__}")
        if not self.account or " " in self.account:
            raise ValueError(f"bad account name {self.account!r}")


@dataclass(frozen=True)
class Txn:
    kind: str
    year: int
    postings: tuple[Posting, ...]
    memo: str = ""
    ref: str = ""

    def __post_init__(self) -> None:
        if not self.postings:
            raise ValueError("a transaction needs postings")
        total = sum(p.amount for p in self.postings)
        if total != 0:
            raise ValueError(f"unbalanced {self.kind} transaction: postings sum to {total} fen, not 0")


def transfer(kind: str, year: int, *, debit: str, credit: str, amount: int, memo: str = "", ref: str = "") -> Txn:
    """Move ``amount`` fen into ``debit`` from ``credit``."""
    return Txn(kind, year, (Posting(debit, amount), Posting(credit, -amount)), memo, ref)


def balances(txns: Iterable[Txn]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for t in txns:
        for p in t.postings:
            out[p.account] += p.amount
    return dict(out)


def check_balanced(txns: Iterable[Txn]) -> list[str]:
    errors = []
    for i, t in enumerate(txns):
        total = sum(p.amount for p in t.postings)
        if total:
            errors.append(f"transaction #{i} ({t.kind} {t.ref}) sums to {total} fen")
    return errors


#: The side an account type's balance must stay on.
DEBIT, CREDIT, EITHER = "debit", "credit", "either"


@dataclass(frozen=True)
class AccountType:
    """A kind of account, registered by the domain that owns it.

    ``prefix`` is the name's first segment; ``side`` is where the balance must stay: ``debit``
    (≥ 0: money sits there, e.g. a pool or a quota), ``credit`` (≤ 0: a source of funds, or money
    owed to the programme, e.g. a receivable) or ``either``. ``hint`` is added to the error."""

    prefix: str
    side: str = EITHER
    description: str = ""
    hint: str = ""

    def __post_init__(self) -> None:
        if self.side not in (DEBIT, CREDIT, EITHER) or not self.prefix or ":" in self.prefix:
            raise ValueError(f"bad account type {self.prefix!r} ({self.side})")


def type_of(account: str) -> str:
    """The account type of an account name (its first segment)."""
    return account.split(":", 1)[0]


def check_signs(bals: Mapping[str, int], types: Mapping[str, AccountType], *, unknown: bool = False) -> list[str]:
    """Every balance on its type's side; with ``unknown``, also every account of a registered type."""
    errors = []
    for acct, amt in sorted(bals.items()):
        t = types.get(type_of(acct))
        if t is None:
            if unknown and amt:
                errors.append(f"account {acct} has no registered account type (no domain owns it)")
            continue
        if t.side == DEBIT and amt < 0:
            errors.append(f"account {acct} is negative: {amt} fen" + (f" ({t.hint})" if t.hint else ""))
        elif t.side == CREDIT and amt > 0:
            errors.append(f"account {acct} is positive: {amt} fen" + (f" ({t.hint})" if t.hint else ""))
    return errors


def check_non_negative(bals: Mapping[str, int], prefixes: Iterable[str]) -> list[str]:
    """Accounts of the given types (``"pool"``, ``"quota:"`` …) never below zero."""
    types = {p.rstrip(":"): AccountType(p.rstrip(":"), DEBIT) for p in prefixes}
    return check_signs(bals, types)


def check_years_isolated(txns: Iterable[Txn]) -> list[str]:
    """Nothing from one programme year may pay for another: every posting stays in its txn's year."""
    errors = []
    for t in txns:
        for p in t.postings:
            parts = p.account.split(":")
            if len(parts) < 2 or parts[1] != str(t.year):
                errors.append(f"{t.kind} {t.ref}: account {p.account} is outside year {t.year}")
    return errors


def sum_prefix(bals: Mapping[str, int], prefix: str) -> int:
    return sum(v for k, v in bals.items() if k.startswith(prefix))


def txn_digest(txn_id: int, at: datetime, year: int, kind: str, ref: str, memo: str,
               postings: Iterable[tuple[str, int]]) -> str:
    """SHA-256 of one stored transaction: id, time, year, kind, ref, memo and its postings (sorted,
    so the order rows come back in does not matter). Kept in the audit chain's ``ledger.post``
    event, so a ledger row changed, added or removed behind the platform's back shows."""
    body = [txn_id, at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"), year, kind, ref, memo,
            sorted([a, int(v)] for a, v in postings)]
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
