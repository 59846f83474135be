"""Cross-validated choice of detector settings: locked splits, folds and out-of-fold scoring.

Why: settings tuned on the very files they are scored on do not transfer (issue 17: NAB 69.1 on
the visible files fell to 54.6 on unseen ones). Here every setting is *chosen* on training folds
and *scored* on a held-out fold it was not chosen on, and a locked part of the data is scored once
at the end with the settings chosen on all development folds.

Splits are fixed by file name, not drawn at random, so anyone re-running the protocol gets the
same folds:

* SKAB — locked: ``valve1`` files 12–15 and ``other`` files 6–7; development folds by group and
  file number (``valve1`` 0–5, ``valve1`` 6–11, ``other`` 1–5), so the ``other`` fold (leaks,
  rotor imbalance, cavitation) is scored with settings chosen on valve experiments only;
* NAB — locked: the last file (sorted by name) of each of the seven categories; development
  folds: leave-one-category-out over the seven categories' remaining files.

Pure core: no database, no HTTP; the caller supplies ``evaluate(candidate, files) -> metrics``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from yuzhi.errors import InvalidInput


class FitSettings(TypedDict):
    """Keywords of ``MahalanobisDetector`` that ``monitor fit`` sets (typed, so ``**FIT_DEFAULTS`` checks)."""

    input_alpha: float
    score_alpha: float
    threshold_factor: float
    shrinkage: float
    peak_ratio: float
    peak_half_life: float


#: Settings of ``yuzhi monitor fit`` (and ``eval skab``), the outcome of this protocol on SKAB's
#: development folds (``bench/monitor.py --cv``: best F1 with ≤ 10 % false alarms). Shrinkage is
#: not chosen on SKAB: more of it hides broken correlations between sensors (a flow that drops while
#: its pump current stays), which ``tests/monitor/test_detectors.py`` requires.
FIT_DEFAULTS: FitSettings = {"input_alpha": 0.05, "score_alpha": 0.05, "threshold_factor": 3.0,
                             "shrinkage": 0.001, "peak_ratio": 0.5, "peak_half_life": 400.0}

#: SKAB files kept out of every choice and scored once at the end (group, file numbers).
SKAB_LOCKED: dict[str, tuple[int, ...]] = {"valve1": (12, 13, 14, 15), "other": (6, 7)}


@dataclass(frozen=True)
class Split:
    """A locked part and development folds, each a tuple of file names."""

    locked: tuple[str, ...]
    folds: dict[str, tuple[str, ...]]

    @property
    def development(self) -> tuple[str, ...]:
        return tuple(n for names in self.folds.values() for n in names)


def _skab_key(name: str) -> tuple[str, int]:
    group, _, stem = name.partition("/")
    stem = stem.rsplit(".", 1)[0]
    if not stem.isdigit():
        raise InvalidInput(f"SKAB file name {name!r} is not <group>/<number>.csv", field=name)
    return group, int(stem)


def skab_split(names: Sequence[str]) -> Split:
    """Locked files and development folds for SKAB file names like ``valve1/3.csv``.

    Groups other than ``valve1``/``other`` (``valve2`` in the full corpus) form a fold of their own.
    """
    locked: list[str] = []
    folds: dict[str, list[str]] = {}
    for n in names:
        group, k = _skab_key(n)
        if k in SKAB_LOCKED.get(group, ()):
            locked.append(n)
            continue
        fold = ("valve1 0-5" if k <= 5 else "valve1 6-11") if group == "valve1" else group
        folds.setdefault(fold, []).append(n)
    return Split(tuple(locked), {k: tuple(v) for k, v in sorted(folds.items())})


def nab_split(names: Sequence[str]) -> Split:
    """Locked files (last of each category) and leave-one-category-out folds for NAB names like
    ``realTraffic/speed_6005.csv``."""
    by_cat: dict[str, list[str]] = {}
    for n in names:
        cat, sep, _ = n.partition("/")
        if not sep:
            raise InvalidInput(f"NAB file name {n!r} is not <category>/<file>.csv", field=n)
        by_cat.setdefault(cat, []).append(n)
    locked = []
    folds: dict[str, tuple[str, ...]] = {}
    for cat in sorted(by_cat):
        files = sorted(by_cat[cat])
        if len(files) >= 2:
            locked.append(files[-1])
            files = files[:-1]
        folds[cat] = tuple(files)
    return Split(tuple(locked), folds)


@dataclass
class FoldResult:
    """One held-out fold: the candidate chosen on the other folds and its held-out metrics."""

    fold: str
    chosen: str
    train_metrics: dict[str, float]
    held_out: dict[str, float]
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)


def choose(candidates: Sequence[str], files: Sequence[str],
           evaluate: Callable[[str, Sequence[str]], dict[str, float]],
           objective: Callable[[dict[str, float]], float]) -> tuple[str, dict[str, float]]:
    """The candidate with the highest ``objective`` on ``files`` (ties: the earlier candidate)."""
    if not candidates:
        raise InvalidInput("no candidate settings to choose from", field="candidates")
    best: tuple[float, str, dict[str, float]] | None = None
    for c in candidates:
        m = evaluate(c, files)
        v = objective(m)
        if best is None or v > best[0]:
            best = (v, c, m)
    assert best is not None
    return best[1], best[2]


def cross_validate(candidates: Sequence[str], split: Split,
                   evaluate: Callable[[str, Sequence[str]], dict[str, float]],
                   objective: Callable[[dict[str, float]], float],
                   baselines: Sequence[str] = ()) -> list[FoldResult]:
    """For every development fold: choose on the other folds, score on this one.

    ``baselines`` are fixed methods (no choice to make) scored on the same held-out fold.
    """
    out = []
    for name, held in split.folds.items():
        train = [n for k, fs in split.folds.items() if k != name for n in fs]
        chosen, tm = choose(candidates, train, evaluate, objective)
        out.append(FoldResult(name, chosen, tm, evaluate(chosen, held),
                              {b: evaluate(b, held) for b in baselines}))
    return out


def skab_objective(max_far: float = 10.0) -> Callable[[dict[str, Any]], float]:
    """F1, with candidates over ``max_far`` % false alarms on the training folds ranked below all
    candidates within it (a margin under the 12 % floor, since false alarms grow on new files)."""

    def obj(m: dict[str, Any]) -> float:
        return float(m["f1"]) - (1.0 if float(m["far"]) > max_far else 0.0)

    return obj


def nab_objective(m: dict[str, Any]) -> float:
    """NAB standard-profile score."""
    return float(m["standard"])
