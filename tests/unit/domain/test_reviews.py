"""Review values: due times in business hours, what a re-validation blocks, and the draft's diff."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ticketflow.domain.ids import TicketId
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.reviews import (
    RecheckResult,
    ReplyBlocked,
    Revalidation,
    ReviewRecord,
    ReviewStatus,
    business_deadline,
)
from ticketflow.domain.rules import BusinessHours
from ticketflow.runtime.reviews import draft_diff
from ticketflow.settings import ReviewSettings, parse_duration

BERLIN = BusinessHours(
    timezone="Europe/Berlin", opens=8 * 60, closes=20 * 60, holidays=frozenset({date(2026, 12, 24)})
)


def test_without_business_hours_the_target_counts_around_the_clock() -> None:
    start = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)  # a Saturday night
    assert business_deadline(None, start, timedelta(hours=8)) == start + timedelta(hours=8)


def test_a_target_inside_one_working_day_ends_the_same_day() -> None:
    # Tuesday 09:00 Berlin (08:00 UTC) + 4h = 13:00 Berlin
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert business_deadline(BERLIN, start, timedelta(hours=4)) == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_time_outside_the_hours_does_not_count_and_weekends_and_holidays_are_skipped() -> None:
    # Friday 18:00 Berlin: 2h left that day, the other 6h from Monday 08:00 Berlin -> Monday 14:00 Berlin
    friday = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    assert business_deadline(BERLIN, friday, timedelta(hours=8)) == datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    # queued on the holiday's eve after closing: the holiday is skipped, due on the 25th
    eve = datetime(2026, 12, 23, 21, 0, tzinfo=UTC)
    assert business_deadline(BERLIN, eve, timedelta(hours=1)) == datetime(2026, 12, 25, 8, 0, tzinfo=UTC)


def test_a_calendar_without_working_days_falls_back_to_the_clock() -> None:
    never = BusinessHours(days=frozenset())
    start = datetime(2026, 12, 1, tzinfo=UTC)
    assert business_deadline(never, start, timedelta(hours=2)) == start + timedelta(hours=2)


def test_targets_are_read_by_reason_then_its_prefix_then_the_default() -> None:
    settings = ReviewSettings(targets={"refund": "4h", "validation": "30m"}, default_target="1h30m")
    assert settings.target_s("refund") == 4 * 3600
    assert settings.target_s("validation:pii,grounding") == 30 * 60
    assert settings.target_s("legal_threat") == 90 * 60
    for bad in ("", "4 days", "0h", "h"):
        with pytest.raises(ValueError, match=r"duration|longer than zero"):
            parse_duration(bad)


def test_only_a_blocking_failure_blocks_and_the_error_names_it() -> None:
    checks = (
        RecheckResult("pii", passed=False, blocking=True, evidence=("card number in the reply",)),
        RecheckResult("grounding", passed=False, blocking=False, evidence=("figure 987.65 not in context",)),
        RecheckResult("tone", passed=True, blocking=False),
    )
    revalidation = Revalidation(checks)
    assert revalidation.blocked
    assert [c.name for c in revalidation.failures] == ["pii"]
    assert [c.name for c in revalidation.warnings] == ["grounding"]
    assert "pii" in str(ReplyBlocked(revalidation))
    assert not Revalidation(checks[1:]).blocked


def test_an_expired_lease_reads_as_open() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    record = ReviewRecord(
        TicketId("t_1"),
        "refund",
        "zendesk",
        "c_1",
        Handoff("s", "refund"),
        ReviewStatus.CLAIMED,
        now - timedelta(hours=1),
        lease_holder="key:a",
        lease_expires_at=now + timedelta(seconds=5),
    )
    assert record.live_status(now) is ReviewStatus.CLAIMED
    assert record.live_status(now + timedelta(seconds=5)) is ReviewStatus.OPEN


def test_the_diff_is_empty_for_the_draft_as_it_was_and_shows_an_edit() -> None:
    assert draft_diff("Hello.\nThanks.", "Hello.\nThanks.") == ""
    diff = draft_diff("Hello.\nWe refund in 5 days.", "Hello.\nWe refund in 3 days.")
    assert "-We refund in 5 days." in diff and "+We refund in 3 days." in diff
    assert draft_diff(None, "A new reply.").startswith("--- draft")
