"""The replay's paired statistics, against cases small enough to work out by hand."""

from __future__ import annotations

import pytest

from ticketflow.evals.replay_stats import (
    bootstrap_interval,
    bootstrap_means,
    mcnemar_exact,
    paired_mean,
    paired_rate,
)


def test_the_bootstrap_of_three_tickets_matches_its_exact_distribution() -> None:
    # d = (0, 0, 3): a resample's mean is the number of times the third ticket is drawn, k ~ Bin(3, 1/3):
    # P(0) = 8/27, P(1) = 12/27, P(2) = 6/27, P(3) = 1/27, so P(mean <= 2) = 26/27 = 0.963.
    means = bootstrap_means([0.0, 0.0, 3.0], resamples=20_000, seed=1)
    for k, p in ((0, 8 / 27), (1, 12 / 27), (2, 6 / 27), (3, 1 / 27)):
        assert (means == k).mean() == pytest.approx(p, abs=0.01)
    # 95%: the 2.5% quantile is 0 (P(0) > 2.5%), the 97.5% quantile is 3 (P(<= 2) = 96.3% < 97.5%)
    assert bootstrap_interval([0.0, 0.0, 3.0], resamples=20_000, seed=1) == (0.0, 3.0)
    # 80%: the 90% quantile is 2 (P(<= 1) = 74.1% < 90% <= 96.3%)
    assert bootstrap_interval([0.0, 0.0, 3.0], resamples=20_000, seed=1, level=0.8) == (0.0, 2.0)


def test_identical_arms_give_a_zero_width_interval_at_zero_and_the_same_seed_the_same_draws() -> None:
    assert bootstrap_interval([0.0] * 25, resamples=500, seed=4) == (0.0, 0.0)
    assert bootstrap_interval([2.5] * 7, resamples=500, seed=4) == pytest.approx((2.5, 2.5))
    values = [0.0, 1.0, -1.0, 4.0, 2.0]
    assert bootstrap_interval(values, seed=9) == bootstrap_interval(values, seed=9)
    assert bootstrap_interval(values, seed=9) != bootstrap_interval(values, seed=10)


def test_resamples_drawn_in_blocks_are_the_resamples_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    import ticketflow.evals.replay_stats as stats

    monkeypatch.setattr(stats, "_CELLS", 10)  # 2 resamples of 5 tickets per block
    means = bootstrap_means([1.0, 2.0, 3.0, 4.0, 5.0], resamples=7, seed=0)
    assert len(means) == 7
    assert all(1.0 <= m <= 5.0 for m in means)


def test_mcnemar_exact_is_the_doubled_binomial_tail_of_the_discordant_tickets() -> None:
    assert mcnemar_exact(1, 6) == pytest.approx(2 * (1 + 7) / 2**7)  # 0.125
    assert mcnemar_exact(6, 1) == pytest.approx(0.125)
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 2**5)  # 0.0625
    assert mcnemar_exact(3, 3) == 1.0  # the doubled tail passes 1: capped
    assert mcnemar_exact(0, 0) == 1.0  # no discordant ticket: no evidence of a difference
    with pytest.raises(ValueError, match="negative"):
        mcnemar_exact(-1, 2)


def test_a_paired_rate_counts_the_discordant_tickets_and_tests_them() -> None:
    a = [True, True, True, False, False, True]
    b = [False, True, False, False, True, False]

    figure = paired_rate("automated", a, b, resamples=400, seed=2)

    assert (figure.a, figure.b) == (pytest.approx(4 / 6), pytest.approx(2 / 6))
    assert figure.diff == pytest.approx(-2 / 6)
    assert (figure.only_a, figure.only_b) == (3, 1)
    assert figure.p_value == pytest.approx(mcnemar_exact(3, 1))  # 2 * 5/16 = 0.625
    assert figure.low <= figure.diff <= figure.high
    assert figure.unit == "rate"


def test_a_paired_mean_is_the_mean_difference_with_its_interval() -> None:
    figure = paired_mean("tokens", "tokens", [100, 200, 300], [150, 250, 350], resamples=300, seed=0)
    assert (figure.a, figure.b, figure.diff) == (200.0, 250.0, 50.0)
    assert (figure.low, figure.high) == pytest.approx((50.0, 50.0))  # every ticket moved by exactly 50
    assert figure.excludes_zero
    assert figure.p_value is None and figure.only_a is None


def test_arms_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one value per ticket"):
        paired_rate("x", [True], [True, False])
    with pytest.raises(ValueError, match="at least one ticket"):
        bootstrap_interval([])


def test_four_tickets_moving_one_way_exclude_zero_but_are_not_clear() -> None:
    # the percentile interval of 4 of 150 moving is [0.7, 5.3] pp (seed 1; no resample without a moved
    # ticket is (146/150)**150 = 1.7% < 2.5% likely), yet McNemar's exact p is 2 / 2**4
    moved = [True] * 4 + [False] * 146
    figure = paired_rate("sent", [False] * 150, moved, resamples=2000, seed=1)
    assert figure.excludes_zero and figure.p_value == pytest.approx(0.125)
    assert not figure.clear()
    seven = paired_rate("sent", [False] * 150, [True] * 7 + [False] * 143, resamples=2000, seed=0)
    assert seven.clear()  # p = 2 / 2**7 = 0.0156
