"""The holding message on a handoff: the workspace's text with the expected response time, or silence."""

from __future__ import annotations

from datetime import UTC, datetime

from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.rules import BusinessHours
from ticketflow.domain.views import TicketStatus, TicketView
from ticketflow.ports.channel import Capability
from ticketflow.runtime.sender import Kind, plan
from ticketflow.settings import DeliverySettings

SATURDAY = datetime(2026, 12, 5, 12, tzinfo=UTC)
HOURS = BusinessHours(timezone="UTC", opens=9 * 60, closes=17 * 60)


class _Mail:
    name = "email"
    capabilities = frozenset({Capability.REPLY})


class _Desk:
    name = "zendesk"
    capabilities = frozenset({Capability.REPLY, Capability.HAND_OFF})


def _handed_off() -> TicketView:
    return TicketView(
        TicketId("t_one"),
        TicketStatus.DONE,
        "email",
        "<m-1@example.com>",
        ConversationId("c_one"),
        SATURDAY,
        outcome="escalated",
        handoff=Handoff("a refund", "refund"),
    )


def test_a_handoff_by_mail_sends_the_workspaces_text_with_the_expected_response_time() -> None:
    settings = DeliverySettings(holding_message="Danke! Wir melden uns {hours}.")
    (holding,) = plan(_handed_off(), _Mail(), settings, HOURS, SATURDAY)
    assert holding.kind is Kind.HOLDING and holding.channel == "email"
    expected = "on Monday after we open at 09:00 (UTC; hours 09:00–17:00 UTC)"
    assert holding.body == f"Danke! Wir melden uns {expected}."


def test_a_workspace_that_turns_the_holding_message_off_sends_nothing() -> None:
    assert plan(_handed_off(), _Mail(), DeliverySettings(holding=False), HOURS, SATURDAY) == ()


def test_a_helpdesk_gets_the_handoff_and_no_holding_message() -> None:
    (out,) = plan(_handed_off(), _Desk(), DeliverySettings(), HOURS, SATURDAY)
    assert out.kind is Kind.HAND_OFF
