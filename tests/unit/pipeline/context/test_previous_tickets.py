"""Tests for pipeline.context.previous_tickets.rank_previous: similar and recent earlier tickets first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticketflow.domain.context import PastTicket
from ticketflow.pipeline.context.previous_tickets import rank_previous

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _past(id_: str, text: str, days_ago: float, intent: str | None = None) -> PastTicket:
    return PastTicket(id_, text, NOW - timedelta(days=days_ago), intent, "sent")


def test_similar_tickets_rank_above_unrelated_ones_and_unrelated_ones_are_left_out() -> None:
    candidates = [
        _past("t-1", "Newsletter unsubscribe link is broken", 1),
        _past("t-2", "Lamp NW-100230 arrived with a cracked shade", 10),
        _past("t-3", "Where is lamp order NW-100230?", 40, "track_order"),
    ]

    ranked = rank_previous("Order NW-100230 lamp still not here", "track_order", candidates, NOW, k=3)

    assert [p.id for p in ranked] == ["t-3", "t-2"]


def test_of_two_equally_similar_tickets_the_recent_one_wins() -> None:
    old = _past("old", "refund for the kettle", 200, "track_refund")
    new = _past("new", "refund for the kettle", 2, "track_refund")

    ranked = rank_previous("kettle refund status", "track_refund", [old, new], NOW, k=1)

    assert [p.id for p in ranked] == ["new"]
