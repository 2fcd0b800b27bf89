"""Report periods and trends: calendar months, the period before, and rates over nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ticketflow.errors import InputError
from ticketflow.evals.periods import (
    PeriodKind,
    Trend,
    months_back,
    parse_until,
    period_ending,
    previous,
    ratio,
)


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


def test_a_week_is_the_seven_days_before_until_and_the_previous_week_abuts_it() -> None:
    week = period_ending("week", at(2026, 11, 30))

    assert (week.since, week.until, week.days) == (at(2026, 11, 23), at(2026, 11, 30), 7)
    assert week.label() == "2026-11-23 – 2026-11-29"
    before = previous(week)
    assert (before.since, before.until) == (at(2026, 11, 16), at(2026, 11, 23))


def test_a_month_is_a_calendar_month_and_crosses_the_new_year() -> None:
    month = period_ending(PeriodKind.MONTH, at(2026, 1, 1))

    assert (month.since, month.until, month.days) == (at(2025, 12, 1), at(2026, 1, 1), 31)
    assert (previous(month).since, previous(month).days) == (at(2025, 11, 1), 30)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 3, 31), at(2026, 2, 28)),  # February is shorter: its last day
        (at(2028, 3, 31), at(2028, 2, 29)),  # a leap year's
        (at(2026, 5, 31), at(2026, 4, 30)),
        (at(2026, 1, 15), at(2025, 12, 15)),
    ],
)
def test_a_month_back_clamps_the_day_to_the_shorter_month(moment: datetime, expected: datetime) -> None:
    assert months_back(moment) == expected


def test_a_naive_until_is_read_as_utc_and_an_offset_one_is_converted() -> None:
    assert period_ending("week", datetime(2026, 11, 30)).until == at(2026, 11, 30)
    assert parse_until("2026-11-30T02:00:00+02:00") == at(2026, 11, 30)
    assert parse_until("2026-11-30") == at(2026, 11, 30)
    assert parse_until(None, today=date(2026, 12, 1)) == at(2026, 12, 1)


def test_an_unreadable_until_names_the_option() -> None:
    with pytest.raises(InputError, match="--until 'last tuesday'"):
        parse_until("last tuesday")


def test_a_rate_over_no_tickets_is_unknown_not_zero() -> None:
    assert ratio(0, 0) is None
    assert ratio(3, 4) == 0.75


def test_against_an_empty_previous_period_a_figure_is_new() -> None:
    trend = Trend(12.0, None)

    assert (trend.change, trend.relative, trend.arrow()) == (None, None, "new")
    assert Trend(None, None).arrow() == "–"


def test_a_change_from_zero_has_no_relative_change() -> None:
    trend = Trend(5.0, 0.0)

    assert (trend.change, trend.relative, trend.arrow()) == (5.0, None, "▲")


def test_a_trend_says_which_way_and_by_how_much() -> None:
    assert (Trend(8.0, 10.0).relative, Trend(8.0, 10.0).arrow()) == (pytest.approx(-0.2), "▼")
    assert Trend(0.25, 0.25).arrow() == "="
