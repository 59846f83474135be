"""Cross-validation protocol: fixed splits, choice on training folds only, fixed-threshold NAB."""

import numpy as np
import pytest

from yuzhi.errors import InvalidInput
from yuzhi.monitor.benchmarks import NabFile, nab_score
from yuzhi.monitor.crossval import (
    choose,
    cross_validate,
    nab_split,
    skab_objective,
    skab_split,
)

SKAB = [f"valve1/{k}.csv" for k in range(16)] + [f"other/{k}.csv" for k in range(1, 8)] + ["valve2/1.csv"]


def test_skab_split_locks_files_and_groups_folds():
    s = skab_split(SKAB)
    assert set(s.locked) == {"valve1/12.csv", "valve1/13.csv", "valve1/14.csv", "valve1/15.csv",
                             "other/6.csv", "other/7.csv"}
    assert set(s.folds) == {"valve1 0-5", "valve1 6-11", "other", "valve2"}
    assert s.folds["other"] == tuple(f"other/{k}.csv" for k in range(1, 6))
    # every file is in exactly one place
    assert sorted(s.development + s.locked) == sorted(SKAB)


def test_skab_split_rejects_odd_names():
    with pytest.raises(InvalidInput, match=r"not <group>/<number>\.csv"):
        skab_split(["valve1/abc.csv"])


def test_nab_split_leave_one_category_out_and_locked_last_file():
    names = ["b/x.csv", "a/2.csv", "a/1.csv", "a/3.csv", "b/y.csv", "c/only.csv"]
    s = nab_split(names)
    assert s.locked == ("a/3.csv", "b/y.csv")
    assert s.folds == {"a": ("a/1.csv", "a/2.csv"), "b": ("b/x.csv",), "c": ("c/only.csv",)}


def test_cross_validate_never_chooses_on_the_held_out_fold():
    """Candidate 'good_on_A' is best only on fold A's files: it must not be chosen for fold A."""
    split = skab_split(["valve1/0.csv", "valve1/7.csv", "other/1.csv"])
    table = {  # candidate -> file -> f1
        "good_on_A": {"valve1/0.csv": 1.0, "valve1/7.csv": 0.1, "other/1.csv": 0.1},
        "steady": {"valve1/0.csv": 0.6, "valve1/7.csv": 0.6, "other/1.csv": 0.6},
    }
    seen: list[tuple[str, tuple[str, ...]]] = []

    def evaluate(c, files):
        seen.append((c, tuple(files)))
        return {"f1": float(np.mean([table[c][f] for f in files])), "far": 0.0}

    res = cross_validate(list(table), split, evaluate, skab_objective())
    by = {r.fold: r for r in res}
    assert by["valve1 0-5"].chosen == "steady"
    assert by["valve1 0-5"].held_out["f1"] == pytest.approx(0.6)
    # the choice for fold A was made on the other two files only
    assert ("good_on_A", ("valve1/7.csv", "other/1.csv")) in seen or \
        ("good_on_A", ("other/1.csv", "valve1/7.csv")) in seen
    assert by["other"].chosen == "steady"


def test_skab_objective_prefers_candidates_within_the_false_alarm_budget():
    cands = {"noisy": {"f1": 0.9, "far": 20.0}, "quiet": {"f1": 0.8, "far": 5.0}}
    c, _ = choose(list(cands), ["f"], lambda c, f: cands[c], skab_objective(10.0))
    assert c == "quiet"
    with pytest.raises(InvalidInput):
        choose([], ["f"], lambda c, f: {}, skab_objective())


def test_nab_score_at_a_fixed_threshold():
    f = NabFile("x/a.csv", tuple(str(i) for i in range(100)), np.zeros(100), ((50, 59),))
    s = np.zeros(100)
    s[50] = 0.9  # a detection at the window's left edge
    s[80] = 0.95  # a false positive after the window
    best = nab_score([f], [s])["standard"]
    assert best["threshold"] == pytest.approx(0.9)
    hi = nab_score([f], [s], thresholds={k: 0.95 for k in ("standard", "reward_low_FP_rate",
                                                           "reward_low_FN_rate")})["standard"]
    # at 0.95 only the false positive fires: worse than never firing
    assert hi["score"] < 0.0
    assert hi["threshold"] == 0.95
    lo = nab_score([f], [s], thresholds={k: 0.5 for k in ("standard", "reward_low_FP_rate",
                                                          "reward_low_FN_rate")})["standard"]
    assert lo["score"] == pytest.approx(best["score"])
