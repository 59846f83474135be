"""Rate cards and the price of metered usage, in integer fen. Pure: no database, no HTTP.

Rules (also in ``docs/compute.md``):

* A rate card prices **allocated** resources over **wall time**, as HPC centres bill:
  ``core-hours = alloc_cpus × elapsed``, ``GPU-hours = alloc_gpus × elapsed``,
  ``GB-hours = alloc_mem / 2^30 × elapsed`` (GB means GiB, the unit Slurm reports).
* Elapsed time is metered in whole seconds, rounded **up** (a 0.2 s job is 1 s); Slurm already
  reports whole seconds.
* The three terms are added exactly (rational arithmetic) and the **total** is rounded **down** to
  the fen, once. No per-line rounding, so the sum never drifts and never exceeds the exact price.
* The card that applies is the one in force on the job's **start date** in China Standard Time
  (UTC+8), so the price quoted before a job starts is the price it is billed at.
* Validity is inclusive of both dates; ``valid_to=None`` means open-ended (only the last card).
  A provider's cards must cover one unbroken period: a gap or an overlap is an error naming the
  dates.
* **Minimum billing increment** (``min_increment_s``, default 1 s): billable seconds are rounded
  up to a whole number of increments (a centre billing by the minute sets 60). **Minimum charge**
  (``min_charge_fen``, default 0): a charged job costs at least this much (a sub-second Slurm job,
  reported as 0 s, is otherwise free). The hold quoted before the job covers both.
* **Billing period** (``billing_period``): ``job`` bills each finished job on its own; ``month``
  gathers a unit's jobs of a calendar month (by Slurm start date, CST) into one invoice whose
  subsidy is computed once, by the voucher bill path (``yuzhi compute invoice``).
* Failed and timed-out jobs are charged or free per the card's ``failed_policy``; cancelled jobs
  are charged for the time they ran; jobs the engine lost (node failure) are never charged.

Example: 2 cores, 4 GiB, 1 GPU for 90 minutes at 50 fen/core-h, 800 fen/GPU-h, 5 fen/GB-h
= 2×1.5×50 + 1×1.5×800 + 4×1.5×5 = 150 + 1200 + 30 = 1380 fen.

>>> from datetime import date
>>> card = RateCard(core_hour_fen=50, gpu_hour_fen=800, mem_gb_hour_fen=5, valid_from=date(2026, 1, 1))
>>> price_fen(card, elapsed_s=5400, alloc_cpus=2, alloc_gpus=1, alloc_mem_bytes=4 * 2**30)
1380
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

from yuzhi.compute.backends.base import JobState
from yuzhi.errors import InvalidInput, NotFound

#: China Standard Time: rate card dates are calendar dates here (no daylight saving).
CST = timezone(timedelta(hours=8), "CST")
GIB = 2**30
FAILED_POLICIES = ("charged", "free")
BILLING_PERIODS = ("job", "month")


@dataclass(frozen=True)
class RateCard:
    """One provider price list, valid for a period.

    Parameters
    ----------
    core_hour_fen, gpu_hour_fen, mem_gb_hour_fen : int
        Prices in fen (0.01 yuan) per core-hour, GPU-hour and GiB-hour of memory; ≥ 0.
    valid_from, valid_to : date
        First and last day (inclusive, China Standard Time); ``valid_to=None`` is open-ended.
    failed_policy : {"charged", "free"}
        Whether failed and timed-out jobs are billed.
    """

    core_hour_fen: int
    gpu_hour_fen: int
    mem_gb_hour_fen: int
    valid_from: date
    valid_to: date | None = None
    failed_policy: str = "charged"
    min_increment_s: int = 1
    min_charge_fen: int = 0
    billing_period: str = "job"

    def __post_init__(self) -> None:
        if not isinstance(self.min_increment_s, int) or not 1 <= self.min_increment_s <= 86400:
            raise InvalidInput(f"min_increment_s must be 1..86400 seconds, got {self.min_increment_s!r}",
                               field="min_increment_s", fix="e.g. 1 (per second) or 60 (per minute)")
        if not isinstance(self.min_charge_fen, int) or isinstance(self.min_charge_fen, bool) \
                or self.min_charge_fen < 0:
            raise InvalidInput(f"min_charge_fen must be a whole number of fen ≥ 0, got {self.min_charge_fen!r}",
                               field="min_charge_fen", fix="give the minimum charge per job in integer fen")
        if self.billing_period not in BILLING_PERIODS:
            raise InvalidInput(f"billing_period {self.billing_period!r} is unknown", field="billing_period",
                               fix="use 'job' or 'month'")
        for name in ("core_hour_fen", "gpu_hour_fen", "mem_gb_hour_fen"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidInput(f"{name} must be a whole number of fen ≥ 0, got {value!r}", field=name,
                                   fix="give prices in integer fen (1 yuan = 100 fen)")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise InvalidInput(f"valid_to {self.valid_to} is before valid_from {self.valid_from}",
                               field="valid_to", fix="swap the dates or fix the typo")
        if self.failed_policy not in FAILED_POLICIES:
            raise InvalidInput(f"failed_policy {self.failed_policy!r} is unknown", field="failed_policy",
                               fix="use 'charged' or 'free'")

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def check_rate_cards(cards: Sequence[RateCard]) -> list[str]:
    """Every problem with a provider's set of cards (empty list = valid), in date order."""
    errors: list[str] = []
    ordered = sorted(cards, key=lambda c: c.valid_from)
    for prev, nxt in itertools.pairwise(ordered):
        if prev.valid_to is None or nxt.valid_from <= prev.valid_to:
            end = "open end" if prev.valid_to is None else str(prev.valid_to)
            errors.append(f"overlap: the card {prev.valid_from}..{end} and the card starting "
                          f"{nxt.valid_from} both cover {nxt.valid_from}")
        elif nxt.valid_from > prev.valid_to + timedelta(days=1):
            errors.append(f"gap: no card covers {prev.valid_to + timedelta(days=1)}.."
                          f"{nxt.valid_from - timedelta(days=1)}")
    return errors


