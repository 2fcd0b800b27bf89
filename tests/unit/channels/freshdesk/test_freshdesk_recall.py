"""``FreshdeskChannel.recall`` against FakeFreshdesk: a send cut off by a crash is found, nobody else's is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ticketflow.channels.freshdesk.channel import FreshdeskChannel
from ticketflow.channels.freshdesk.settings_model import FreshdeskSecrets, FreshdeskSettings
from ticketflow.channels.freshdesk.text import handoff_html, text_to_html
from ticketflow.domain.message import CustomerRef
from ticketflow.domain.outcome import Handoff
from ticketflow.ports.channel import Recalls, Thread
from ticketflow.testing.fake_freshdesk import FakeFreshdesk
from ticketflow.testing.server import serve

REPLY = "Hi Ada,\n\nStandard delivery to Germany takes 3–5 days <tracked>.\nThanks!"
HANDOFF = Handoff(summary="Wants a refund", reason="refund", tried=("looked up the order",))
Desk = tuple[FakeFreshdesk, str]


@pytest.fixture
def desk() -> Iterator[Desk]:
    fake = FakeFreshdesk()
    with serve(fake.app) as server:
        yield fake, server.url


@pytest.fixture
def opened() -> Iterator[list[FreshdeskChannel]]:
    channels: list[FreshdeskChannel] = []
    yield channels
    for channel in channels:
        channel.close()


def _channel(desk: Desk, opened: list[FreshdeskChannel], *, agent: bool = True) -> FreshdeskChannel:
    fake, url = desk
    settings = FreshdeskSettings(base_url=url, agent_user_id=fake.api_agent_id if agent else None)
    channel = FreshdeskChannel(settings, FreshdeskSecrets(fake.api_key, "hook"), sleep=lambda _: None)
    opened.append(channel)
    return channel


def _thread(fake: FakeFreshdesk) -> tuple[int, Thread]:
    ticket = fake.create_ticket(description="<div>How long to Germany?</div>").id
    return ticket, Thread(customer=CustomerRef(email="ada@example.com"), conversation_ref=str(ticket))


def test_the_channel_recalls(desk: Desk, opened: list[FreshdeskChannel]) -> None:
    assert isinstance(_channel(desk, opened), Recalls)


def test_a_reply_that_landed_is_found_with_its_conversation_id(
    desk: Desk, opened: list[FreshdeskChannel]
) -> None:
    fake, _ = desk
    ticket, thread = _thread(fake)
    _channel(desk, opened).reply(thread, REPLY, idempotency_key="k-1")
    found = _channel(desk, opened).recall(thread, reply=REPLY)  # a fresh process: nothing remembered
    (reply,) = fake.tickets[ticket].replies
    assert found is not None and found.message_id == f"fd:{ticket}:cv:{reply.id}"


def test_a_handoffs_note_is_found_and_is_not_taken_for_a_reply(
    desk: Desk, opened: list[FreshdeskChannel]
) -> None:
    fake, _ = desk
    ticket, thread = _thread(fake)
    _channel(desk, opened).hand_off(thread, HANDOFF, idempotency_key="h-1")
    channel = _channel(desk, opened)
    found = channel.recall(thread, handoff=HANDOFF)
    (note,) = fake.tickets[ticket].notes
    assert found is not None and found.message_id == f"fd:{ticket}:cv:{note.id}"
    fake.agent_writes(ticket, handoff_html(HANDOFF), agent_id=fake.api_agent_id)  # public, same text
    assert channel.recall(thread, reply=HANDOFF.summary) is None


def test_nothing_is_found_when_nothing_landed_or_the_text_differs(
    desk: Desk, opened: list[FreshdeskChannel]
) -> None:
    fake, _ = desk
    ticket, thread = _thread(fake)
    channel = _channel(desk, opened)
    assert channel.recall(thread, reply=REPLY) is None
    fake.agent_writes(ticket, text_to_html("Something else entirely."), agent_id=fake.api_agent_id)
    assert channel.recall(thread, reply=REPLY) is None
    assert channel.recall(thread, handoff=HANDOFF) is None


def test_the_same_text_by_the_customer_or_another_agent_is_not_ours(
    desk: Desk, opened: list[FreshdeskChannel]
) -> None:
    fake, _ = desk
    ticket, thread = _thread(fake)
    fake.customer_replies(ticket, text_to_html(REPLY))
    fake.agent_writes(ticket, text_to_html(REPLY))  # a human colleague
    fake.agent_writes(ticket, handoff_html(HANDOFF), private=True)
    channel = _channel(desk, opened)
    assert channel.recall(thread, reply=REPLY) is None
    assert channel.recall(thread, handoff=HANDOFF) is None


def test_without_agent_user_id_a_customers_text_is_still_not_ours(
    desk: Desk, opened: list[FreshdeskChannel]
) -> None:
    fake, _ = desk
    ticket, thread = _thread(fake)
    fake.customer_replies(ticket, text_to_html(REPLY))
    assert _channel(desk, opened, agent=False).recall(thread, reply=REPLY) is None
