"""Which tickets may wait for an off-peak batch: listed channels, outside business hours."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ticketflow.domain.rules import BusinessHours
from ticketflow.runtime.batching import business_hours, may_wait
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


WORKSPACE = BusinessHours(
    "Europe/Berlin", frozenset(range(5)), 8 * 60, 20 * 60, frozenset({date(2026, 12, 25)})
)
TUESDAY_1830_BERLIN = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)  # open for the workspace, not for 9-17
CHRISTMAS_NOON_BERLIN = datetime(2026, 12, 25, 11, 0, tzinfo=UTC)  # a Friday, a workspace holiday


def test_without_hours_of_its_own_batching_uses_the_workspace_business_hours() -> None:
    unset = BatchSettings(enabled=True, channels=["email"])

    assert not may_wait(unset, "email", TUESDAY_1830_BERLIN, WORKSPACE)
    assert may_wait(unset, "email", TUESDAY_NIGHT_BERLIN, WORKSPACE)  # 22:00: closed
    assert may_wait(unset, "email", CHRISTMAS_NOON_BERLIN, WORKSPACE)
    assert business_hours(unset, WORKSPACE) is WORKSPACE


def test_batch_hours_of_its_own_win_over_the_workspace() -> None:
    assert may_wait(ON, "email", TUESDAY_1830_BERLIN, WORKSPACE)  # ON: 9-17 Berlin
    only_zone = BatchSettings(enabled=True, channels=["email"], timezone="Europe/Berlin")
    assert may_wait(only_zone, "email", TUESDAY_1830_BERLIN, WORKSPACE)  # one own field: all defaults own
    assert not may_wait(only_zone, "email", CHRISTMAS_NOON_BERLIN, WORKSPACE)  # its hours know no holidays
    never_open = BatchSettings(enabled=True, channels=["email"], business_days=[])
    assert may_wait(never_open, "email", TUESDAY_NOON_BERLIN, WORKSPACE)


def test_with_no_hours_anywhere_the_default_is_weekdays_nine_to_five_utc() -> None:
    unset = BatchSettings(enabled=True, channels=["email"])

    assert business_hours(unset) == BusinessHours()
    assert not may_wait(unset, "email", TUESDAY_NOON_BERLIN)  # 11:00 UTC
    assert may_wait(unset, "email", datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
