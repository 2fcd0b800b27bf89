"""Report periods: a week or a calendar-length month ending at a moment, and the one before it; trends.

A period is half-open, ``[since, until)``. ``until`` defaults to the start of today (UTC), so a report covers
complete days. A month ending on the 31st starts on the last day of the month before when that month is
shorter (31 March back to 28 or 29 February), as calendars do.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from ticketflow.errors import InputError


class PeriodKind(StrEnum):
    """How long a report's period is."""

    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Period:
    """``[since, until)`` in UTC."""

    kind: PeriodKind
    since: datetime
    until: datetime

    @property
    def days(self) -> int:
        """Whole days in the period."""
        return (self.until - self.since).days

    def label(self) -> str:
        """``2026-11-24 – 2026-11-30``: the first and last day, inclusive."""
        last = self.until - timedelta(microseconds=1)
        return f"{self.since:%Y-%m-%d} – {last:%Y-%m-%d}"


def months_back(moment: datetime, months: int = 1) -> datetime:
    """``moment`` so many calendar months earlier, the day clamped to the shorter month's last."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _start(kind: PeriodKind, until: datetime) -> datetime:
    return until - timedelta(days=7) if kind is PeriodKind.WEEK else months_back(until)


def period_ending(kind: PeriodKind | str, until: datetime) -> Period:
    """The week or month that ends (exclusively) at ``until``."""
    kind = PeriodKind(kind)
    until = until.replace(tzinfo=UTC) if until.tzinfo is None else until.astimezone(UTC)
    return Period(kind, _start(kind, until), until)


def previous(period: Period) -> Period:
    """The period of the same kind that ends where ``period`` starts."""
    return period_ending(period.kind, period.since)


def parse_until(text: str | None, *, today: date | None = None) -> datetime:
    """``--until``: a date (``2026-12-01``, meaning its midnight UTC) or an ISO time; by default today's."""
    if text is None:
        return datetime.combine(today or datetime.now(UTC).date(), time(), tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--until {text!r}: give a date (2026-12-01) or an ISO time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Trend:
    """A figure against the previous period's: the change, and the relative change when it means something."""

    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """``current - previous``; None when either is unknown."""
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def relative(self) -> float | None:
        """The change as a fraction of the previous figure; None when that is unknown or zero."""
        change = self.change
        if change is None or not self.previous:
            return None
        return change / abs(self.previous)

    def arrow(self) -> str:
        """``▲``, ``▼`` or ``=`` for the direction; ``new`` when there is nothing to compare with."""
        change = self.change
        if change is None:
            return "new" if self.current is not None else "–"
        if abs(change) < 1e-12:
            return "="
        return "▲" if change > 0 else "▼"


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or None (not zero) when the denominator is zero: no tickets, no rate."""
    return numerator / denominator if denominator else None
