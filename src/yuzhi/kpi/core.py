"""Pure calculations for the 2027 targets (no database, no HTTP).

* The **required growth path**: the plan takes Henan's AI industry from about 70 billion yuan (end of
  2024) to more than 160 billion yuan by 2027, i.e. a compound annual growth of
  (160 / 70)^(1/3) − 1 = 31.7 %. Once a later year's actual is known the path is *recomputed from
  the latest actual*: the growth still required is (target / actual)^(1 / years left) − 1.
* **Plausibility checks** of a quarterly report against the firm's previous quarter: jumps that are
  more likely a unit error (yuan vs 万元) or a typo than real growth are flagged for the office.
* **Disclosure control** for the public page: a group is published only if it has at least three
  firms and no single firm makes up more than 85 % of it (the usual threshold and dominance rules of
  official statistics); unpublishable groups are merged into "other" until that is publishable too.

Money is integer fen; growth rates are floats (display only).

>>> round(required_cagr(70_000_000_000_00, 2024, 160_000_000_000_00, 2027), 4)
0.3173
>>> [(y, v // 100_000_000_00) for y, v in required_path(70_000_000_000_00, 2024, 160_000_000_000_00, 2027)]
[(2024, 700), (2025, 922), (2026, 1214), (2027, 1600)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

YUAN = 100
YI = 100_000_000 * YUAN  # 亿元 in fen

#: The plan's seven industries (七大产业), in the plan's order, with English labels.
INDUSTRIES: dict[str, str] = {
    "新材料": "new materials",
    "新能源汽车": "new-energy vehicles",
    "电子信息": "electronics and information",
    "先进装备": "advanced equipment",
    "现代医药": "modern medicine",
    "现代食品": "modern food",
    "现代轻纺": "modern light textiles",
}
OTHER_INDUSTRY = "其他"

#: Embodied-AI deployment sectors named by the plan, plus a catch-all.
ROBOT_SECTORS: dict[str, str] = {
    "manufacturing": "制造业", "agriculture": "农业", "culture": "文化创意", "logistics": "物流",
    "healthcare": "医疗康养", "services": "商业服务", "other": "其他",
}


@dataclass(frozen=True)
class PlanTargets:
    """The plan's headline targets as data (defaults: Henan 2025–2027 action plan)."""

    base_year: int = 2024
    base_fen: int = 700 * YI  # about 70 billion yuan at the end of 2024
    base_key_enterprises: int = 110
    target_year: int = 2027
    target_fen: int = 1600 * YI  # more than 160 billion yuan by 2027
    robots_per_year: Mapping[int, int] = field(default_factory=lambda: {2025: 1000, 2026: 1000, 2027: 1000})

    def robots_target(self, year: int) -> int:
        return int(self.robots_per_year.get(year, 1000))


def required_cagr(start_fen: int, start_year: int, target_fen: int, target_year: int) -> float:
    """Compound annual growth needed to go from ``start_fen`` in ``start_year`` to ``target_fen``."""
    if start_fen <= 0:
        raise ValueError("the starting value must be positive")
    years = target_year - start_year
    if years <= 0:
        return 0.0 if start_fen >= target_fen else float("inf")
    return (target_fen / start_fen) ** (1 / years) - 1


def required_path(start_fen: int, start_year: int, target_fen: int, target_year: int) -> list[tuple[int, int]]:
    """(year, value in fen) from the start to the target at the required constant growth rate."""
    g = required_cagr(start_fen, start_year, target_fen, target_year)
    out = [(start_year + k, round(start_fen * (1 + g) ** k)) for k in range(target_year - start_year)]
    return [*out, (target_year, target_fen)] if target_year > start_year else [(start_year, start_fen)]


@dataclass(frozen=True)
class Progress:
    """Where the industry stands against the plan."""

    planned_cagr: float  # from the plan's base year
    planned_path: list[tuple[int, int]]
    latest_year: int  # latest full year with an actual (the base year if none yet)
    latest_fen: int
    required_cagr: float  # still required from the latest actual
    recomputed_path: list[tuple[int, int]]
    on_track: bool  # latest actual ≥ the planned path for that year
    gap_fen: int  # latest actual − planned path value (negative: behind)
    share_of_target: float  # latest actual / target


