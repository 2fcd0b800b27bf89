"""``IntercomChannel.recall`` against FakeIntercom: a send cut off by a crash is found, no one else's part."""

from __future__ import annotations

from intercom_support import (
    ADMIN,
    channel_for,
    close_channels,  # noqa: F401  (autouse)
    served,
)

from ticketflow.channels.intercom.bodies import handoff_html, text_to_html
from ticketflow.domain.message import CustomerRef
from ticketflow.domain.outcome import Handoff
from ticketflow.ports.channel import Recalls, Thread
from ticketflow.testing.fake_intercom import FakeIntercom

REPLY = "Hi Ada,\n\nStandard delivery to Germany takes 3–5 days <tracked>.\nThanks!"
HANDOFF = Handoff(summary="Wants a refund", reason="refund", tried=("looked up the order",))


def _started(fake: FakeIntercom) -> tuple[str, Thread]:
    contact = fake.add_contact("ada@example.com", "Ada")
    conversation = fake.customer_starts(contact, "<p>How long to Germany?</p>")
    return conversation, Thread(customer=CustomerRef(email="ada@example.com"), conversation_ref=conversation)


def test_the_channel_recalls() -> None:
    with served() as (_, url):
        assert isinstance(channel_for(url), Recalls)


def test_a_reply_that_landed_is_found_with_its_parts_id() -> None:
    with served() as (fake, url):
        conversation, thread = _started(fake)
        channel = channel_for(url)
        sent = channel.reply(thread, REPLY, idempotency_key="k-1")
        found = channel_for(url).recall(thread, reply=REPLY)  # a fresh process: nothing remembered
        assert found is not None and found.message_id == sent.message_id
        (part,) = fake.parts(conversation, "comment")
        assert found.message_id == f"ic:{conversation}:p:{part['id']}"


def test_a_handoffs_note_is_found_and_is_not_taken_for_a_reply() -> None:
    with served() as (fake, url):
        conversation, thread = _started(fake)
        fake.agent_writes(conversation, ADMIN, handoff_html(HANDOFF), part_type="note")
        channel = channel_for(url)
        found = channel.recall(thread, handoff=HANDOFF)
        (note,) = fake.parts(conversation, "note")
        assert found is not None and found.message_id == f"ic:{conversation}:p:{note['id']}"
        assert channel.recall(thread, reply=HANDOFF.summary) is None


def test_nothing_is_found_when_nothing_landed_or_the_text_differs() -> None:
    with served() as (fake, url):
        conversation, thread = _started(fake)
        channel = channel_for(url)
        assert channel.recall(thread, reply=REPLY) is None
        fake.agent_writes(conversation, ADMIN, text_to_html("Something else entirely."))
        assert channel.recall(thread, reply=REPLY) is None
        assert channel.recall(thread, handoff=HANDOFF) is None


def test_the_same_text_by_the_customer_or_another_admin_is_not_ours() -> None:
    with served() as (fake, url):
        conversation, thread = _started(fake)
        fake.customer_replies(conversation, text_to_html(REPLY))
        fake.agent_writes(conversation, "agent-7", text_to_html(REPLY))
        fake.agent_writes(conversation, "agent-7", handoff_html(HANDOFF), part_type="note")
        channel = channel_for(url)
        assert channel.recall(thread, reply=REPLY) is None
        assert channel.recall(thread, handoff=HANDOFF) is None


def test_whitespace_the_helpdesk_reflowed_still_matches() -> None:
    with served() as (fake, url):
        conversation, thread = _started(fake)
        fake.agent_writes(
            conversation,
            ADMIN,
            "<p>Hi Ada,</p>\n<p>Standard delivery  to Germany takes 3–5 days "
            "&lt;tracked&gt;.<br>\nThanks!</p>",
        )
        assert channel_for(url).recall(thread, reply=REPLY) is not None
