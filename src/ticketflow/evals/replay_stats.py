"""Paired statistics for a replay's two arms: bootstrap intervals over tickets, and McNemar's exact test.

Both arms see the same tickets, so each ticket is its own control: the difference is computed per ticket
(``b - a``) and tickets are resampled whole, with replacement. Every figure of one comparison draws the
same resamples (one seed), so the intervals describe the same imagined re-draws of the ticket set.

::

    bootstrap_interval([0, 0, 3], resamples=20_000, seed=1)   # (0.0, 3.0): the 2.5% and 97.5% quantiles
    mcnemar_exact(only_a=1, only_b=6)                        # 0.125 = 2 * P(X <= 1), X ~ Bin(7, 1/2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95
RESAMPLES = 2000
_CELLS = 2_000_000
"""Resampled values held at once: resamples are drawn in blocks, so memory stays flat for big replays."""


def bootstrap_means(diffs: Sequence[float], *, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """The mean of ``diffs`` over ``resamples`` seeded resamples of the same size, drawn with replacement."""
    values = np.asarray(diffs, dtype=float)
    n = len(values)
    if n == 0:
        raise ValueError("a bootstrap needs at least one ticket")
    if resamples < 1:
        raise ValueError("a bootstrap needs at least one resample")
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    block = max(1, _CELLS // n)
    for start in range(0, resamples, block):
        rows = min(block, resamples - start)
        means[start : start + rows] = values[rng.integers(0, n, size=(rows, n))].mean(axis=1)
    return means


def bootstrap_interval(
    diffs: Sequence[float], *, resamples: int = RESAMPLES, seed: int = 0, level: float = LEVEL
) -> tuple[float, float]:
    """The percentile interval of the mean of ``diffs``: the ``(1 - level) / 2`` and ``(1 + level) / 2``
    quantiles of the bootstrap means (linear interpolation between resamples)."""
    if not 0.0 < level < 1.0:
        raise ValueError("the confidence level must be between 0 and 1")
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(bootstrap_means(diffs, resamples=resamples, seed=seed), [tail, 1.0 - tail])
    return float(low), float(high)


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """McNemar's exact two-sided p-value for a paired binary outcome: ``only_a`` tickets had it in arm A
    only, ``only_b`` in arm B only; under "no difference" either is as likely, so the smaller count is a
    Binomial(``only_a + only_b``, 1/2) tail, doubled. 1.0 when no ticket is discordant."""
    if only_a < 0 or only_b < 0:
        raise ValueError("discordant counts cannot be negative")
    discordant = only_a + only_b
    if discordant == 0:
        return 1.0
    from scipy.stats import binom

    return float(min(1.0, 2.0 * binom.cdf(min(only_a, only_b), discordant, 0.5)))


@dataclass(frozen=True, slots=True)
class PairedFigure:
    """One figure in both arms and their paired difference ``b - a`` with its bootstrap interval.

    For a ``rate`` (a yes/no per ticket, averaged) ``only_a``/``only_b`` count the discordant tickets and
    ``p_value`` is McNemar's exact test; both are None for means of tokens or dollars.
    """

    label: str
    unit: str
    """``rate`` (a fraction of tickets), ``tokens`` or ``usd`` (means per ticket)."""
    a: float
    b: float
    diff: float
    low: float
    high: float
    n: int
    only_a: int | None = None
    only_b: int | None = None
    p_value: float | None = None
    group: str = ""
    """Which table the figure belongs to: ``outcomes``, ``routes``, ``checks`` or ``usage``."""

    @property
    def excludes_zero(self) -> bool:
        """Whether the bootstrap interval lies wholly on one side of zero."""
        return self.low > 0.0 or self.high < 0.0

    def clear(self, level: float = LEVEL) -> bool:
        """Whether the difference is clear at ``level``: the interval excludes zero and, for a rate, McNemar's
        test agrees (p < 1 - level). With a handful of discordant tickets the percentile interval can
        exclude zero while the exact test cannot: four tickets all moving one way give p = 0.125."""
        if not self.excludes_zero:
            return False
        return self.p_value is None or self.p_value < 1.0 - level


def paired_rate(
    label: str,
    a: Sequence[bool],
    b: Sequence[bool],
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
    level: float = LEVEL,
    group: str = "",
) -> PairedFigure:
    """The share of tickets with a yes in each arm, the difference's interval, and McNemar's test."""
    if len(a) != len(b):
        raise ValueError("both arms need one value per ticket")
    diffs = [float(y) - float(x) for x, y in zip(a, b, strict=True)]
    low, high = bootstrap_interval(diffs, resamples=resamples, seed=seed, level=level)
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    n = len(a)
    rate_a, rate_b = sum(map(bool, a)) / n, sum(map(bool, b)) / n
    return PairedFigure(
        label, "rate", rate_a, rate_b, rate_b - rate_a, low, high, n, only_a, only_b,
        mcnemar_exact(only_a, only_b), group,
    )  # fmt: skip


def paired_mean(
    label: str,
    unit: str,
    a: Sequence[float],
    b: Sequence[float],
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
    level: float = LEVEL,
    group: str = "",
) -> PairedFigure:
    """The mean per ticket in each arm and the paired difference's bootstrap interval."""
    if len(a) != len(b):
        raise ValueError("both arms need one value per ticket")
    diffs = [float(y) - float(x) for x, y in zip(a, b, strict=True)]
    low, high = bootstrap_interval(diffs, resamples=resamples, seed=seed, level=level)
    mean_a, mean_b = float(np.mean(a)), float(np.mean(b))
    return PairedFigure(label, unit, mean_a, mean_b, float(np.mean(diffs)), low, high, len(a), group=group)
