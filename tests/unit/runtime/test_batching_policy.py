"""Which tickets may wait for an off-peak batch: listed channels, outside business hours."""

from __future__ import annotations

from datetime import UTC, datetime

from ticketflow.runtime.batching import may_wait
from ticketflow.settings import BatchSettings

ON = BatchSettings(enabled=True, channels=["email"], business_hours=(9, 17), timezone="Europe/Berlin")
TUESDAY_NOON_BERLIN = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
TUESDAY_NIGHT_BERLIN = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)  # 22:00 in Berlin
SATURDAY_NOON_BERLIN = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)


def test_email_outside_business_hours_waits() -> None:
    assert may_wait(ON, "email", TUESDAY_NIGHT_BERLIN)
    assert may_wait(ON, "email", SATURDAY_NOON_BERLIN)


def test_email_in_business_hours_is_drafted_at_once() -> None:
    assert not may_wait(ON, "email", TUESDAY_NOON_BERLIN)


def test_business_hours_are_read_in_the_configured_zone() -> None:
    evening_utc = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)  # 17:30 in Berlin: closed there, open in UTC
    assert may_wait(ON, "email", evening_utc)
    assert not may_wait(ON.model_copy(update={"timezone": "UTC"}), "email", evening_utc)


def test_channels_not_listed_and_disabled_batching_never_wait() -> None:
    assert not may_wait(ON, "chat", TUESDAY_NIGHT_BERLIN)
    assert not may_wait(ON.model_copy(update={"enabled": False}), "email", TUESDAY_NIGHT_BERLIN)
