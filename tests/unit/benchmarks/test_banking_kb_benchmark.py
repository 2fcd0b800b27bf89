"""The banking benchmark's uncertainty: a paired bootstrap of the gain over the best baseline."""

from benchmarks.banking_kb import ratio_interval


def test_a_ranker_against_itself_has_no_gain_in_any_draw() -> None:
    values = [1.0, 0.5, 0.0, 0.25, 1.0, 0.0]
    assert ratio_interval(values, values) == (1.0, 1.0)


def test_a_gain_on_every_ticket_gives_an_interval_above_one() -> None:
    theirs = [0.5, 0.25, 0.2, 1.0, 0.5] * 6
    ours = [min(1.0, 1.5 * v) for v in theirs]
    low, high = ratio_interval(ours, theirs)
    assert 1.0 < low <= high <= 1.5


def test_a_gain_on_one_ticket_of_thirty_is_not_trusted() -> None:
    """One ticket of 30 moved from rank 5 to rank 1: +13% in the mean, yet the interval starts at no gain."""
    theirs = [0.2] * 30
    ours = [1.0] + [0.2] * 29
    low, high = ratio_interval(ours, theirs)
    assert low == 1.0 and high > 1.2
