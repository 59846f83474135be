"""Award programme rules as data, and the pure arithmetic of a one-off model award (no database).

Defaults follow the Henan 2025–2027 action plan: registered (备案) large-model companies and
industry models with strong application results get *one-off* support of **at most 1,000,000 yuan
per model**, once per model. Eligibility is a verified filing plus at least one verified
deployment case. Reviews score each criterion out of its maximum; an award needs the pass mark.
Money is integer fen; nothing here rounds up.

>>> r = AwardRules(budget_fen=10_000_000_00)
>>> r.max_grant(requested_fen=2_000_000_00, pool_remaining_fen=10**12)
100000000
>>> r.total_score({"innovation": 25, "application_effect": 35, "industry_impact": 20})
80
>>> eligibility_problems(r, filing_verified=False, verified_cases=0, already_awarded=False)[0]
'the model has no verified filing (备案): the office must verify its filing number first'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from yuzhi.errors import InvalidInput
from yuzhi.programmes.core import exceeded, headroom, limits_text
from yuzhi.programmes.funding import split_funding  # noqa: F401  (one split for every programme)

YUAN = 100
PLAN_CAP_FEN = 1_000_000 * YUAN  # the plan's ceiling per model; a programme may set a lower cap

#: Review criteria and their maximum points (sum 100). Programmes may override them.
DEFAULT_CRITERIA: dict[str, int] = {"innovation": 30, "application_effect": 40, "industry_impact": 30}


@dataclass(frozen=True)
class AwardRules:
    """One year's award rules. Validated on construction, so a bad programme is never stored."""

    budget_fen: int
    cap_per_model_fen: int = PLAN_CAP_FEN
    once_per_model: bool = True
    require_verified_filing: bool = True
    min_cases: int = 1
    pass_score: int = 60
    province_bp: int = 10000  # provincial AI industry money by default; the rest is city money
    disclosure_days: int = 7
    criteria: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CRITERIA))

    def __post_init__(self) -> None:
        problems: list[tuple[str, str]] = []
        if self.budget_fen <= 0:
            problems.append(("budget_fen", "must be positive"))
        if not 0 < self.cap_per_model_fen <= PLAN_CAP_FEN:
            problems.append(("cap_per_model_fen", "must be in 1..100,000,000 fen (the plan's 1,000,000 yuan)"))
        if self.min_cases < 0:
            problems.append(("min_cases", "must be zero or more"))
        if not self.criteria or any(m <= 0 for m in self.criteria.values()):
            problems.append(("criteria", "needs at least one criterion, each with positive maximum points"))
        elif not 0 < self.pass_score <= sum(self.criteria.values()):
            problems.append(("pass_score", f"must be in 1..{sum(self.criteria.values())} (the maximum total)"))
        if not 0 <= self.province_bp <= 10000:
            problems.append(("province_bp", "must be in 0..10000 basis points"))
        if self.disclosure_days < 0:
            problems.append(("disclosure_days", "must be zero or more"))
        if problems:
            fld, msg = problems[0]
            raise InvalidInput(f"award rule {fld} {msg}", field=fld,
                               fix="correct the programme's rules; defaults follow the Henan plan")

    def total_score(self, scores: Mapping[str, int]) -> int:
        """Sum of criterion scores, after checking each criterion is present and within its maximum."""
        missing = sorted(set(self.criteria) - set(scores))
        extra = sorted(set(scores) - set(self.criteria))
        if missing or extra:
            raise InvalidInput(
                f"scores must cover exactly the criteria {sorted(self.criteria)}"
                + (f"; missing {missing}" if missing else "") + (f"; unknown {extra}" if extra else ""),
                field="scores", fix="give one score per criterion of this programme")
        for k, v in scores.items():
            if type(v) is not int or not 0 <= v <= self.criteria[k]:
                raise InvalidInput(f"score for {k} is {v!r}; it must be a whole number in 0..{self.criteria[k]}",
                                   field=f"scores.{k}", fix=f"score {k} out of {self.criteria[k]}")
        return sum(scores.values())

    def max_grant(self, *, requested_fen: int, pool_remaining_fen: int) -> int:
        """min(requested, cap per model, remaining pool): the most that may be granted now."""
        return headroom({"requested": requested_fen, "cap_per_model": self.cap_per_model_fen,
                         "pool_remaining": pool_remaining_fen})[0]


def eligibility_problems(rules: AwardRules, *, filing_verified: bool, verified_cases: int,
                         already_awarded: bool) -> list[str]:
    """Every reason a model may not receive an award under ``rules`` (empty list: eligible)."""
    out = []
    if rules.require_verified_filing and not filing_verified:
        out.append("the model has no verified filing (备案): the office must verify its filing number first")
    if verified_cases < rules.min_cases:
        out.append(f"the model has {verified_cases} verified deployment case(s); "
                   f"the programme needs at least {rules.min_cases}")
    if rules.once_per_model and already_awarded:
        out.append("the model has already received its one-off award (once per model)")
    return out


def grant_problem(rules: AwardRules, *, amount_fen: int, requested_fen: int, pool_remaining_fen: int) -> str | None:
    """Why ``amount_fen`` may not be granted (None: it may). Names the binding limit."""
    if amount_fen <= 0:
        return f"the amount must be positive, got {amount_fen} fen"
    limits = {"requested": requested_fen, "cap_per_model": rules.cap_per_model_fen,
              "pool_remaining": pool_remaining_fen}
    name = exceeded(amount_fen, limits)
    return None if name is None else f"{amount_fen} fen exceeds {name} ({limits[name]} fen); limits: " \
        + limits_text(limits)