def progress(targets: PlanTargets, full_year_actuals: Mapping[int, int]) -> Progress:
    """Compare the latest full-year actual with the plan and recompute the growth still required.

    ``full_year_actuals`` maps a calendar year to its industry scale in fen (only complete years).
    The plan's base figure is used for the base year when no actual is given for it.
    """
    t = targets
    planned = required_path(t.base_fen, t.base_year, t.target_fen, t.target_year)
    actuals = {t.base_year: t.base_fen, **{y: v for y, v in full_year_actuals.items() if v > 0}}
    latest_year = max(y for y in actuals if y <= t.target_year) if any(y <= t.target_year for y in actuals) \
        else t.base_year
    latest = actuals[latest_year]
    plan_at = dict(planned).get(latest_year, t.base_fen)
    return Progress(
        planned_cagr=required_cagr(t.base_fen, t.base_year, t.target_fen, t.target_year),
        planned_path=planned, latest_year=latest_year, latest_fen=latest,
        required_cagr=required_cagr(latest, latest_year, t.target_fen, t.target_year),
        recomputed_path=required_path(latest, latest_year, t.target_fen, t.target_year),
        on_track=latest >= plan_at, gap_fen=latest - plan_at, share_of_target=latest / t.target_fen)


# --- quarterly report plausibility -----------------------------------------------------------------


@dataclass(frozen=True)
class QuarterFigures:
    ai_revenue_fen: int
    rd_spend_fen: int
    employees: int
    ai_products: int


@dataclass(frozen=True)
class PlausibilityRules:
    """Thresholds for flagging a quarter against the previous one (flags warn; the office decides)."""

    max_rise: float = 3.0  # more than ×3 the previous quarter
    max_fall: float = 0.5  # less than half the previous quarter
    max_employee_change: float = 0.5  # ±50 % head count in one quarter
    min_base_fen: int = 10_000 * YUAN  # ignore ratios on tiny bases (< 10,000 yuan)


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * (quarter - 1) + 1, 1)


def check_plausibility(prev: QuarterFigures | None, cur: QuarterFigures,
                       rules: PlausibilityRules = PlausibilityRules()) -> list[tuple[str, str]]:
    """(field, message) for each implausible change from ``prev`` to ``cur`` (empty: nothing to flag)."""
    flags: list[tuple[str, str]] = []
    if cur.rd_spend_fen > 0 and cur.ai_revenue_fen == 0 and cur.ai_products > 0:
        flags.append(("ai_revenue_fen", "AI products shipped but no AI revenue reported"))
    if prev is None:
        return flags
    for name in ("ai_revenue_fen", "rd_spend_fen"):
        before, after = getattr(prev, name), getattr(cur, name)
        if before >= rules.min_base_fen and after > before * rules.max_rise:
            flags.append((name, f"{after / before:.1f}× the previous quarter ({_yuan(before)} → {_yuan(after)}); "
                                "check the unit (yuan, not 万元) and the figure"))
        elif before >= rules.min_base_fen and after < before * rules.max_fall:
            flags.append((name, f"fell to {after / before:.0%} of the previous quarter "
                                f"({_yuan(before)} → {_yuan(after)})"))
    if prev.employees >= 10 and abs(cur.employees - prev.employees) > prev.employees * rules.max_employee_change:
        flags.append(("employees", f"head count changed from {prev.employees} to {cur.employees} in one quarter"))
    return flags


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}"


# --- disclosure control ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    label: str
    firms: int
    value_fen: int


def publishable(values: Sequence[int], *, min_firms: int = 3, dominance: float = 0.85) -> bool:
    """Threshold rule (≥ ``min_firms`` contributors) and dominance rule (top firm ≤ 85 % of the cell)."""
    total = sum(values)
    return len(values) >= min_firms and (total == 0 or max(values) <= dominance * total)


def protect(groups: Mapping[str, Sequence[int]], *, other: str = OTHER_INDUSTRY, min_firms: int = 3,
            dominance: float = 0.85) -> list[Cell]:
    """Publishable cells, largest first; unpublishable groups are merged into ``other``.

    If the merged ``other`` group is itself unpublishable, the smallest published group joins it,
    repeatedly, so no cell — and no difference between the total and the published cells — reveals
    one firm's figure. Returns an empty list if even the total is unpublishable.
    """
    ok = {k: list(v) for k, v in groups.items() if publishable(v, min_firms=min_firms, dominance=dominance)
          and k != other}
    merged = [x for k, v in groups.items() if k not in ok for x in v]
    while merged and not publishable(merged, min_firms=min_firms, dominance=dominance):
        if not ok:
            return []
        smallest = min(ok, key=lambda k: (sum(ok[k]), k))
        merged += ok.pop(smallest)
    cells = [Cell(k, len(v), sum(v)) for k, v in ok.items()]
    cells.sort(key=lambda c: (-c.value_fen, c.label))
    if merged:
        cells.append(Cell(other, len(merged), sum(merged)))
    return cells
