"""``SqlFeedback`` on both databases: ratings replace one another, and the summary counts the answers of
a period as the pure function judges them (answered when the channel's receipt says so)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticketflow.domain.feedback import Rating
from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.resolution import ResolutionSummary
from ticketflow.wiring.engine import Engine

RULE_ANSWERED = "What payment methods do you accept?"


def _handle(engine: Engine, external_id: str, text: str, thread: str) -> TicketId:
    message = InboundMessage(
        "chat", external_id, CustomerRef(email="ana@example.com"), text, conversation_ref=thread
    )
    return engine.handle(message).ticket.id


def test_a_rating_is_kept_per_ticket_and_the_latest_replaces_the_first(engine: Engine) -> None:
    assert engine.store is not None
    store = engine.store.feedback
    ticket = _handle(engine, "s-1", RULE_ANSWERED, "thread-1")
    at = datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert store.rate(ticket, Rating.GOOD, comment="fine", at=at) is False
    assert store.rate(ticket, Rating.BAD, score=1, source="zendesk", at=at + timedelta(hours=1)) is True
    kept = store.feedback(ticket)
    assert kept is not None
    assert (kept.rating, kept.score, kept.comment, kept.source, kept.at) == (
        Rating.BAD,
        1,
        None,
        "zendesk",
        at + timedelta(hours=1),
    )
    with pytest.raises(KeyError):
        store.rate(TicketId("t_nobody"), Rating.GOOD, at=at)
    with pytest.raises(KeyError):
        store.rate(TicketId("t_\x00"), Rating.GOOD, at=at)
    assert store.feedback(TicketId("t_nobody")) is None


def test_the_summary_counts_the_periods_answers_judged_at_now(engine: Engine) -> None:
    assert engine.store is not None
    store = engine.store.feedback
    before = datetime.now(UTC)
    quiet = _handle(engine, "s-2", RULE_ANSWERED, "thread-2")
    asked = _handle(engine, "s-3", RULE_ANSWERED, "thread-3")
    follow = _handle(engine, "s-4", "Which of those work for orders shipped abroad?", "thread-3")
    rated = _handle(engine, "s-5", RULE_ANSWERED, "thread-5")
    store.rate(rated, Rating.GOOD, at=datetime.now(UTC))
    after = datetime.now(UTC) + timedelta(seconds=1)

    answer = store.answer(asked)
    assert answer is not None and answer.follow_up is not None and answer.follow_up.ticket_id == follow
    assert store.answer(quiet) is not None and store.answer(TicketId("t_nobody")) is None
    follow_answered = store.answer(follow) is not None  # the follow-up itself is answered, or handed off

    now = after
    summary = store.resolution_summary(before, after, now)
    pending = 1 + follow_answered  # quiet, and the follow-up if answered: inside their window
    assert summary == ResolutionSummary(
        sent=3 + follow_answered, resolved=1, reopened=1, pending=pending, rated_good=1
    )
    later = store.resolution_summary(before, after, now + timedelta(hours=72))
    assert (later.resolved, later.reopened, later.pending) == (2 + follow_answered, 1, 0)
    shorter = store.resolution_summary(before, after, now + timedelta(hours=2), window=timedelta(hours=1))
    assert shorter.pending == 0
    assert store.resolution_summary(after, after + timedelta(days=1), now) == ResolutionSummary()
