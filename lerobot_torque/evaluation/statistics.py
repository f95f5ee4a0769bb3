"""Success rates with 95 % Wilson score intervals (Wilson 1927; Brown, Cai & DasGupta 2001), and
Fisher's exact test of two rates.

Wilson intervals stay inside [0, 1] and keep their coverage near 0 % and 100 %, where the normal
approximation fails; the paper's n = 20 per cell is too small to separate most of its rows. Fisher's
test (two-sided, scipy's `fisher_exact` on the 2×2 table of successes and failures) is exact for
any n; it treats episodes as independent, so rates pooled over training seeds leave the seed-to-seed
spread out of its p-value.
"""

import math
from dataclasses import dataclass

Z_95 = 1.959964  # two-sided 95 % normal quantile


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion, as fractions in [0, 1]."""
    if n <= 0:
        raise ValueError(f"A success rate needs at least one episode, got n={n}.")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within [0, n={n}], got {successes}.")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class SuccessRate:
    """k successes out of n episodes, with its 95 % Wilson interval (percent)."""

    name: str
    successes: int
    episodes: int

    @property
    def percent(self) -> float:
        return 100.0 * self.successes / self.episodes

    @property
    def interval(self) -> tuple[float, float]:
        low, high = wilson_interval(self.successes, self.episodes)
        return 100.0 * low, 100.0 * high

    def separated_above(self, other: "SuccessRate") -> bool:
        """Whether this rate's interval lies entirely above `other`'s."""
        return self.interval[0] > other.interval[1]


def fisher_exact_p(a: SuccessRate, b: SuccessRate) -> float:
    """Two-sided p-value of Fisher's exact test that `a` and `b` have the same success probability."""
    from scipy.stats import fisher_exact

    table = [[a.successes, a.episodes - a.successes], [b.successes, b.episodes - b.successes]]
    return float(fisher_exact(table, alternative="two-sided").pvalue)


def pooled(name: str, rates: list[SuccessRate]) -> SuccessRate:
    """One rate of all episodes of `rates` (e.g. one arm trained with several seeds)."""
    if not rates:
        raise ValueError(f"Pooling '{name}' needs at least one rate.")
    return SuccessRate(name, sum(r.successes for r in rates), sum(r.episodes for r in rates))
