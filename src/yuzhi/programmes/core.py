"""The pure rules of a funding programme year, one implementation for every programme (no database,
no HTTP): the pool, the per-unit cap, the limit that binds a commitment, the 公示 disclosure window
and what a year's close does to what is still held.

Vouchers (a quota per unit and provider contract) and awards (a one-off grant per model) are both
"commit from a year's pool, at most a cap per unit, after review, then on public disclosure for
``disclosure_days``": the arithmetic of those steps lives here so the two cannot drift apart. A
programme's own rules (a rate of planned spend, scores, once per model) stay in its domain and enter
as one more named limit.

>>> headroom({"requested": 700, "unit_cap_remaining": 500, "pool_remaining": 900})
(500, 'unit_cap_remaining')
>>> take_from_pool(900, 500)
400
>>> cap_left(cap_fen=1_000, committed_fen=800, held_by_this_fen=300)
500
>>> close_year([Holding(1, HOLDS, 40), Holding(2, PENDING, 0), Holding(3, HOLDS, 0)], policy=EXPIRE_UNUSED)
ClosePlan(expire=((1, 40),), closed=(1, 3), lapsed=(2,))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from yuzhi.ledger.core import Posting
from yuzhi.programmes.funding import split_funding

# --- the pool and the per-unit cap -------------------------------------------------------------


class OverCommitted(ValueError):
    """A commitment larger than what is left: raised by the pure rules, turned into the domain's
    own error (field, fix, page language) by the service that asked."""


def take_from_pool(remaining_fen: int, amount_fen: int) -> int:
    """What is left of a pool after committing ``amount_fen`` (negative: given back). Never below zero:
    a commitment the pool cannot cover is refused, whatever sequence of commitments led here."""
    if remaining_fen - amount_fen < 0:
        raise OverCommitted(f"{amount_fen} fen exceeds the {remaining_fen} fen left in the pool")
    return remaining_fen - amount_fen


def cap_left(*, cap_fen: int, committed_fen: int, held_by_this_fen: int = 0) -> int:
    """What one unit may still be committed under a per-unit cap. ``held_by_this_fen``: what the
    application under review already holds (a re-review replaces it, so it does not count twice)."""
    return cap_fen - committed_fen + held_by_this_fen


def headroom(limits: Mapping[str, int]) -> tuple[int, str]:
    """The most that may be committed now (never negative) and the name of the limit that binds it.

    ``limits`` is every limit in force by name (the pool, the unit's cap, the programme's own such
    as a rate of planned spend or the amount requested); the first smallest one binds."""
    if not limits:
        raise ValueError("a commitment needs at least one limit")
    binding = min(limits, key=lambda k: limits[k])
    return max(0, limits[binding]), binding


def exceeded(amount_fen: int, limits: Mapping[str, int]) -> str | None:
    """The first limit (in the order given) that ``amount_fen`` exceeds; None when it fits them all."""
    return next((name for name, lim in limits.items() if amount_fen > lim), None)


def limits_text(limits: Mapping[str, int]) -> str:
    """``a=1, b=2``: every limit, for an error message that names them all."""
    return ", ".join(f"{k}={v}" for k, v in limits.items())


# --- funding a year ------------------------------------------------------------------------------


def funding_postings(*, pool_account: str, source_prefix: str, amount_fen: int, province_bp: int
                     ) -> tuple[Posting, ...]:
    """The postings that fund a year's pool: the pool is debited, the province and city sources
    (``<source_prefix>:province|city``) are credited in the programme's split. A source whose share
    is zero is still named (a zero posting), so every year has both source accounts."""
    if amount_fen <= 0:
        raise ValueError(f"a pool is funded with a positive amount, got {amount_fen} fen")
    prov, city = split_funding(amount_fen, province_bp=province_bp)
    return (Posting(pool_account, amount_fen), Posting(f"{source_prefix}:province", -prov),
            Posting(f"{source_prefix}:city", -city))


def paid_by_source(amount_fen: int, *, province_bp: int) -> dict[str, int]:
    """``{"province": …, "city": …}`` shares of a payout, only the non-zero ones (what is posted)."""
    prov, city = split_funding(amount_fen, province_bp=province_bp)
    return {k: v for k, v in (("province", prov), ("city", city)) if v}


# --- 公示 disclosure ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disclosure:
    """A commitment's public disclosure period (公示期): from the decision for ``days`` days. With
    zero days it takes effect at once. Objections are taken while the window is open; the money
    is used or paid only after it closes with no objection open."""

    start: datetime
    until: datetime

    @classmethod
    def after_decision(cls, decided_at: datetime, days: int) -> Disclosure:
        if days < 0:
            raise ValueError(f"a disclosure period is zero days or more, got {days}")
        return cls(decided_at, decided_at + timedelta(days=days))

    @property
    def immediate(self) -> bool:
        return self.until <= self.start


def disclosure_open(until: datetime | None, now: datetime) -> bool:
    """Objections are taken while ``now`` is before the end of the window (no end: no window)."""
    return until is not None and now < until


def disclosure_over(until: datetime | None, now: datetime) -> bool:
    """The window has ended (or there was none): the commitment may take effect or be paid."""
    return until is None or until <= now


def takes_effect(until: datetime | None, now: datetime, *, open_objections: int) -> bool:
    """A commitment on disclosure takes effect once its window is over and no objection is open
    (an open objection holds it until the office resolves it)."""
    return disclosure_over(until, now) and open_objections == 0


# --- the year's close ----------------------------------------------------------------------------

HOLDS, PENDING, DONE = "holds", "pending", "done"


@dataclass(frozen=True)
class Holding:
    """One application at the close: ``state`` HOLDS (money committed to it), PENDING (not yet
    reviewed) or DONE (rejected, revoked, paid, expired: nothing to do); ``unused_fen`` what it
    holds and has not used."""

    app_id: int
    state: str
    unused_fen: int = 0


@dataclass(frozen=True)
class ClosePolicy:
    """What a programme's close does. ``expire_unused``: what a holding has not used returns to the
    pool and the holding ends (vouchers: quota is for the year's usage); otherwise commitments stay
    to be paid after the close (awards: a grant on disclosure is still paid). ``lapse_pending``:
    applications not yet reviewed are refused at the close. Either way receivables (money paid out
    and owed back) stay receivables of the closed year's pool: netted or repaid within that year,
    never against another year's money — the close moves none of them."""

    expire_unused: bool
    lapse_pending: bool


EXPIRE_UNUSED = ClosePolicy(expire_unused=True, lapse_pending=True)
KEEP_COMMITMENTS = ClosePolicy(expire_unused=False, lapse_pending=False)


@dataclass(frozen=True)
class ClosePlan:
    """``expire``: (application, fen) returned to the pool; ``closed``: holdings that end;
    ``lapsed``: pending applications refused by the close."""

    expire: tuple[tuple[int, int], ...]
    closed: tuple[int, ...]
    lapsed: tuple[int, ...]

    @property
    def expired_fen(self) -> int:
        return sum(v for _, v in self.expire)


def close_year(holdings: Iterable[Holding], *, policy: ClosePolicy) -> ClosePlan:
    """The plan of a year's close under ``policy`` (applied by the domain's service, in one
    transaction with the programme row locked)."""
    expire: list[tuple[int, int]] = []
    closed: list[int] = []
    lapsed: list[int] = []
    for h in holdings:
        if h.state == HOLDS and policy.expire_unused:
            if h.unused_fen > 0:  # (a re-review may lower a quota below what was already used: nothing left)
                expire.append((h.app_id, h.unused_fen))
            closed.append(h.app_id)
        elif h.state == PENDING and policy.lapse_pending:
            lapsed.append(h.app_id)
    return ClosePlan(tuple(expire), tuple(closed), tuple(lapsed))
