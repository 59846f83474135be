"""The award rules as data: caps, scores, eligibility (pure, no database)."""

import pytest

from yuzhi.awards.rules import PLAN_CAP_FEN, AwardRules, eligibility_problems, grant_problem, split_funding
from yuzhi.errors import InvalidInput

R = AwardRules(budget_fen=5_000_000_00)


def test_defaults_follow_the_plan():
    assert (R.cap_per_model_fen, R.once_per_model, R.require_verified_filing, R.min_cases) == \
        (1_000_000_00, True, True, 1)
    assert sum(R.criteria.values()) == 100


@pytest.mark.parametrize(("requested", "pool", "expected"), [
    (2_000_000_00, 10**12, 1_000_000_00),  # cap binds: 1,000,000 yuan
    (300_000_00, 10**12, 300_000_00),  # requested binds
    (800_000_00, 250_000_01, 250_000_01),  # pool binds, to the fen
    (800_000_00, 0, 0),  # exhausted
])
def test_max_grant_is_min_of_requested_cap_pool(requested, pool, expected):
    assert R.max_grant(requested_fen=requested, pool_remaining_fen=pool) == expected


def test_grant_problem_names_the_binding_limit():
    assert grant_problem(R, amount_fen=1_000_000_00, requested_fen=1_000_000_00, pool_remaining_fen=10**12) is None
    msg = grant_problem(R, amount_fen=1_000_000_01, requested_fen=2_000_000_00, pool_remaining_fen=10**12)
    assert msg is not None and msg.startswith("100000001 fen exceeds cap_per_model (100000000 fen)")
    msg = grant_problem(R, amount_fen=500_00, requested_fen=400_00, pool_remaining_fen=10**12)
    assert msg is not None and "exceeds requested (40000 fen)" in msg
    msg = grant_problem(R, amount_fen=500_00, requested_fen=600_00, pool_remaining_fen=499_99)
    assert msg is not None and "exceeds pool_remaining (49999 fen)" in msg
    assert grant_problem(R, amount_fen=0, requested_fen=1, pool_remaining_fen=1) == \
        "the amount must be positive, got 0 fen"


def test_scores_sum_and_are_checked_per_criterion():
    assert R.total_score({"innovation": 30, "application_effect": 40, "industry_impact": 30}) == 100
    with pytest.raises(InvalidInput) as exc:
        R.total_score({"innovation": 31, "application_effect": 0, "industry_impact": 0})
    assert exc.value.field == "scores.innovation" and "0..30" in exc.value.message
    with pytest.raises(InvalidInput, match=r"missing \['industry_impact'\]; unknown \['x'\]"):
        R.total_score({"innovation": 1, "application_effect": 1, "x": 1})


def test_eligibility_lists_every_reason():
    assert eligibility_problems(R, filing_verified=True, verified_cases=1, already_awarded=False) == []
    problems = eligibility_problems(R, filing_verified=False, verified_cases=0, already_awarded=True)
    assert len(problems) == 3
    assert "no verified filing" in problems[0]
    assert problems[1] == "the model has 0 verified deployment case(s); the programme needs at least 1"
    assert "once per model" in problems[2]
    loose = AwardRules(budget_fen=1, once_per_model=False, require_verified_filing=False, min_cases=0, pass_score=1)
    assert eligibility_problems(loose, filing_verified=False, verified_cases=0, already_awarded=True) == []


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"budget_fen": 0}, "budget_fen"),
    ({"budget_fen": 1, "cap_per_model_fen": PLAN_CAP_FEN + 1}, "cap_per_model_fen"),
    ({"budget_fen": 1, "pass_score": 101}, "pass_score"),
    ({"budget_fen": 1, "criteria": {}}, "criteria"),
    ({"budget_fen": 1, "province_bp": 10001}, "province_bp"),
    ({"budget_fen": 1, "min_cases": -1}, "min_cases"),
])
def test_bad_rules_are_refused(kwargs, field):
    with pytest.raises(InvalidInput) as exc:
        AwardRules(**kwargs)
    assert exc.value.field == field


def test_funding_split_adds_up():
    assert split_funding(1_000_001, province_bp=5000) == (500_001, 500_000)
    assert split_funding(1_000_000_00, province_bp=10000) == (1_000_000_00, 0)
