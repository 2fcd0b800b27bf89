"""Tests for ticketflow.pipeline.intake.Intake: quoted email text stripped, text tidied, history loaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support import message_ticket as _ticket
from ticketflow.domain.ids import ConversationId, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket, Turn
from ticketflow.pipeline.intake import Intake
from ticketflow.testing.store import MemoryStore

EMAIL_REPLY = """Hi, the lamp arrived broken.

Can you send a new one?

On Tue, 4 Mar 2025 at 09:12, Northwind Goods <help@northwindgoods.com> wrote:
> Hi Ada, your lamp has shipped.
> The Northwind team
"""


def test_email_reply_keeps_only_the_new_text() -> None:
    ticket = Intake().run(_ticket(EMAIL_REPLY, channel="email"))

    assert ticket.message.text == "Hi, the lamp arrived broken.\n\nCan you send a new one?"
    assert "your lamp has shipped" not in ticket.text


def test_quoted_text_is_kept_on_non_email_channels() -> None:
    ticket = Intake().run(_ticket(EMAIL_REPLY, channel="api"))

    assert "your lamp has shipped" in ticket.message.text


def test_message_made_only_of_quotes_is_not_emptied() -> None:
    ticket = Intake().run(_ticket("> what I wrote before\n> more of it", channel="email"))

    assert ticket.message.text == "> what I wrote before\n> more of it"


def test_whitespace_is_normalised() -> None:
    ticket = Intake().run(_ticket("Hello\u00a0 there\t\tfriend\r\n\r\n\r\n\r\nBye  ", channel="api"))

    assert ticket.message.text == "Hello there friend\n\nBye"


def _store_with(turns: list[Turn], channel: str = "api") -> tuple[MemoryStore, ConversationId]:
    """A store whose conversation ``thread`` holds ``turns``, and that conversation's id."""
    store = MemoryStore()
    return store, store.conversations.import_history(tuple(turns), channel=channel, external_ref="thread")


def test_history_is_loaded_from_the_store_for_this_conversation_before_this_message() -> None:
    turns = [Turn("customer", "Where is my lamp?"), Turn("agent", "It ships Monday.")]
    store, _ = _store_with(turns)
    store.conversations.import_history(
        (Turn("customer", "not this one"),), channel="api", external_ref="another thread"
    )
    accepted = store.tickets.accept(
        InboundMessage(
            "api", "m-1", CustomerRef(email="ada@example.com"), "Any news?", conversation_ref="thread"
        )
    )

    result = Intake(store, history_turns=8).run(store.tickets.load_ticket(accepted.ticket_id))

    assert [(t.role, t.text) for t in result.history] == [
        ("customer", "Where is my lamp?"),
        ("agent", "It ships Monday."),
    ], "the other thread's turns and the ticket's own message are not its history"


def test_history_is_capped_at_the_configured_number_of_turns() -> None:
    store = MemoryStore()
    turns = tuple(Turn("customer", f"message {i}") for i in range(5))
    conversation = store.conversations.import_history(turns, channel="api", external_ref="thread")

    result = Intake(store, history_turns=2).run(_ticket("Any news?", "api", conversation=conversation))

    assert [t.text for t in result.history] == ["message 3", "message 4"]


def test_history_already_on_the_ticket_is_kept_instead_of_the_stored_one() -> None:
    store, conversation = _store_with([Turn("customer", "from the store")])
    given = (Turn("customer", "given by the channel"),)

    result = Intake(store).run(_ticket("Any news?", "api", history=given, conversation=conversation))

    assert result.history == given


def test_zero_history_turns_means_no_history() -> None:
    store, conversation = _store_with([Turn("customer", "earlier")])

    result = Intake(store, history_turns=0).run(_ticket("Any news?", "api", conversation=conversation))

    assert result.history == ()


START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LONG_THREAD = [
    Turn(
        "customer" if i % 2 == 0 else "agent",
        f"Message number {i}. More words here.",
        START + timedelta(hours=i),
    )
    for i in range(12)
]


def test_older_turns_are_summarised_only_when_configured() -> None:
    store = MemoryStore()
    conversation = store.conversations.import_history(
        tuple(LONG_THREAD), channel="chat", external_ref="long-1"
    )
    ticket = Ticket(
        ticket_id_for("chat", "long-1"),
        conversation,
        InboundMessage("chat", "long-1", CustomerRef(email="ana@example.com"), "And now?"),
    )
    plain = Intake(store, history_turns=4).run(ticket)
    assert len(plain.history) == 4 and plain.earlier is None

    summarised = Intake(store, history_turns=4, summarise_older=True).run(ticket)
    assert [t.text for t in summarised.history] == [t.text for t in LONG_THREAD[-4:]]
    assert summarised.earlier is not None
    assert summarised.earlier.startswith("8 earlier messages from 2026-11-20 09:00 to 2026-11-20 16:00.")
    assert "Message number 0." in summarised.earlier and "Message number 6." in summarised.earlier
    assert "Our last reply then: Message number 7." in summarised.earlier
