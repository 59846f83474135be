"""Pricing to the fen, with the arithmetic spelled out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yuzhi.compute.backends import JobState
from yuzhi.compute.pricing import (
    RateCard,
    billable_seconds,
    card_for,
    charge_fen,
    check_rate_cards,
    price_fen,
    quote_fen,
    validate_rate_cards,
)
from yuzhi.errors import InvalidInput, NotFound

GIB = 2**30
CARD = RateCard(core_hour_fen=50, gpu_hour_fen=800, mem_gb_hour_fen=5, valid_from=date(2026, 1, 1))


def test_price_hand_computed():
    # 2 cores × 1.5 h × 50 + 1 GPU × 1.5 h × 800 + 4 GiB × 1.5 h × 5 = 150 + 1200 + 30 = 1380
    assert price_fen(CARD, elapsed_s=5400, alloc_cpus=2, alloc_gpus=1, alloc_mem_bytes=4 * GIB) == 1380


def test_total_rounds_down_once_not_per_line():
    card = RateCard(core_hour_fen=1, gpu_hour_fen=0, mem_gb_hour_fen=1, valid_from=date(2026, 1, 1))
    # 1 core for 2700 s = 0.75 fen; 1 GiB for 2700 s = 0.75 fen; total 1.5 fen → 1 fen.
    # Per-line rounding would give 0 + 0 = 0; rounding each line up would give 2.
    assert price_fen(card, elapsed_s=2700, alloc_cpus=1, alloc_gpus=0, alloc_mem_bytes=GIB) == 1


def test_memory_in_binary_units_and_fractions():
    # 256 MiB = 1/4 GiB; 1 h at 5 fen/GiB-h = 1.25 fen, plus 1 core-h at 50 = 51.25 → 51
    assert price_fen(CARD, elapsed_s=3600, alloc_cpus=1, alloc_gpus=0, alloc_mem_bytes=256 * 2**20) == 51


def test_elapsed_rounds_up_to_whole_seconds():
    assert billable_seconds(0.2) == 1
    assert billable_seconds(3.0) == 3
    assert billable_seconds(0.0) == 0
    # 36 cores for 0.2 s → 1 s: 36 × 50 / 3600 = 0.5 fen → 0
    assert price_fen(CARD, elapsed_s=0.2, alloc_cpus=36, alloc_gpus=0, alloc_mem_bytes=0) == 0
    # 72 cores for 1 s: 72 × 50 / 3600 = exactly 1 fen
    assert price_fen(CARD, elapsed_s=1, alloc_cpus=72, alloc_gpus=0, alloc_mem_bytes=0) == 1


def test_large_job_is_exact():
    # 1024 cores, 64 GPUs, 8 TiB for 30 days: 720 h × (51,200 + 51,200 + 40,960) fen/h
    hours = 30 * 24
    expected = hours * (1024 * 50 + 64 * 800 + 8192 * 5)
    assert expected == 103_219_200
    assert price_fen(CARD, elapsed_s=hours * 3600, alloc_cpus=1024, alloc_gpus=64,
                     alloc_mem_bytes=8192 * GIB) == expected


@pytest.mark.parametrize(
    ("policy", "state", "expected"),
    [
        ("charged", JobState.SUCCEEDED, 50), ("free", JobState.SUCCEEDED, 50),
        ("charged", JobState.FAILED, 50), ("free", JobState.FAILED, 0),
        ("charged", JobState.TIMEOUT, 50), ("free", JobState.TIMEOUT, 0),
        ("charged", JobState.CANCELLED, 50), ("free", JobState.CANCELLED, 50),
        ("charged", JobState.LOST, 0), ("free", JobState.LOST, 0),
    ],
)
def test_failed_job_policy(policy, state, expected):
    card = RateCard(core_hour_fen=50, gpu_hour_fen=0, mem_gb_hour_fen=0, valid_from=date(2026, 1, 1),
                    failed_policy=policy)
    assert charge_fen(card, state=state, elapsed_s=3600, alloc_cpus=1, alloc_gpus=0, alloc_mem_bytes=0) == expected


def test_charge_refuses_unfinished_job():
    with pytest.raises(InvalidInput, match="still running"):
        charge_fen(CARD, state=JobState.RUNNING, elapsed_s=1, alloc_cpus=1, alloc_gpus=0, alloc_mem_bytes=0)


def test_quote_covers_limit_plus_a_minute():
    # 90 s limit → 2 whole minutes + 1 = 180 s; 4 cores × 50 × 180/3600 = 10; 1 GiB × 5 × 0.05 = 0.25 → 10
    assert quote_fen(CARD, time_limit_s=90, cpus=4, gpus=0, mem_mb=1024) == 10


def test_card_for_uses_china_standard_time():
    a = RateCard(10, 0, 0, valid_from=date(2026, 1, 1), valid_to=date(2026, 6, 30))
    b = RateCard(20, 0, 0, valid_from=date(2026, 7, 1))
    # 2026-06-30 16:30 UTC is 2026-07-01 00:30 in Beijing: the July card applies.
    assert card_for([a, b], datetime(2026, 6, 30, 16, 30, tzinfo=UTC)) is b
    assert card_for([a, b], datetime(2026, 6, 30, 15, 59, tzinfo=UTC)) is a
    with pytest.raises(NotFound, match="no rate card is valid on 2025-12-31"):
        card_for([a, b], date(2025, 12, 31))


def test_contiguous_cards_are_valid():
    cards = [RateCard(10, 0, 0, date(2026, 7, 1)),
             RateCard(10, 0, 0, date(2026, 1, 1), date(2026, 6, 30))]
    assert check_rate_cards(cards) == []
    validate_rate_cards(cards)


def test_gap_and_overlap_name_the_dates():
    cards = [
        RateCard(10, 0, 0, date(2026, 1, 1), date(2026, 3, 31)),
        RateCard(10, 0, 0, date(2026, 4, 10), date(2026, 6, 30)),  # gap 04-01..04-09
        RateCard(10, 0, 0, date(2026, 6, 15)),  # overlaps 06-15..06-30
    ]
    assert check_rate_cards(cards) == [
        "gap: no card covers 2026-04-01..2026-04-09",
        "overlap: the card 2026-04-10..2026-06-30 and the card starting 2026-06-15 both cover 2026-06-15",
    ]
    with pytest.raises(InvalidInput, match=r"gap: no card covers 2026-04-01\.\.2026-04-09"):
        validate_rate_cards(cards)


def test_open_ended_card_must_be_last():
    cards = [RateCard(10, 0, 0, date(2026, 1, 1)), RateCard(10, 0, 0, date(2027, 1, 1))]
    assert check_rate_cards(cards) == [
        "overlap: the card 2026-01-01..open end and the card starting 2027-01-01 both cover 2027-01-01"
    ]


@pytest.mark.parametrize(
    ("kw", "field", "message"),
    [
        ({"core_hour_fen": -1}, "core_hour_fen", "whole number of fen"),
        ({"gpu_hour_fen": 1.5}, "gpu_hour_fen", "whole number of fen"),
        ({"valid_to": date(2025, 12, 31)}, "valid_to", "before valid_from"),
        ({"failed_policy": "half"}, "failed_policy", "unknown"),
    ],
)
def test_bad_card(kw, field, message):
    args = {"core_hour_fen": 1, "gpu_hour_fen": 1, "mem_gb_hour_fen": 1, "valid_from": date(2026, 1, 1), **kw}
    with pytest.raises(InvalidInput, match=message) as err:
        RateCard(**args)
    assert err.value.field == field


# --- properties (hypothesis): the total is the exact price rounded down once -------------------

fen = st.integers(min_value=0, max_value=10**7)
#: Generation speed and per-example time measure the shared CI machine, not the pricing rules:
#: under load one draw took 1.6 s and failed the health check. The properties are unchanged.
_SLOW_MACHINE = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


@_SLOW_MACHINE
@given(core=fen, gpu=fen, mem=fen, seconds=st.integers(0, 10**8), cpus=st.integers(0, 4096),
       gpus=st.integers(0, 512), mem_bytes=st.integers(0, 2**44))
def test_price_is_exact_total_rounded_down_once(core, gpu, mem, seconds, cpus, gpus, mem_bytes):
    card = RateCard(core, gpu, mem, valid_from=date(2026, 1, 1))
    terms = [Fraction(cpus * seconds * core, 3600), Fraction(gpus * seconds * gpu, 3600),
             Fraction(mem_bytes * seconds * mem, GIB * 3600)]
    p = price_fen(card, elapsed_s=seconds, alloc_cpus=cpus, alloc_gpus=gpus, alloc_mem_bytes=mem_bytes)
    assert p <= sum(terms) < p + 1  # floor of the exact total
    assert sum(int(t) for t in terms) <= p <= sum(-(-t.numerator // t.denominator) for t in terms)


@_SLOW_MACHINE
@given(seconds=st.floats(min_value=0, max_value=10**6, allow_nan=False), extra=st.floats(0, 10**4))
def test_price_never_decreases_with_time(seconds, extra):
    card = RateCard(97, 0, 13, valid_from=date(2026, 1, 1))
    kw = {"alloc_cpus": 3, "alloc_gpus": 0, "alloc_mem_bytes": 5 * 2**29}
    assert price_fen(card, elapsed_s=seconds, **kw) <= price_fen(card, elapsed_s=seconds + extra, **kw)


@_SLOW_MACHINE
@given(limit=st.integers(1, 366 * 86400), used=st.integers(0, 366 * 86400))
def test_a_job_within_its_limit_never_costs_more_than_its_quote(limit, used):
    card = RateCard(3600, 800, 7, valid_from=date(2026, 1, 1))
    elapsed = min(used, limit + 60)  # Slurm may overrun by up to a scheduler interval
    q = quote_fen(card, time_limit_s=limit, cpus=4, gpus=1, mem_mb=3000)
    assert price_fen(card, elapsed_s=elapsed, alloc_cpus=4, alloc_gpus=1, alloc_mem_bytes=3000 * 2**20) <= q


def test_minimum_increment_and_charge_are_rate_card_settings():
    """Issue 20 item 2: a sub-second Slurm job (0 s) is no longer free when the card says so."""
    from datetime import date

    from yuzhi.compute.backends import JobState
    from yuzhi.compute.pricing import RateCard, charge_fen, quote_fen

    card = RateCard(core_hour_fen=3600, gpu_hour_fen=0, mem_gb_hour_fen=0, valid_from=date(2026, 1, 1),
                    min_increment_s=60, min_charge_fen=5, failed_policy="free")
    kw = {"alloc_cpus": 1, "alloc_gpus": 0, "alloc_mem_bytes": 0}
    assert charge_fen(card, state=JobState.SUCCEEDED, elapsed_s=0, **kw) == 5       # floor
    assert charge_fen(card, state=JobState.SUCCEEDED, elapsed_s=61, **kw) == 120    # 2 increments
    assert charge_fen(card, state=JobState.FAILED, elapsed_s=61, **kw) == 0         # free policy wins
    assert quote_fen(card, time_limit_s=1, cpus=1, gpus=0, mem_mb=0) == 120
    with pytest.raises(InvalidInput, match="min_increment_s"):
        RateCard(core_hour_fen=1, gpu_hour_fen=0, mem_gb_hour_fen=0, valid_from=date(2026, 1, 1), min_increment_s=0)
    with pytest.raises(InvalidInput, match="billing_period"):
        RateCard(core_hour_fen=1, gpu_hour_fen=0, mem_gb_hour_fen=0, valid_from=date(2026, 1, 1),
                 billing_period="week")
