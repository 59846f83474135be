"""Policy simulator core: replay a programme year's recorded applications and bills under other rules.

Pure (no database, no HTTP): the service layer (``yuzhi.vouchers.simulate_service``) reads one
consistent snapshot into a :class:`Year` of numpy arrays; :func:`replay` prices the whole year under a
:class:`SimRules` and returns a :class:`Result`. The money arithmetic is *not* reimplemented here: it
is ``yuzhi.vouchers.rules`` (``approvable`` for each approval, ``rate_share`` and ``draw_sequence`` —
the vectorised form of the live path's per-bill ``draw`` — for the bills, ``reversal_for_credit``
for credit notes, ``split_funding`` for the province and city shares), the same functions the live
path calls. Replaying a year under the rules it ran under therefore reproduces its books to the fen,
which ``tests/vouchers/test_simulate.py`` checks.

How a year is replayed, step by step (each mirrors a step of the live path):

1. **Approvals**, in review order: an application the office approved gets, under the new rules,
   ``approvable(planned spend, rate, unit cap left, pool left)`` when the office had approved the
   maximum then (or when ``approval = "maximum"``), otherwise what was approved, limited by the new
   maximum. Rejected and never-reviewed applications stay so. An application that fails a new
   eligibility rule gets nothing.
2. **Effective dates** move with the disclosure period: effective at the recorded moment plus the
   change in disclosure days.
3. **Bills**, in recording order: demand = ``rate_share(eligible)``; each draws from the quota its
   unit (with that provider, when bills are bound to providers) holds effective when the bill was
   recorded; credit notes give back what ``reversal_for_credit`` says, restoring quota to later bills.
4. **Payouts** per payee (providers in discount mode, units in reimbursement mode), split between
   province and city by ``split_funding``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from yuzhi.errors import InvalidInput
from yuzhi.programmes.funding import split_funding
from yuzhi.vouchers.rules import (
    YUAN,
    approvable,
    draw_sequence,
    rate_share,
    reversal_for_credit,
)

# --- the plan's limits (Henan action plan 2025–2027): rules beyond them are simulated but flagged

PLAN_MAX_RATE_BP = 2000
PLAN_MAX_UNIT_CAP_FEN = 1_000_000 * YUAN
PLAN_MAX_POOL_FEN = 50_000_000 * YUAN
PLAN_PROVINCE_BP = 5000
CRITERIA = ("national_supercomputing", "ai_computing_100pf", "data_centre_1000_racks")
NEVER = np.iinfo(np.int64).max // 4  # an effective time no bill reaches
DAY = 86_400_000_000  # microseconds

# why a bill or an application gets nothing (codes; the page and the workbook translate them)
REASONS = {
    "unit_not_approved": "unit not approved",
    "provider_not_qualified": "provider suspended or outside its whitelist period",
    "provider_criterion": "provider's qualifying criterion not admitted by these rules",
    "self_built": "self-built, self-used compute (自建自用)",
    "related_party": "related-party transaction (关联交易)",
    "individual_business": "individual business (个体工商户)",
    "out_of_province": "unit outside Henan",
    "no_quota": "no effective quota when the bill was recorded",
    "quota_used_up": "quota used up",
}
CODES = ("", *REASONS)
_CODE = {k: i for i, k in enumerate(CODES)}
_ELIGIBILITY = ("unit_not_approved", "provider_not_qualified", "provider_criterion", "self_built",
                "related_party", "individual_business", "out_of_province")


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimRules:
    """One rule set to simulate. Unlike ``ProgrammeRules`` it accepts values beyond the plan's limits
    (the point is to see what they would do); :meth:`flags` names each such value."""

    name: str
    pool_fen: int
    rate_bp: int
    unit_cap_fen: int
    province_bp: int = 5000
    settlement_mode: str = "discount"
    disclosure_days: int = 5
    bill_binding: str = "provider"  # provider: a quota pays only that provider's bills; unit: any provider's
    approval: str = "as-decided"  # or "maximum": every approved application gets the most approvable
    provider_criteria: tuple[str, ...] = CRITERIA
    related_party: bool = False  # True: related-party deals are subsidised
    self_built: bool = False
    individual_businesses: bool = True
    out_of_province: bool = True
    source: str = ""

    def flags(self) -> list[str]:
        """The plan limits these rules exceed (they are simulated all the same)."""
        out = []
        if self.rate_bp > PLAN_MAX_RATE_BP:
            out.append(f"rate {self.rate_bp / 100:g}% is above the plan's {PLAN_MAX_RATE_BP / 100:g}%")
        if self.unit_cap_fen > PLAN_MAX_UNIT_CAP_FEN:
            out.append(f"per-unit cap {yuan(self.unit_cap_fen)} yuan is above the plan's "
                       f"{yuan(PLAN_MAX_UNIT_CAP_FEN)} yuan")
        if self.pool_fen > PLAN_MAX_POOL_FEN:
            out.append(f"pool {yuan(self.pool_fen)} yuan is above the plan's {yuan(PLAN_MAX_POOL_FEN)} yuan a year")
        if self.unit_cap_fen > self.pool_fen:
            out.append(f"per-unit cap {yuan(self.unit_cap_fen)} yuan is above the pool {yuan(self.pool_fen)} yuan")
        if self.province_bp != PLAN_PROVINCE_BP:
            out.append(f"province share {self.province_bp / 100:g}% differs from the plan's 1:1")
        if self.related_party:
            out.append("related-party deals subsidised: the local rules forbid them")
        if self.self_built:
            out.append("self-built, self-used compute subsidised: the local rules forbid it")
        return out


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(int(fen)) // 100:,}.{abs(int(fen)) % 100:02d}"


_KEYS = {"name", "rate_percent", "rate_bp", "unit_cap_yuan", "pool_yuan", "province_city", "disclosure_days",
         "settlement_mode", "bill_binding", "approval", "eligibility"}
_ELIG_KEYS = {"provider_criteria", "related_party", "self_built", "individual_businesses", "out_of_province"}


def parse_rules(text: str, *, base: SimRules, source: str = "rules.toml") -> SimRules:
    """Read a rules file (TOML). Keys left out keep ``base`` (the rules in force that year).

    Every error names the file, the line and the key, and what to write instead.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = m.group(1) if m else "?"
        raise InvalidInput(f"{source} line {line}: not valid TOML ({exc})", field=f"{source}:{line}",
                           fix="fix the syntax on that line, e.g. rate_percent = 15") from None

    bad = _Bad(text, source)
    for key in data:
        if key not in _KEYS:
            raise bad(key, "unknown key", "use one of: " + ", ".join(sorted(_KEYS)))
    r = replace(base, name=str(data.get("name") or source), source=source)
    r = _rate(data, r, bad)
    r = _amounts(data, r, bad)
    r = _split(data, r, bad)
    r = _choices(data, r, bad)
    return _eligibility(data, r, bad)