def validate_rate_cards(cards: Sequence[RateCard]) -> None:
    """Raise :class:`InvalidInput` naming every gap and overlap."""
    errors = check_rate_cards(cards)
    if errors:
        raise InvalidInput("rate cards: " + "; ".join(errors), field="valid_from",
                           fix="make each card start the day after the previous one ends")


def card_for(cards: Sequence[RateCard], when: datetime | date) -> RateCard:
    """The card in force on ``when`` (a UTC datetime is read as its China Standard Time date)."""
    day = when.astimezone(CST).date() if isinstance(when, datetime) else when
    for card in cards:
        if card.covers(day):
            return card
    raise NotFound(f"no rate card is valid on {day}", field="rate_card",
                   fix="the provider must publish a rate card covering that date")


def billable_seconds(elapsed_s: float, increment_s: int = 1) -> int:
    """Whole seconds rounded up, then up to a whole number of ``increment_s`` (see module rules).

    >>> billable_seconds(0.2), billable_seconds(61, 60), billable_seconds(0, 60)
    (1, 120, 0)
    """
    if elapsed_s < 0:
        raise InvalidInput(f"elapsed time {elapsed_s} is negative", field="elapsed_s")
    seconds = math.ceil(round(elapsed_s, 6))
    return -(-seconds // increment_s) * increment_s


def price_fen(card: RateCard, *, elapsed_s: float, alloc_cpus: int, alloc_gpus: int,
              alloc_mem_bytes: int) -> int:
    """Price of one job's allocation in fen, total rounded down (see module rules).

    The minimum charge is not part of the price: :func:`charge_fen` applies it to charged jobs.
    """
    seconds = billable_seconds(elapsed_s, card.min_increment_s)
    exact = Fraction(seconds, 3600) * (
        alloc_cpus * card.core_hour_fen
        + alloc_gpus * card.gpu_hour_fen
        + Fraction(alloc_mem_bytes, GIB) * card.mem_gb_hour_fen
    )
    return math.floor(exact)


def is_charged(card: RateCard, state: JobState) -> bool:
    """Whether a job that ended in ``state`` is billed under ``card``."""
    if state in (JobState.SUCCEEDED, JobState.CANCELLED):
        return True
    if state in (JobState.FAILED, JobState.TIMEOUT):
        return card.failed_policy == "charged"
    return False  # LOST: the engine's fault, never the customer's


def charge_fen(card: RateCard, *, state: JobState, elapsed_s: float, alloc_cpus: int, alloc_gpus: int,
               alloc_mem_bytes: int) -> int:
    """What a finished job costs: :func:`price_fen` if :func:`is_charged`, else 0."""
    if not state.is_terminal:
        raise InvalidInput(f"job is still {state.value}; only finished jobs are charged", field="state")
    if not is_charged(card, state):
        return 0
    return max(card.min_charge_fen, price_fen(card, elapsed_s=elapsed_s, alloc_cpus=alloc_cpus,
                                              alloc_gpus=alloc_gpus, alloc_mem_bytes=alloc_mem_bytes))


def quote_fen(card: RateCard, *, time_limit_s: int, cpus: int, gpus: int, mem_mb: int) -> int:
    """Upper bound for a job before it runs: its full request for its full time limit.

    The hold placed on the organisation's budget is this amount, so the final charge (≤ the
    quote for any job that stays within its limit) can always be covered. Slurm may let a job run
    up to one scheduling interval past its limit; the quote uses the limit rounded up to whole
    minutes plus one minute to cover that.
    """
    limit = (math.ceil(time_limit_s / 60) + 1) * 60
    return max(card.min_charge_fen,
               price_fen(card, elapsed_s=limit, alloc_cpus=cpus, alloc_gpus=gpus, alloc_mem_bytes=mem_mb * 2**20))
