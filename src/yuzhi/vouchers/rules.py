"""Programme rules as data, and the pure arithmetic of the voucher (no database).

Defaults are Henan's 2025–2027 action plan (豫政〔2025〕 AI-empowered new industrialization):
vouchers of at most 50,000,000 yuan a year, 20% of eligible compute fees, at most 1,000,000 yuan
per unit per year, province and city funding 1:1. All money is integer fen; the subsidy is
rounded *down* to the fen, so the programme never pays a fraction it does not owe.

>>> r = ProgrammeRules()
>>> r.subsidy_for(eligible_fen=12_345, remaining_quota_fen=10**9)
2469
>>> r.max_approvable(planned_spend_fen=10_000_000_00, unit_remaining_fen=5_000_00, pool_remaining_fen=10**12)
500000
>>> split_funding(101, province_bp=5000)
(51, 50)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, overload

from yuzhi.programmes.funding import split_funding  # noqa: F401  (one split for every programme)

YUAN = 100  # fen per yuan


class SettlementMode(StrEnum):
    DISCOUNT = "discount"  # 抵扣: the unit pays the provider net; the programme pays the provider the voucher share
    REIMBURSEMENT = "reimbursement"  # 报销: the unit pays in full and is paid back


@dataclass(frozen=True)
class ProgrammeRules:
    pool_fen: int = 50_000_000 * YUAN
    rate_bp: int = 2000  # basis points of eligible fees: 2000 = 20%
    unit_cap_fen: int = 1_000_000 * YUAN
    province_bp: int = 5000  # province share of every payout; the city funds the rest (1:1)
    settlement_mode: SettlementMode = SettlementMode.DISCOUNT
    disclosure_days: int = 5  # 公示期; zero allowed

    def __post_init__(self) -> None:
        problems = []
        if self.pool_fen <= 0:
            problems.append(("pool_fen", "must be positive"))
        if self.pool_fen > 50_000_000 * YUAN:
            problems.append(("pool_fen", "may not exceed 50,000,000 yuan a year (plan ceiling)"))
        if not 0 < self.rate_bp <= 10000:
            problems.append(("rate_bp", "must be in 1..10000 basis points"))
        if self.unit_cap_fen <= 0:
            problems.append(("unit_cap_fen", "must be positive"))
        if not 0 <= self.province_bp <= 10000:
            problems.append(("province_bp", "must be in 0..10000 basis points"))
        if self.disclosure_days < 0:
            problems.append(("disclosure_days", "must be zero or more"))
        if problems:
            field, msg = problems[0]
            from yuzhi.errors import InvalidInput

            raise InvalidInput(f"programme rule {field} {msg}", field=field,
                               fix="correct the programme's rules; defaults follow the Henan plan")

    def subsidy_for(self, *, eligible_fen: int, remaining_quota_fen: int) -> int:
        """20% of eligible fees, rounded down to the fen, limited by the remaining quota."""
        return draw(rate_share(eligible_fen, self.rate_bp), remaining_quota_fen)

    def max_approvable(self, *, planned_spend_fen: int, unit_remaining_fen: int, pool_remaining_fen: int) -> int:
        """min(rate × planned spend, the unit's remaining cap, the pool's remaining amount)."""
        return approvable(planned_spend_fen, rate_bp=self.rate_bp, unit_remaining_fen=unit_remaining_fen,
                          pool_remaining_fen=pool_remaining_fen)


# --- the arithmetic itself: one implementation, called by the live path (one bill, Python ints) and by
# the policy simulator (``yuzhi.vouchers.simulate``: a whole year, numpy int64 arrays). Every function
# below works on both, so a replay under the rules in force reproduces the books to the fen.


@overload
def rate_share(eligible_fen: int, rate_bp: int) -> int: ...
@overload
def rate_share(eligible_fen: Any, rate_bp: Any) -> Any: ...
def rate_share(eligible_fen: Any, rate_bp: Any) -> Any:
    """The rate's share of an eligible amount, rounded down to the fen (int or int64 array)."""
    return eligible_fen * rate_bp // 10000


def draw(demand_fen: int, remaining_fen: int) -> int:
    """What one bill draws from a quota: its demand, at most what is left, never negative."""
    return max(0, min(demand_fen, remaining_fen))


def approvable(planned_spend_fen: int, *, rate_bp: int, unit_remaining_fen: int, pool_remaining_fen: int) -> int:
    """The most the office may approve: min(rate × planned spend, the unit's cap left, the pool left)."""
    return max(0, min(rate_share(planned_spend_fen, rate_bp), unit_remaining_fen, pool_remaining_fen))


def draw_sequence(demand, available, group, order=None):  # type: ignore[no-untyped-def]
    """:func:`draw` applied bill after bill, for a whole year at once (numpy int64 arrays).

    ``demand[i]`` is bill i's demand (negative for a credit note giving quota back), ``available[i]``
    the total quota its group (a unit, or a unit with one provider) holds effective when bill i is
    recorded, ``group[i]`` the group; bills are in recording order. Bill after bill, a group's drawn
    total follows ``S_i = S_{i-1} + draw(d_i, A_i - S_{i-1})`` = ``min(S_{i-1} + d_i, A_i)`` (while the
    quota held never shrinks), whose closed form is ``S_i = C_i + min(0, min_{k<=i}(A_k - C_k))`` with
    ``C`` the running sum of demand: a cumulative sum and a running minimum, per group. Returns each
    bill's draw ``S_i - S_{i-1}``.
    """
    from itertools import pairwise

    import numpy as np

    demand = np.asarray(demand, dtype=np.int64)
    available = np.asarray(available, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    n = len(demand)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if order is None:  # groups together, recording order kept inside each (callers may pass it, sorted once)
        order = np.argsort(group, kind="stable")
    d, a, g = demand[order], available[order], group[order]
    starts = np.r_[True, g[1:] != g[:-1]]
    gid = np.cumsum(starts) - 1
    c = np.cumsum(d)
    c -= np.repeat(c[starts] - d[starts], np.diff(np.r_[np.flatnonzero(starts), n]))  # per-group running sum
    slack = a - c
    # a running minimum that restarts at each group: lift each group above every earlier one by a
    # constant larger than any slack's spread, take one running minimum, and drop the lift again
    spread = int(slack.max()) - int(slack.min()) + 1 if n else 1
    if spread * (int(gid[-1]) + 1) < 2**62:
        lift = (int(gid[-1]) - gid) * spread
        run = np.minimum.accumulate(slack + lift) - lift
    else:  # astronomically large sums: group by group
        run = np.empty_like(slack)
        bounds = np.r_[np.flatnonzero(starts), n]
        for lo, hi in pairwise(bounds.tolist()):
            run[lo:hi] = np.minimum.accumulate(slack[lo:hi])
    total = c + np.minimum(0, run)
    prev = np.r_[0, total[:-1]]
    prev[starts] = 0
    out = np.empty(n, dtype=np.int64)
    out[order] = total - prev
    return out


def reversal_for_credit(*, original_eligible_fen: int, credited_before_fen: int, credit_fen: int,
                        net_subsidy_fen: int, rate_bp: int) -> int:
    """Subsidy to reverse when ``credit_fen`` of an eligible bill is credited.

    The bill's subsidy after the credit is what the rule gives on the net eligible amount (never
    more than what was actually granted), so a sequence of credits ends exactly where one credit
    of the same total would.
    """
    net_after = original_eligible_fen - credited_before_fen - credit_fen
    target = min(net_after * rate_bp // 10000, net_subsidy_fen)
    return net_subsidy_fen - max(0, target)
