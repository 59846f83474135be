"""Province:city funding split, the same for every programme (pure; ints or numpy int64 arrays)."""

from __future__ import annotations

from typing import Any, overload


@overload
def split_funding(amount_fen: int, *, province_bp: int) -> tuple[int, int]: ...
@overload
def split_funding(amount_fen: Any, *, province_bp: Any) -> tuple[Any, Any]: ...
def split_funding(amount_fen: Any, *, province_bp: Any) -> tuple[Any, Any]:
    """``(province, city)`` shares of a payout. The city share is rounded down; the province takes the
    remaining fen, so the two always add up to the payout exactly.

    >>> split_funding(20_001, province_bp=5000)
    (10001, 10000)
    """
    city = amount_fen * (10000 - province_bp) // 10000
    return amount_fen - city, city
