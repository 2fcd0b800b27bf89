"""Verified resolution: resolved only when confirmed or quiet for the whole window; edges included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticketflow.domain.feedback import Rating
from ticketflow.domain.ids import TicketId
from ticketflow.domain.resolution import (
    DEFAULT_WINDOW,
    Answer,
    FollowUp,
    ResolutionSummary,
    State,
    Why,
    is_confirmation,
    resolve,
    summarise,
)

SENT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
END = SENT + DEFAULT_WINDOW
TINY = timedelta(microseconds=1)
QUESTION = "The tracking page shows nothing yet, can you check again"


def _answer(follow_at: datetime | None = None, text: str = QUESTION, rating: Rating | None = None) -> Answer:
    follow = FollowUp(follow_at, text) if follow_at is not None else None
    return Answer(TicketId("t_a"), SENT, follow, rating)


def test_pending_while_the_window_is_open_and_resolved_the_moment_it_closes() -> None:
    assert resolve(_answer(), SENT).state is State.PENDING
    assert resolve(_answer(), END - TINY).state is State.PENDING
    closed = resolve(_answer(), END)
    assert (closed.state, closed.why, closed.decided_at) == (State.RESOLVED, Why.QUIET, END)


def test_a_message_just_inside_the_window_reopens_and_one_at_its_end_does_not() -> None:
    inside = resolve(_answer(END - TINY), END + timedelta(days=9))
    assert (inside.state, inside.why, inside.decided_at) == (State.REOPENED, Why.FOLLOW_UP, END - TINY)
    at_end = resolve(_answer(END), END + timedelta(days=9))
    assert (at_end.state, at_end.why) == (State.RESOLVED, Why.QUIET)


def test_a_message_reopens_at_once_even_while_the_window_is_open() -> None:
    assert resolve(_answer(SENT + timedelta(minutes=5)), SENT + timedelta(minutes=6)).state is State.REOPENED


def test_a_message_from_before_the_answer_left_is_no_reaction_to_it() -> None:
    assert resolve(_answer(SENT), SENT + timedelta(hours=1)).state is State.PENDING
    assert resolve(_answer(SENT - timedelta(hours=1)), END).state is State.RESOLVED


def test_a_thank_you_within_the_window_confirms() -> None:
    verdict = resolve(_answer(SENT + timedelta(hours=2), "Perfect, thanks a lot!"), SENT + timedelta(hours=3))
    assert (verdict.state, verdict.why) == (State.RESOLVED, Why.CONFIRMED)


def test_a_rating_decides_over_a_message() -> None:
    asked_then_happy = _answer(SENT + timedelta(hours=1), rating=Rating.GOOD)
    assert resolve(asked_then_happy, SENT + timedelta(hours=2)).why is Why.RATED_GOOD
    thanked_but_unhappy = _answer(SENT + timedelta(hours=1), "thanks", rating=Rating.BAD)
    assert resolve(thanked_but_unhappy, END).state is State.REOPENED
    neutral = _answer(rating=Rating.NEUTRAL)
    assert resolve(neutral, SENT).state is State.PENDING


def test_a_shorter_window_closes_sooner() -> None:
    hour = timedelta(hours=1)
    assert resolve(_answer(SENT + 2 * hour), SENT + 3 * hour, window=hour).state is State.RESOLVED


@pytest.mark.parametrize(
    "text",
    [
        "Thanks!",
        "thank you so much",
        "Great, that worked.",
        "ok got it, cheers",
        "Solved \N{THUMBS UP SIGN}",
        "Perfect thanks",
        "That\N{RIGHT SINGLE QUOTATION MARK}s great, thank you",
    ],
)
def test_messages_that_only_thank_or_confirm(text: str) -> None:
    assert is_confirmation(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "thanks, but it still does not work",
        "Thanks. What about my other order?",
        "thank you, can you also change the address",
        "not fixed",
        "Hello",  # a greeting alone confirms nothing
        "thanks " * 20,
        "I want a refund",
    ],
)
def test_messages_that_say_more(text: str) -> None:
    assert not is_confirmation(text)


def test_a_bare_ok_confirms() -> None:
    assert is_confirmation("ok")


def test_the_summary_counts_each_state_and_rating() -> None:
    answers = [
        _answer(),  # pending
        _answer(SENT + timedelta(hours=1)),  # reopened
        _answer(SENT + timedelta(hours=1), "thanks!"),  # resolved, confirmed
        _answer(rating=Rating.GOOD),  # resolved, rated
        _answer(rating=Rating.BAD),  # reopened, rated
        _answer(rating=Rating.NEUTRAL),  # pending, rated
    ]
    summary = summarise(answers, SENT + timedelta(hours=2))
    assert summary == ResolutionSummary(
        sent=6, resolved=2, reopened=2, pending=2, rated_good=1, rated_bad=1, rated_neutral=1
    )
    assert summary.verified_rate == 0.5
    assert summarise([], SENT).verified_rate is None
    assert summarise([_answer()], END).as_dict()["verified_resolution_rate"] == 1.0
