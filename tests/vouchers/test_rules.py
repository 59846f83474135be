import pytest
from hypothesis import given
from hypothesis import strategies as st

from yuzhi.errors import InvalidInput
from yuzhi.vouchers.rules import ProgrammeRules, reversal_for_credit, split_funding


def test_subsidy_is_twenty_percent_rounded_down():
    r = ProgrammeRules()
    assert r.subsidy_for(eligible_fen=12_345, remaining_quota_fen=10**9) == 2_469  # 2469.0
    assert r.subsidy_for(eligible_fen=12_349, remaining_quota_fen=10**9) == 2_469  # 2469.8 → down
    assert r.subsidy_for(eligible_fen=12_349, remaining_quota_fen=1_000) == 1_000  # quota binds


def test_max_approvable_takes_the_binding_limit():
    r = ProgrammeRules()
    assert r.max_approvable(planned_spend_fen=1_000_00, unit_remaining_fen=10**9, pool_remaining_fen=10**9) == 200_00
    assert r.max_approvable(planned_spend_fen=10**9, unit_remaining_fen=5, pool_remaining_fen=10**9) == 5
    assert r.max_approvable(planned_spend_fen=10**9, unit_remaining_fen=10**9, pool_remaining_fen=7) == 7


def test_rules_outside_the_plan_are_refused():
    with pytest.raises(InvalidInput, match="50,000,000"):
        ProgrammeRules(pool_fen=50_000_000_01)
    with pytest.raises(InvalidInput, match="rate_bp"):
        ProgrammeRules(rate_bp=0)


@given(st.integers(0, 10**12), st.integers(0, 10000))
def test_funding_split_always_adds_up(amount, bp):
    prov, city = split_funding(amount, province_bp=bp)
    assert prov + city == amount and prov >= 0 and city >= 0


def test_funding_split_one_to_one():
    assert split_funding(101, province_bp=5000) == (51, 50)


@given(st.integers(1, 10**9), st.lists(st.integers(1, 10**8), min_size=1, max_size=5))
def test_credits_in_pieces_end_where_one_credit_would(amount, pieces):
    rate = 2000
    granted = amount * rate // 10000
    net, credited = granted, 0
    for piece in pieces:
        piece = min(piece, amount - credited)
        if piece <= 0:
            break
        net -= reversal_for_credit(original_eligible_fen=amount, credited_before_fen=credited, credit_fen=piece,
                                   net_subsidy_fen=net, rate_bp=rate)
        credited += piece
        assert net == (amount - credited) * rate // 10000
