"""Credit settings and the 20-level table, kept as data so a platform can edit its rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from sentinella.engine import literal
from sentinella.money import DEFAULT_CNY_PER_UNIT

from ._errors import CreditError

_MINIMA = (
    4, 11, 41, 91, 151,
    251, 501, 1_001, 2_001, 5_001,
    10_001, 20_001, 50_001, 100_001, 200_001,
    500_001, 1_000_001, 2_000_001, 5_000_001, 10_000_001,
)  # fmt: skip


@dataclass(frozen=True)
class CreditConfig:
    """Every number the rules use; Taobao's rules give the defaults of the rating rules.

    The bundled ``taobao.toml`` holds the same numbers, each with the rule paragraph it comes
    from (a test keeps the two equal); ``load_config`` reads an edited copy. ``timezone``
    decides calendar days and months (the monthly cap, the 14-, 15- and 30-day windows, the DSR
    months, the 60-day horizon and ``as_of``). The store keeps UTC instants and the data contract
    has no per-buyer time zone, so one zone is used for every buyer; the default is China's,
    where the rules come from.
    """

    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    rates: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_CNY_PER_UNIT))
    tiny_amount: float = 1.0  # orders of this much or less (in `currency`) count nothing
    rating_window_days: int = 15  # a rating counts if written this many days after success at most
    duplicate_days: int = 14  # same pair, same item, same sign, within this many days: counted once
    monthly_cap: int = 6  # counted net per buyer-merchant pair per calendar month
    revision_days: int = 30  # a neutral or negative may be changed once within this many days
    dsr_months: int = 6  # DSR: the mean over the preceding months
    dsr_per_pair_month: int = 3  # DSR: only the first scores per pair per month of trade success
    defect_days: int = 60
    level_minima: tuple[int, ...] = _MINIMA  # the lower bound of each of the 20 levels
    prior_strength: float = 10.0  # pseudo-ratings of the Beta/Dirichlet prior
    # robust score (iterative filtering with earned reputation), see _robust.py
    robust_iterations: int = 10
    robust_tolerance: float = 1e-3  # stop when no score moves by more (stars)
    robust_prior_raters: float = 3.0  # pseudo-votes a rater starts with
    robust_noise: float = 0.6  # variance of an honest rater's votes around the truth
    robust_min_variance: float = 0.15  # caps any single rater's weight
    robust_scale: float = 1.0  # Cauchy scale: a vote this far from the score counts half
    robust_prior_votes: float = 3.0  # pseudo-raters pulling small merchants to the prior
    robust_prior_quantile: float = 0.25  # the prior sits at this quantile of merchant scores

    def __post_init__(self) -> None:
        if self.currency not in self.rates:
            raise CreditError(f"no rate for {self.currency}: add it to the rates table")
        windows = (
            self.monthly_cap,
            self.rating_window_days,
            self.duplicate_days,
            self.revision_days,
            self.dsr_months,
            self.dsr_per_pair_month,
            self.defect_days,
        )
        if min(windows) < 0:
            raise CreditError("caps and windows must be ≥ 0")
        minima = tuple(self.level_minima)
        if len(minima) != len(_TIERS) * 5 or any(b <= a for a, b in pairwise(minima)):
            raise CreditError(f"the level table needs {len(_TIERS) * 5} increasing lower bounds")

    def levels(self) -> tuple[Level, ...]:
        """The level table with this configuration's lower bounds."""
        return _levels(self.level_minima)


@dataclass(frozen=True)
class Level:
    level: int
    min_points: int
    tier: str  # heart | diamond | crown | gold_crown
    count: int  # how many symbols are shown

    @property
    def name(self) -> str:
        label = {"heart": "heart", "diamond": "diamond", "crown": "crown", "gold_crown": "gold crown"}
        word = label[self.tier]
        return f"{self.count} {word}{'s' if self.count > 1 else ''}"

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.tier] * self.count


SYMBOLS = {"heart": "❤", "diamond": "💎", "crown": "👑", "gold_crown": "🏆"}
_TIERS = ("heart", "diamond", "crown", "gold_crown")


def _levels(minima: tuple[int, ...]) -> tuple[Level, ...]:
    return tuple(
        Level(index + 1, minimum, _TIERS[index // 5], index % 5 + 1) for index, minimum in enumerate(minima)
    )


LEVELS: tuple[Level, ...] = _levels(_MINIMA)


def level_for(points: int, levels: tuple[Level, ...] = LEVELS) -> Level | None:
    """The level a points total reaches; None below the first (4 points: no symbol yet)."""
    found = None
    for level in levels:
        if points >= level.min_points:
            found = level
    return found


def level_sql(points: str, attribute: str, levels: tuple[Level, ...] = LEVELS) -> str:
    """A CASE expression giving a level attribute (level, tier, name, symbol) for ``points``."""
    whens = []
    for level in reversed(levels):
        value = getattr(level, attribute)
        whens.append(f"WHEN {points} >= {literal(level.min_points)} THEN {literal(value)}")
    other = "0" if attribute == "level" else "NULL"
    return f"(CASE {' '.join(whens)} ELSE {other} END)"
