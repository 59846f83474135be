"""The funding-programme core's rules, once for every programme (pure: no database).

Arithmetic rules are property tests: for any sequence of commitments and releases the pool never
goes negative and no unit is ever committed beyond its cap; the binding limit is the smallest; the
funding split adds up; a close returns exactly what was unused."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yuzhi.ledger.core import Txn, check_balanced
from yuzhi.programmes import core
from yuzhi.programmes.core import (
    DONE,
    EXPIRE_UNUSED,
    HOLDS,
    KEEP_COMMITMENTS,
    PENDING,
    Disclosure,
    Holding,
    OverCommitted,
)

fen = st.integers(0, 10**12)


# --- pool and cap ---------------------------------------------------------------------------------

ops = st.lists(st.tuples(st.integers(0, 3), st.integers(-(10**9), 10**9)), max_size=60)


@given(pool=st.integers(0, 10**10), cap=st.integers(1, 10**10), seq=ops)
def test_pool_never_negative_and_caps_never_exceeded_for_any_sequence(pool, cap, seq):
    """Four units ask for amounts (negative: give back what they hold) in any order; every request is
    first bounded by the core (headroom of the pool and the unit's cap), then taken from the pool."""
    remaining, held = pool, [0, 0, 0, 0]
    for unit, ask in seq:
        if ask < 0:  # a release gives back at most what the unit holds
            back = min(-ask, held[unit])
            remaining = core.take_from_pool(remaining, -back)
            held[unit] -= back
            continue
        limits = {"requested": ask, "unit_cap_remaining": core.cap_left(cap_fen=cap, committed_fen=held[unit]),
                  "pool_remaining": remaining}
        top, binding = core.headroom(limits)
        assert top == max(0, limits[binding]) and limits[binding] == min(limits.values())
        if ask > top:
            assert core.exceeded(ask, limits) is not None
            if ask > remaining:
                with pytest.raises(OverCommitted):
                    core.take_from_pool(remaining, ask)
            continue
        assert core.exceeded(top, limits) is None
        remaining = core.take_from_pool(remaining, top)
        held[unit] += top
        assert remaining >= 0
        assert all(h <= cap for h in held)
        assert remaining + sum(held) == pool


@given(remaining=fen, amount=fen)
def test_take_from_pool_refuses_what_is_not_there(remaining, amount):
    if amount > remaining:
        with pytest.raises(OverCommitted, match="left in the pool"):
            core.take_from_pool(remaining, amount)
    else:
        assert core.take_from_pool(remaining, amount) == remaining - amount >= 0


def test_cap_left_counts_the_reviewed_application_once():
    assert core.cap_left(cap_fen=1000, committed_fen=700) == 300
    assert core.cap_left(cap_fen=1000, committed_fen=700, held_by_this_fen=200) == 500  # re-review


@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.integers(-(10**6), 10**6), min_size=1))
def test_headroom_is_the_smallest_limit_never_negative(limits):
    top, binding = core.headroom(limits)
    assert top == max(0, min(limits.values()))
    assert limits[binding] == min(limits.values())
    assert binding == next(k for k in limits if limits[k] == min(limits.values()))  # the first smallest binds
    assert core.exceeded(top, limits) is None or top == 0


def test_headroom_needs_a_limit_and_exceeded_names_the_first_in_order():
    with pytest.raises(ValueError):
        core.headroom({})
    limits = {"requested": 50, "cap_per_model": 40, "pool_remaining": 10}
    assert core.exceeded(45, limits) == "cap_per_model"
    assert core.exceeded(10, limits) is None
    assert core.limits_text(limits) == "requested=50, cap_per_model=40, pool_remaining=10"


# --- funding ----------------------------------------------------------------------------------------


@given(amount=st.integers(1, 10**13), bp=st.integers(0, 10000))
def test_funding_postings_balance_and_split_exactly(amount, bp):
    legs = core.funding_postings(pool_account="pool:2026", source_prefix="funding:2026", amount_fen=amount,
                                 province_bp=bp)
    assert [p.account for p in legs] == ["pool:2026", "funding:2026:province", "funding:2026:city"]
    assert check_balanced([Txn("fund", 2026, legs)]) == []
    prov, city = -legs[1].amount, -legs[2].amount
    assert prov + city == amount and city == amount * (10000 - bp) // 10000  # the city share rounds down
    shares = core.paid_by_source(amount, province_bp=bp)
    assert sum(shares.values()) == amount and all(v > 0 for v in shares.values())


def test_funding_refuses_an_empty_pool():
    with pytest.raises(ValueError, match="positive"):
        core.funding_postings(pool_account="pool:2026", source_prefix="funding:2026", amount_fen=0, province_bp=5000)


# --- 公示 disclosure -------------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_disclosure_window_objections_and_taking_effect():
    d = Disclosure.after_decision(T0, 5)
    assert d.until == T0 + timedelta(days=5) and not d.immediate
    assert Disclosure.after_decision(T0, 0).immediate
    with pytest.raises(ValueError):
        Disclosure.after_decision(T0, -1)
    inside, at_end = T0 + timedelta(days=4), d.until
    assert core.disclosure_open(d.until, inside) and not core.disclosure_over(d.until, inside)
    assert not core.disclosure_open(d.until, at_end) and core.disclosure_over(d.until, at_end)
    assert not core.disclosure_open(None, inside) and core.disclosure_over(None, inside)
    assert not core.takes_effect(d.until, inside, open_objections=0)
    assert core.takes_effect(d.until, at_end, open_objections=0)
    assert not core.takes_effect(d.until, at_end, open_objections=1)  # an open objection holds it


@given(days=st.integers(0, 60), offset=st.integers(-10**7, 10**7))
def test_objections_and_effect_never_overlap(days, offset):
    until = Disclosure.after_decision(T0, days).until
    now = T0 + timedelta(seconds=offset)
    assert core.disclosure_open(until, now) != core.disclosure_over(until, now)


# --- the year's close ------------------------------------------------------------------------------

holdings = st.lists(st.builds(Holding, st.integers(1, 10**6), st.sampled_from([HOLDS, PENDING, DONE]),
                              st.integers(-10, 10**9)), max_size=40, unique_by=lambda h: h.app_id)


@given(holdings)
def test_close_expires_exactly_what_was_unused(hs):
    plan = core.close_year(hs, policy=EXPIRE_UNUSED)
    assert plan.expired_fen == sum(max(0, h.unused_fen) for h in hs if h.state == HOLDS)
    assert set(plan.closed) == {h.app_id for h in hs if h.state == HOLDS}
    assert set(plan.lapsed) == {h.app_id for h in hs if h.state == PENDING}
    assert all(v > 0 for _, v in plan.expire)


@given(holdings)
def test_close_that_keeps_commitments_changes_nothing(hs):
    plan = core.close_year(hs, policy=KEEP_COMMITMENTS)
    assert plan == core.ClosePlan((), (), ()) and plan.expired_fen == 0


def test_close_expires_nothing_of_a_holding_used_beyond_what_it_now_holds():
    """A re-review after an upheld objection may lower a quota below what was already used."""
    plan = core.close_year([Holding(7, HOLDS, -1)], policy=EXPIRE_UNUSED)
    assert plan.expire == () and plan.closed == (7,) and plan.expired_fen == 0