class _Bad:
    """Builds the error for a bad key: the file, the line where the key is set, the key and the fix."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source

    def __call__(self, key: str, msg: str, fix: str, section: str = "") -> InvalidInput:
        line = _line_of(self.text, key, section)
        name = f"{section}.{key}" if section else key
        return InvalidInput(f"{self.source} line {line}, key {name}: {msg}", field=f"{self.source}:{line}:{name}",
                            fix=fix)


def _rate(data: dict[str, Any], r: SimRules, bad: _Bad) -> SimRules:
    """``rate_percent`` or ``rate_bp`` (not both)."""
    if "rate_percent" in data and "rate_bp" in data:
        raise bad("rate_bp", "give rate_percent or rate_bp, not both", "delete one of them")
    if "rate_percent" in data:
        pct = _decimal(data["rate_percent"])
        bp = pct * 100 if pct is not None else None
        if bp is None or bp != bp.to_integral_value() or not 0 < bp <= 10000:
            raise bad("rate_percent", f"{data['rate_percent']!r} is not a percentage in (0, 100] with at most "
                      "two decimals", "write e.g. rate_percent = 15")
        r = replace(r, rate_bp=int(bp))
    if "rate_bp" in data:
        v = data["rate_bp"]
        if not isinstance(v, int) or isinstance(v, bool) or not 0 < v <= 10000:
            raise bad("rate_bp", f"{v!r} is not a whole number of basis points in 1..10000",
                      "write e.g. rate_bp = 1500 (15%)")
        r = replace(r, rate_bp=v)
    return r


def _amounts(data: dict[str, Any], r: SimRules, bad: _Bad) -> SimRules:
    """``unit_cap_yuan`` and ``pool_yuan``: positive yuan, to the fen."""
    for key, attr in (("unit_cap_yuan", "unit_cap_fen"), ("pool_yuan", "pool_fen")):
        if key in data:
            d = _decimal(data[key])
            if d is None or d <= 0 or (d * 100) != (d * 100).to_integral_value():
                raise bad(key, f"{data[key]!r} is not a positive amount of yuan with at most two decimals",
                          f"write e.g. {key} = 500000")
            r = _with(r, attr, int(d * 100))
    return r


def _split(data: dict[str, Any], r: SimRules, bad: _Bad) -> SimRules:
    """``province_city`` as "a:b", giving a whole number of basis points for the province."""
    if "province_city" in data:
        v = data["province_city"]
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*", str(v))
        if not m or Decimal(m.group(1)) + Decimal(m.group(2)) == 0:
            raise bad("province_city", f"{v!r} is not a province:city split", 'write e.g. province_city = "1:1"')
        a, b = Decimal(m.group(1)), Decimal(m.group(2))
        bp = a * 10000 / (a + b)
        if bp != bp.to_integral_value():
            raise bad("province_city", f"{v!r} does not give a whole number of basis points",
                      'use a split such as "1:1", "3:2" or "60:40"')
        r = replace(r, province_bp=int(bp))
    return r


def _choices(data: dict[str, Any], r: SimRules, bad: _Bad) -> SimRules:
    """``disclosure_days`` and the modes chosen from fixed lists."""
    if "disclosure_days" in data:
        v = data["disclosure_days"]
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 365:
            raise bad("disclosure_days", f"{v!r} is not a whole number of days in 0..365",
                      "write e.g. disclosure_days = 5")
        r = replace(r, disclosure_days=v)
    for key, allowed in (("settlement_mode", ("discount", "reimbursement")), ("bill_binding", ("provider", "unit")),
                         ("approval", ("as-decided", "maximum"))):
        if key in data:
            if data[key] not in allowed:
                raise bad(key, f"{data[key]!r} is not one of {', '.join(allowed)}",
                          f'write e.g. {key} = "{allowed[0]}"')
            r = replace(r, **{key: data[key]})
    return r


def _eligibility(data: dict[str, Any], r: SimRules, bad: _Bad) -> SimRules:
    """The ``[eligibility]`` table: provider criteria and yes/no switches."""
    elig = data.get("eligibility", {})
    if not isinstance(elig, dict):
        raise bad("eligibility", "must be a table", "write [eligibility] on its own line, then its keys")
    for key, v in elig.items():
        if key not in _ELIG_KEYS:
            raise bad(key, "unknown key", "use one of: " + ", ".join(sorted(_ELIG_KEYS)), "eligibility")
        if key == "provider_criteria":
            if not isinstance(v, list) or not all(c in CRITERIA for c in v):
                raise bad(key, f"{v!r} is not a list of criteria", "choose from " + ", ".join(CRITERIA),
                          "eligibility")
            r = replace(r, provider_criteria=tuple(v))
        else:
            if not isinstance(v, bool):
                raise bad(key, f"{v!r} is not true or false", f"write {key} = true or {key} = false", "eligibility")
            r = _with(r, key, v)
    return r


def _with(r: SimRules, attr: str, value: object) -> SimRules:
    """``replace`` by a field name taken from the file (a key already checked against the known ones)."""
    changes: dict[str, Any] = {attr: value}
    return replace(r, **changes)


def _decimal(v: object) -> Decimal | None:
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        return None
    try:
        d = Decimal(str(v).replace(",", "").replace("_", ""))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _line_of(text: str, key: str, section: str = "") -> int | str:
    """The line where ``key`` is set (inside ``[section]`` when given)."""
    current = ""
    for i, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        m = re.match(r"\[\s*([^\]]+?)\s*\]", s)
        if m:
            current = m.group(1)
            if not section and current == key:
                return i
            continue
        if current == section and re.match(rf'["\']?{re.escape(key)}["\']?\s*=', s):
            return i
        if not section and current == "" and s.startswith(f"{section}.{key}"):
            return i
    return "?"


# --- the year as arrays -----------------------------------------------------------------------


@dataclass
class Year:
    """A programme year's recorded facts, as arrays (built by the service from one snapshot).

    Times are microseconds since the Unix epoch (UTC: a bill and the approval it depends on may fall in
    the same second); usage dates are days since the epoch. Units and
    providers are referred to by index into their lists; ``bill_orig`` is the index of the bill a
    credit note credits (-1 for bills).
    """

    year: int
    in_force: SimRules
    unit_id: np.ndarray
    unit_name: list[str]
    unit_kind: list[str]
    unit_city: list[str]
    unit_industry: list[str]
    unit_uscc: list[str]
    prov_id: np.ndarray
    prov_name: list[str]
    prov_criterion: list[str]
    prov_unit: np.ndarray  # index of the provider's own organisation among units, -1 when not a unit here
    app_id: np.ndarray
    app_unit: np.ndarray
    app_prov: np.ndarray
    app_planned: np.ndarray
    app_approved: np.ndarray  # recorded approved amount (0 for rejected / never reviewed)
    app_reviewed: np.ndarray  # review time, -1 when never reviewed
    app_effective: np.ndarray  # effective time, -1 when never effective
    app_affiliated: np.ndarray  # bool: unit and provider are declared related
    bill_id: np.ndarray
    bill_unit: np.ndarray
    bill_prov: np.ndarray
    bill_amount: np.ndarray
    bill_credit: np.ndarray  # bool
    bill_orig: np.ndarray
    bill_recorded: np.ndarray
    bill_usage_day: np.ndarray
    bill_unit_refused: np.ndarray  # bool: the unit was not approved when the bill was recorded
    bill_not_qualified: np.ndarray  # bool: provider suspended / outside whitelist period for the usage (recorded)
    bill_affiliated: np.ndarray  # bool: related party (declared now, or refused as such when recorded)
    # recorded results, to compare a replay with the books (not used by the replay)
    rec_subsidy: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rec_net: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # when a row stands for several bills (the forecast's monthly sums per unit and provider): how many
    bill_count: np.ndarray | None = None

    @property
    def n_units(self) -> int:
        return len(self.unit_id)


@dataclass
class Result:
    rules: SimRules
    flags: list[str]
    app_amount: np.ndarray  # simulated approval per application
    app_reason: list[str]  # why an application got nothing or less than its rate share ('' when not cut)
    bill_subsidy: np.ndarray  # granted (bills) or reversed (credits), ≥ 0, as the books' subsidy_fen
    bill_net: np.ndarray  # bills: subsidy after credits; credits: 0
    bill_reason_code: np.ndarray  # index into CODES (0: none)
    unit_subsidy: np.ndarray  # net subsidy per unit
    committed_fen: int
    used_fen: int
    province_fen: int
    city_fen: int
    pool_exhausted_on: date | None  # first approval the pool cut (demand beyond the pool from then on)
    units_capped: int
    excluded: dict[str, dict[str, int]]  # reason → {"units", "bills", "amount_fen"}
    burn: list[tuple[date, int, int]]  # month end, committed so far, used so far (by usage month)

    @property
    def total_fen(self) -> int:
        return int(self.unit_subsidy.sum())

    @property
    def bill_reason(self) -> list[str]:
        """Why each bill got nothing (a key of ``REASONS``; '' when it got something or is a credit)."""
        return [CODES[c] for c in self.bill_reason_code.tolist()]


def _unit_reason(y: Year, r: SimRules) -> list[str]:
    """Rules about the unit itself, per unit ('' when none applies)."""
    out = []
    for code in y.unit_uscc:
        if not r.individual_businesses and code[:2] == "92":
            out.append("individual_business")
        elif not r.out_of_province and code[2:4] != "41":
            out.append("out_of_province")
        else:
            out.append("")
    return out


def _approvals(y: Year, r: SimRules, unit_reason: list[str]) -> tuple[np.ndarray, list[str], date | None, int]:
    """Step 1: replay the office's decisions, in review order, with ``approvable``."""
    base = y.in_force
    amount = np.zeros(len(y.app_id), dtype=np.int64)
    reason = [""] * len(y.app_id)
    committed_live: dict[int, int] = {}
    committed: dict[int, int] = {}
    pool_live = pool = 0
    exhausted: date | None = None
    capped: set[int] = set()
    decided = np.flatnonzero((y.app_reviewed >= 0) & (y.app_approved > 0))
    order = decided[np.lexsort((y.app_id[decided], y.app_reviewed[decided]))]
    for i in order.tolist():
        u, p, planned, rec = int(y.app_unit[i]), int(y.app_prov[i]), int(y.app_planned[i]), int(y.app_approved[i])
        live_max = approvable(planned, rate_bp=base.rate_bp, unit_remaining_fen=base.unit_cap_fen
                              - committed_live.get(u, 0), pool_remaining_fen=base.pool_fen - pool_live)
        committed_live[u] = committed_live.get(u, 0) + rec
        pool_live += rec
        why = unit_reason[u] or _provider_reason(y, r, u, p, bool(y.app_affiliated[i]))
        if why:
            reason[i] = why
            continue
        share = rate_share(planned, r.rate_bp)
        unit_left, pool_left = r.unit_cap_fen - committed.get(u, 0), r.pool_fen - pool
        new_max = approvable(planned, rate_bp=r.rate_bp, unit_remaining_fen=unit_left, pool_remaining_fen=pool_left)
        got = new_max if (r.approval == "maximum" or rec == live_max) else min(rec, new_max)
        amount[i] = got
        committed[u] = committed.get(u, 0) + got
        pool += got
        if new_max < share:
            if pool_left <= unit_left:
                reason[i] = "pool"
                if exhausted is None:
                    exhausted = _day(int(y.app_reviewed[i]) // DAY)
            else:
                reason[i] = "unit_cap"
                capped.add(u)
    return amount, reason, exhausted, len(capped)


def _provider_reason(y: Year, r: SimRules, u: int, p: int, affiliated: bool) -> str:
    if y.prov_criterion[p] not in r.provider_criteria:
        return "provider_criterion"
    if not r.self_built and int(y.prov_unit[p]) == u:
        return "self_built"
    if not r.related_party and affiliated:
        return "related_party"
    return ""


def replay(y: Year, r: SimRules) -> Result:
    """Price the whole year under ``r`` (see the module docstring for the steps)."""
    unit_reason = _unit_reason(y, r)
    app_amount, app_reason, exhausted, capped = _approvals(y, r, unit_reason)

    # step 2: quota held effective, per group, at each bill's recording time
    shift = (r.disclosure_days - y.in_force.disclosure_days) * DAY
    eff = np.where((y.app_effective >= 0) & (app_amount > 0), y.app_effective + shift, NEVER)
    n_prov = max(len(y.prov_id), 1)
    if r.bill_binding == "provider":
        app_group, bill_group = y.app_unit * n_prov + y.app_prov, y.bill_unit * n_prov + y.bill_prov
    else:
        app_group, bill_group = y.app_unit.astype(np.int64), y.bill_unit.astype(np.int64)
    order = np.argsort(bill_group, kind="stable")  # sorted once: the searches and every draw pass use it
    available = np.empty(len(bill_group), dtype=np.int64)
    available[order] = _held_at(app_group, eff, app_amount, bill_group[order], y.bill_recorded[order])

    # eligibility of each bill, in the live path's order
    n = len(y.bill_id)
    code = np.zeros(n, dtype=np.int8)
    credit = y.bill_credit

    def mark(mask: np.ndarray, why: str) -> None:
        code[(code == 0) & mask] = _CODE[why]

    mark(y.bill_unit_refused, "unit_not_approved")
    mark(y.bill_not_qualified, "provider_not_qualified")
    crit_ok = np.array([c in r.provider_criteria for c in y.prov_criterion], dtype=bool)
    if len(crit_ok):
        mark(~crit_ok[y.bill_prov], "provider_criterion")
    if not r.self_built:
        mark(y.prov_unit[y.bill_prov] == y.bill_unit, "self_built")
    if not r.related_party:
        mark(y.bill_affiliated, "related_party")
    ucode = np.array([_CODE[w] for w in unit_reason], dtype=np.int8)
    if len(ucode) and ucode.any():
        mark(ucode[y.bill_unit] > 0, "individual_business")
        code[code == _CODE["individual_business"]] = ucode[y.bill_unit][code == _CODE["individual_business"]]
    # a credit note follows the bill it credits
    is_cr = np.flatnonzero(credit)
    code[is_cr] = code[y.bill_orig[is_cr]]
    eligible = np.where(code == 0, y.bill_amount, 0).astype(np.int64)

    # step 3: draws, bill after bill; credit notes give quota back (fixed point: a reversal depends on
    # what the credited bill drew, and restored quota may change what later bills draw)
    demand = np.where(credit, 0, rate_share(eligible, r.rate_bp)).astype(np.int64)
    reversal = np.zeros(len(is_cr), dtype=np.int64)
    for _ in range(len(is_cr) + 2):
        d = demand.copy()
        d[is_cr] = -reversal
        drawn = draw_sequence(d, available, bill_group, order)
        new_rev = _reversals(y, eligible, drawn, is_cr, r.rate_bp)
        if np.array_equal(new_rev, reversal):
            break
        reversal = new_rev
    subsidy = np.where(credit, 0, drawn)
    subsidy[is_cr] = reversal
    net = subsidy.copy()
    net[is_cr] = 0
    if len(is_cr):
        np.subtract.at(net, y.bill_orig[is_cr], reversal)
    nothing = (~credit) & (code == 0) & (subsidy == 0)
    code[nothing & (available == 0)] = _CODE["no_quota"]
    code[nothing & (available != 0)] = _CODE["quota_used_up"]
    code[is_cr] = 0

    unit_subsidy = np.zeros(y.n_units, dtype=np.int64)
    np.add.at(unit_subsidy, y.bill_unit, net)
    payee = y.bill_prov if r.settlement_mode == "discount" else y.bill_unit
    per_payee = np.zeros(int(payee.max()) + 1 if n else 0, dtype=np.int64)
    np.add.at(per_payee, payee, net)
    prov_part, city_part = split_funding(per_payee, province_bp=r.province_bp)
    excluded = _excluded(y, code, app_reason)
    return Result(rules=r, flags=r.flags(), app_amount=app_amount, app_reason=app_reason, bill_subsidy=subsidy,
                  bill_net=net, bill_reason_code=code, unit_subsidy=unit_subsidy,
                  committed_fen=int(app_amount.sum()), used_fen=int(net.sum()),
                  province_fen=int(prov_part.sum()), city_fen=int(city_part.sum()),
                  pool_exhausted_on=exhausted, units_capped=capped, excluded=excluded,
                  burn=_burn(y, app_amount, net))


def _held_at(app_group: np.ndarray, eff: np.ndarray, amount: np.ndarray, bill_group: np.ndarray,
             when: np.ndarray) -> np.ndarray:
    """Per bill: the approved quota of its group already effective at ``when`` (one sort, two searches)."""
    if len(app_group) == 0:
        return np.zeros(len(bill_group), dtype=np.int64)
    keep = eff < NEVER
    g, t, a = app_group[keep].astype(np.int64), eff[keep].astype(np.int64), amount[keep].astype(np.int64)
    order = np.lexsort((t, g))
    g, t, a = g[order], t[order], a[order]
    cum = np.r_[0, np.cumsum(a)]
    # position of the last quota of the same group effective at or before the bill, and the group's start
    gb = bill_group.astype(np.int64)
    hi = _search_pairs(g, t, gb, when.astype(np.int64), right=True)
    lo = np.searchsorted(g, gb, side="left")
    return cum[hi] - cum[lo]


def _search_pairs(g: np.ndarray, t: np.ndarray, qg: np.ndarray, qt: np.ndarray, *, right: bool) -> np.ndarray:
    """searchsorted over (group, time) pairs sorted lexicographically."""
    lo = np.searchsorted(g, qg, side="left")
    hi = np.searchsorted(g, qg, side="right")
    if len(g) == 0 or len(qg) == 0:
        return lo
    # one key per pair: the group's rank, then the time (times clipped into one span; NEVER stays last)
    t_min = int(min(t.min(), qt.min()))
    span = int(max(t.max(), np.minimum(qt, t.max()).max())) - t_min + 2
    groups = np.unique(g)
    key = np.searchsorted(groups, g) * span + (t - t_min)
    qkey = np.searchsorted(groups, qg) * span + (np.minimum(qt, t.max()) - t_min)
    pos = np.searchsorted(key, qkey, side="right" if right else "left")
    return np.clip(pos, lo, hi)


def _reversals(y: Year, eligible: np.ndarray, drawn: np.ndarray, is_cr: np.ndarray, rate_bp: int) -> np.ndarray:
    """What each credit note reverses, in recording order, given what the bills drew."""
    out = np.zeros(len(is_cr), dtype=np.int64)
    net: dict[int, int] = {}
    credited: dict[int, int] = {}
    for k, i in enumerate(is_cr.tolist()):
        o = int(y.bill_orig[i])
        n_o = net.get(o, int(drawn[o]))
        before = credited.get(o, 0)
        amt = int(y.bill_amount[i])
        if eligible[o] and n_o:
            rev = reversal_for_credit(original_eligible_fen=int(eligible[o]), credited_before_fen=before,
                                      credit_fen=amt, net_subsidy_fen=n_o, rate_bp=rate_bp)
        else:
            rev = 0
        out[k] = rev
        net[o] = n_o - rev
        credited[o] = before + amt
    return out


def _excluded(y: Year, code: np.ndarray, app_reason: list[str]) -> dict[str, dict[str, int]]:
    """Per reason: units, applications and bills that got nothing, and the amount billed."""
    out: dict[str, dict[str, int]] = {}
    bills = ~y.bill_credit
    for c in np.unique(code[bills & (code > 0)]).tolist():
        m = bills & (code == c)
        out[CODES[c]] = {"units": 0, "bills": int(m.sum()), "amount_fen": int(y.bill_amount[m].sum()),
                         "applications": 0, "_units": set(np.unique(y.bill_unit[m]).tolist())}  # type: ignore[dict-item]
    for i, why in enumerate(app_reason):
        if why in _ELIGIBILITY:
            e = out.setdefault(why, {"units": 0, "bills": 0, "amount_fen": 0, "applications": 0,
                                     "_units": set()})  # type: ignore[dict-item]
            e["applications"] += 1
            e["_units"].add(int(y.app_unit[i]))  # type: ignore[attr-defined]
    for e in out.values():
        e["units"] = len(e.pop("_units"))  # type: ignore[arg-type]
    return out


def _day(days: int) -> date:
    return date(1970, 1, 1) + timedelta(days=days)


def _burn(y: Year, app_amount: np.ndarray, net: np.ndarray) -> list[tuple[date, int, int]]:
    """Month by month: quota committed (by review date) and subsidy used (by usage month)."""
    months = [date(y.year, m, 1) for m in range(2, 13)] + [date(y.year + 1, 1, 1)]
    ends = np.array([(m - date(1970, 1, 1)).days for m in months], dtype=np.int64)
    rev_day = np.where(y.app_reviewed >= 0, y.app_reviewed // DAY, NEVER)
    out = []
    for m, e in zip(months, ends.tolist(), strict=True):
        committed = int(app_amount[rev_day < e].sum())
        used = int(net[y.bill_usage_day < e].sum())
        out.append((m - timedelta(days=1), committed, used))
    return out


# --- comparisons ------------------------------------------------------------------------------


def by_category(y: Year, res: Result, attr: str) -> dict[str, int]:
    """Net subsidy by a unit attribute (``unit_city``, ``unit_industry``, ``unit_kind``)."""
    labels: list[str] = getattr(y, attr)
    out: dict[str, int] = {}
    for lab, v in zip(labels, res.unit_subsidy.tolist(), strict=True):
        out[lab or "—"] = out.get(lab or "—", 0) + v
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def top_share(res: Result, k: int = 10) -> float:
    """Share of the total going to the ``k`` units that get most (0 when nothing is paid)."""
    total = res.total_fen
    if total <= 0:
        return 0.0
    return float(np.sort(res.unit_subsidy)[::-1][:k].sum()) / total


def lorenz(res: Result) -> tuple[list[float], list[float], float]:
    """Lorenz curve of subsidy over the units that applied or billed (x, y) and the Gini coefficient."""
    v = np.sort(np.maximum(res.unit_subsidy, 0)).astype(float)
    if len(v) == 0 or v.sum() == 0:
        return [0.0, 1.0], [0.0, 0.0], 0.0
    cy = np.r_[0.0, np.cumsum(v) / v.sum()]
    cx = np.linspace(0.0, 1.0, len(v) + 1)
    gini = 1.0 - float(np.sum((cy[1:] + cy[:-1]) * np.diff(cx)))
    return cx.tolist(), cy.tolist(), gini


def movers(y: Year, res: Result, base: Result, k: int = 10) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The ``k`` units that gain most and lose most against ``base`` (name, change in fen)."""
    delta = res.unit_subsidy - base.unit_subsidy
    order = np.argsort(delta, kind="stable")
    gain = [(y.unit_name[i], int(delta[i])) for i in order[::-1][:k].tolist() if delta[i] > 0]
    lose = [(y.unit_name[i], int(delta[i])) for i in order[:k].tolist() if delta[i] < 0]
    return gain, lose


def epoch_seconds(t: datetime | None) -> int:
    if t is None:
        return -1
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return (t - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def epoch_days(d: date) -> int:
    return (d - date(1970, 1, 1)).days
