"""Pure target arithmetic, plausibility checks and disclosure control (no database)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yuzhi.kpi.core import (
    YI,
    Cell,
    PlanTargets,
    QuarterFigures,
    check_plausibility,
    previous_quarter,
    progress,
    protect,
    publishable,
    required_cagr,
    required_path,
)

T = PlanTargets()


def test_plan_growth_is_31_7_percent():
    # (160 / 70) ** (1/3) = 1.31727... : the plan's "31.7% a year"
    assert f"{required_cagr(700 * YI, 2024, 1600 * YI, 2027):.3f}" == "0.317"
    path = required_path(700 * YI, 2024, 1600 * YI, 2027)
    assert [y for y, _ in path] == [2024, 2025, 2026, 2027]
    assert path[0][1] == 700 * YI and path[-1][1] == 1600 * YI
    assert path[1][1] == round(700 * YI * (16 / 7) ** (1 / 3))  # 922.09 亿


def test_required_growth_is_recomputed_from_the_latest_actual():
    # 2025 came in at 1,000 亿: 1,600 / 1,000 over two years → sqrt(1.6) − 1 = 26.49 %
    p = progress(T, {2025: 1000 * YI})
    assert p.latest_year == 2025 and p.latest_fen == 1000 * YI
    assert f"{p.required_cagr:.4f}" == "0.2649"
    assert p.on_track is True and p.gap_fen == 1000 * YI - round(700 * YI * (16 / 7) ** (1 / 3))
    assert p.recomputed_path[0] == (2025, 1000 * YI) and p.recomputed_path[-1] == (2027, 1600 * YI)
    behind = progress(T, {2025: 800 * YI})
    assert behind.on_track is False and f"{behind.required_cagr:.4f}" == "0.4142"  # sqrt(2) − 1
    base = progress(T, {})
    assert (base.latest_year, base.latest_fen, base.on_track) == (2024, 700 * YI, True)
    assert base.required_cagr == base.planned_cagr


def test_previous_quarter_wraps_the_year():
    assert previous_quarter(2026, 1) == (2025, 4) and previous_quarter(2026, 3) == (2026, 2)


def q(rev_wan, rd_wan=10, emp=100, prod=1):
    return QuarterFigures(rev_wan * 1_000_000, rd_wan * 1_000_000, emp, prod)


def test_plausibility_flags_jumps_drops_and_head_count():
    assert check_plausibility(q(100), q(250)) == []  # ×2.5: plausible growth
    flags = check_plausibility(q(100), q(10_000))  # ×100: 万元 typed as 元?
    assert flags[0][0] == "ai_revenue_fen" and flags[0][1].startswith("100.0× the previous quarter")
    assert "check the unit" in flags[0][1]
    assert check_plausibility(q(100), q(40))[0][1].startswith("fell to 40% of the previous quarter")
    assert check_plausibility(q(100, emp=100), q(100, emp=151)) == [
        ("employees", "head count changed from 100 to 151 in one quarter")]
    assert check_plausibility(None, q(0, prod=2)) == [
        ("ai_revenue_fen", "AI products shipped but no AI revenue reported")]
    # ratios on a tiny base are not flagged (5,000 yuan → 50,000 yuan)
    assert check_plausibility(QuarterFigures(5_000_00, 0, 5, 0), QuarterFigures(50_000_00, 0, 5, 0)) == []


@pytest.mark.parametrize(("values", "ok"), [
    ([10, 10, 10], True),
    ([10, 10], False),  # fewer than three firms
    ([90, 5, 5], False),  # one firm is 90 % of the cell
    ([85, 10, 5], True),  # exactly 85 % is allowed
])
def test_publishable_threshold_and_dominance(values, ok):
    assert publishable(values) is ok


def test_protect_merges_small_cells_and_protects_the_residual():
    groups = {"A": [10, 10, 10], "B": [50, 40, 30], "C": [7], "D": [3, 4]}
    # C and D are unpublishable; merged they are [7, 3, 4] = 14 over 3 firms (top 50 %): publishable
    assert protect(groups) == [Cell("B", 3, 120), Cell("A", 3, 30), Cell("其他", 3, 14)]
    # only one small cell: alone it would be revealed as total − published, so the smallest cell joins it
    assert protect({"A": [10, 10, 10], "B": [50, 40, 30], "C": [7]}) == [Cell("B", 3, 120), Cell("其他", 4, 37)]
    assert protect({"A": [5], "B": [6]}) == []  # even the total is unpublishable


@given(st.dictionaries(st.sampled_from(["A", "B", "C", "D", "E", "F"]),
                       st.lists(st.integers(0, 10**9), min_size=1, max_size=6), max_size=6))
def test_protect_never_publishes_an_unsafe_cell_and_keeps_the_total(groups):
    cells = protect(groups)
    total = sum(sum(v) for v in groups.values())
    if cells:
        assert sum(c.value_fen for c in cells) == total
        assert sum(c.firms for c in cells) == sum(len(v) for v in groups.values())
        assert all(c.firms >= 3 for c in cells)
        # every published cell passes both rules: rebuild its members and check
        for c in cells:
            if c.label != "其他":
                assert publishable(groups[c.label])
    else:
        assert not all(publishable(v) for v in groups.values()) or not groups


@given(st.integers(1, 10**14), st.integers(2020, 2026), st.integers(1, 10**14))
def test_required_path_ends_on_the_target(start, year, target):
    path = required_path(start, year, target, 2027)
    assert path[0] == (year, start) and path[-1] == (2027, target)
    assert len(path) == 2027 - year + 1
