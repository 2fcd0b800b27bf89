"""The sender's plan: with feedback links on, an automated reply ends with its signed link; nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticketflow.domain.feedback import FeedbackLinks, read_token
from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.views import TicketStatus, TicketView
from ticketflow.ports.channel import Capability
from ticketflow.runtime.sender import Kind, plan
from ticketflow.settings import DeliverySettings

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
LINKS = FeedbackLinks("https://help.example.com", b"0123456789abcdef0123", timedelta(days=30), "Rate: {link}")


class _Channel:
    name = "api"
    capabilities = frozenset({Capability.REPLY})


def _view(outcome: str, **fields: object) -> TicketView:
    return TicketView(
        TicketId("t_one"),
        TicketStatus.DONE,
        "chat",
        "e-1",
        ConversationId("c_one"),
        NOW,
        outcome=outcome,
        **fields,
    )


def test_a_sent_reply_ends_with_a_link_that_rates_this_ticket() -> None:
    (out,) = plan(
        _view("sent", reply="We ship in 2 days."), _Channel(), DeliverySettings(), None, NOW, links=LINKS
    )
    assert out.kind is Kind.REPLY and out.body is not None
    text, _, footer = out.body.partition("\n\nRate: https://help.example.com/feedback?t=")
    assert text == "We ship in 2 days."
    assert read_token(footer, LINKS.secret, NOW) == "t_one"


def test_without_links_the_reply_is_sent_as_it_is_and_a_holding_message_never_carries_one() -> None:
    (plain,) = plan(_view("sent", reply="We ship in 2 days."), _Channel(), DeliverySettings(), None, NOW)
    assert plain.body == "We ship in 2 days."
    handoff = Handoff("s", "refund")
    (holding,) = plan(
        _view("escalated", handoff=handoff), _Channel(), DeliverySettings(), None, NOW, links=LINKS
    )
    assert holding.kind is Kind.HOLDING and "feedback" not in (holding.body or "")
