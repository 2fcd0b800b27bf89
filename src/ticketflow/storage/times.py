"""Times as the store writes and reads them: always timezone-aware UTC.

SQLite hands ``DateTime(timezone=True)`` columns back without their zone; every read goes through
:func:`aware` so both databases give the same values.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, timezone-aware in UTC: every stored time is."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """``value`` with its zone: a time read without one was written as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def aware_or_none(value: datetime | None) -> datetime | None:
    """:func:`aware`, passing None through."""
    return aware(value) if value is not None else None
