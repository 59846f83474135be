"""Machine calendars: where an operation can start and when it ends around unavailable periods.

Periods are sorted, merged, half-open ``[start, end)`` (see :class:`~yuzhi.schedule.problem.Machine`).

>>> earliest_fixed([(10, 20)], 5, 8)     # 5+8 > 10: does not fit before the break
20
>>> breakable_end([(10, 20)], 5, 8)      # works 5..10, pauses 10..20, works 20..23
23
"""

from __future__ import annotations

__all__ = ["breakable_end", "earliest_breakable", "earliest_fixed", "overlap"]


def overlap(periods: tuple[tuple[int, int], ...] | list[tuple[int, int]], s: int, e: int) -> int:
    """Total length of ``[s, e)`` covered by ``periods``."""
    return sum(max(0, min(e, b) - max(s, a)) for a, b in periods)


def earliest_fixed(periods: tuple[tuple[int, int], ...] | list[tuple[int, int]], s: int, d: int) -> int:
    """Earliest start ≥ ``s`` such that ``[start, start + d)`` avoids every period.

    A zero-length operation may not sit strictly inside a period either.
    """
    for a, b in periods:
        if b <= s:
            continue
        if s + max(d, 1) <= a if d > 0 else s < a or s >= b:
            return s
        s = max(s, b)
    return s


def earliest_breakable(periods: tuple[tuple[int, int], ...] | list[tuple[int, int]], s: int) -> int:
    """Earliest start ≥ ``s`` that is not inside a period (a breakable operation may start there)."""
    for a, b in periods:
        if a <= s < b:
            s = b
    return s


def breakable_end(periods: tuple[tuple[int, int], ...] | list[tuple[int, int]], s: int, d: int) -> int:
    """End of a breakable operation starting at ``s`` (not inside a period) with ``d`` units of work.

    The work pauses over every period it meets and resumes right after it.
    """
    t, left = s, d
    for a, b in periods:
        if b <= t:
            continue
        if left == 0 or t + left <= a:
            break
        left -= a - t
        t = b
    return t + left
