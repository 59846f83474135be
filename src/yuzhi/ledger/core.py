"""Pure double-entry core: postings, transactions and invariant checks (no database).

Amounts are signed integer fen: positive = debit, negative = credit; every transaction sums to
zero. Accounts are colon-separated names, one namespace per programme year ``Y``::

    funding:Y:province / funding:Y:city   sources of the pool (credit balances)
    pool:Y                                 uncommitted pool (debit balance, never negative)
    quota:Y:app:<id>                       approved, unconsumed quota of one application (never negative)
    payable:Y:<provider|org>:<id>          subsidy owed to a payee, not yet settled
    paid:Y:<province|city>:<payee>:<id>    subsidy paid out, by funding source

Flows: ``fund`` pool ← funding; ``approve`` quota ← pool; ``subsidy`` payable ← quota; ``refund``
quota ← payable; ``expire`` pool ← quota; ``settle`` paid ← payable. Each invariant is a small
function returning a list of error strings (beancount style), so ``yuzhi ledger check`` can print
them all.

>>> t = Txn("approve", 2026, (Posting("pool:2026", -500), Posting("quota:2026:app:1", 500)))
>>> check_balanced([t])
[]
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


NON_NEGATIVE_PREFIXES = ("pool:", "quota:")


def check_non_negative(bals: Mapping[str, int]) -> list[str]:
    return [
        f"account {acct} is negative: {amt} fen"
        for acct, amt in sorted(bals.items())
        if acct.startswith(NON_NEGATIVE_PREFIXES) and amt < 0
    ]


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
