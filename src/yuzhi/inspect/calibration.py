"""The threshold rule: split-conformal order statistic of good parts' scores and what it promises.

Pure functions of a score vector; the model card (``model_io``) and ``fit`` both use them, so they
live apart from the detector's state.
"""

from __future__ import annotations

import math

import numpy as np


def conformal_threshold(scores: np.ndarray, rate: float) -> float:
    """The ``ceil((n + 1)(1 - rate))``-th smallest of ``n`` calibration scores of good parts.

    Why this order statistic (split conformal prediction): if a new good part of the same line is
    exchangeable with the calibration goods, it scores at or above this threshold with
    probability at most ``rate``. With too few goods for the rate asked (``(n + 1) * rate < 1``)
    no order statistic guarantees it; the largest score is used and the model card says so.
    """
    s = np.sort(np.asarray(scores, dtype=np.float64))
    k = math.ceil((len(s) + 1) * (1.0 - rate) - 1e-9)
    return float(s[min(max(k, 1), len(s)) - 1])


def false_reject_bounds(n: int, rate: float) -> dict:
    """What a conformal threshold on ``n`` calibration goods promises about the false-reject rate.

    ``guaranteed_max``: the marginal probability that a new good part is rejected is at most this
    (``1 - k / (n + 1)``; it exceeds ``rate`` only when ``n`` is too small for the rate asked).
    ``expected_min``: and at least this (``guaranteed_max - 1 / (n + 1)``, for continuous scores).
    ``order_statistic``: ``k`` of ``n``.
    """
    k = min(max(math.ceil((n + 1) * (1.0 - rate) - 1e-9), 1), n)
    hi = 1.0 - k / (n + 1)
    return {"order_statistic": k, "n": n, "guaranteed_max": round(hi, 4),
            "expected_min": round(max(0.0, hi - 1.0 / (n + 1)), 4),
            "enough_goods_for_rate": (n + 1) * rate >= 1.0}
