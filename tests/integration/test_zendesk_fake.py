"""The Zendesk channel against FakeZendesk on loopback servers: what lands on the ticket, retries after 429,
refusals in Zendesk's words, signed webhooks of both kinds to a receiver, and polling across passes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channel_contract import HANDOFF
from ticketflow.channels.zendesk.channel import ZendeskChannel
from ticketflow.channels.zendesk.poll import PollState, poll_once
from ticketflow.channels.zendesk.settings_model import ZendeskSettings
from ticketflow.domain.message import CustomerRef
from ticketflow.errors import ChannelError, DeliveryRefused
from ticketflow.ports.channel import Assignee, Author, ChannelRequest, Parsed, Thread
from ticketflow.testing.fake_helpdesk import Failure
from ticketflow.testing.fake_zendesk import FakeZendesk
from ticketflow.testing.server import LoopbackServer, serve


@dataclass
class Clock:
    now: datetime = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class World:
    fake: FakeZendesk
    server: LoopbackServer
    clock: Clock
    slept: list[float] = field(default_factory=list)
    opened: list[ZendeskChannel] = field(default_factory=list)

    def channel(self, **overrides: Any) -> ZendeskChannel:
        options: dict[str, Any] = {"base_url": self.server.url, "email": self.fake.email}
        settings = ZendeskSettings(**{**options, **overrides})
        env = {
            settings.api_token_env: self.fake.api_token,
            settings.webhook_secret_env: self.fake.signing_secret,
        }
        channel = ZendeskChannel.from_settings(settings, environ=env, sleep=self.sleep, clock=self.clock)
        self.opened.append(channel)
        return channel

    def sleep(self, seconds: float) -> None:
        """Recorded, not slept: the clock moves on instead, as it would have."""
        self.slept.append(seconds)
        self.clock.advance(seconds)

    def ticket(self, text: str = "Where is my parcel?") -> tuple[str, Thread]:
        ada = self.fake.add_user("Ada", "ada@example.com")
        ticket = self.fake.create_ticket(ada, "Delivery", text)
        return ticket, Thread(CustomerRef(email="ada@example.com"), ticket)


@pytest.fixture
def world() -> Iterator[World]:
    clock = Clock()
    fake = FakeZendesk(clock=clock)
    with serve(fake.app) as server:
        world = World(fake, server, clock)
        yield world
        for channel in world.opened:
            channel.close()


# outbound


def test_a_reply_is_a_public_comment_with_the_status_and_tag_after_an_answer(world: World) -> None:
    ticket, thread = world.ticket()
    receipt = world.channel().reply(thread, "It ships today.", idempotency_key="k1")
    state = world.fake.tickets[ticket]
    last = state.comments[-1]
    assert (last.body, last.public, last.author_id) == ("It ships today.", True, world.fake.agent)
    assert state.status == "pending" and "ticketflow-answered" in state.tags
    assert receipt.message_id == f"zd:{ticket}:c:{last.id}"


def test_a_thread_longer_than_a_page_is_read_to_its_end(world: World) -> None:
    """A ticket's comments come 100 to a page: recalling a reply after a crash must find it on page 2."""
    ticket, thread = world.ticket()
    ada = world.fake.tickets[ticket].requester_id
    for n in range(120):
        world.fake.add_comment(ticket, ada, f"Still waiting ({n})")
    channel = world.channel(author_id=world.fake.agent)
    channel.reply(thread, "It ships today.", idempotency_key="k1")
    listed = channel.client.comments(ticket)
    assert [c["id"] for c in listed] == [int(c.id) for c in world.fake.tickets[ticket].comments]
    assert len(world.fake.calls("GET", f"/api/v2/tickets/{ticket}/comments.json")) == 2
    recalled = channel.recall(thread, reply="It ships today.")
    assert recalled is not None and recalled.message_id == f"zd:{ticket}:c:{listed[-1]['id']}"


def test_a_note_is_internal(world: World) -> None:
    ticket, thread = world.ticket()
    world.channel().note(thread, "Customer asked twice.", idempotency_key="k1")
    last = world.fake.tickets[ticket].comments[-1]
    assert (last.body, last.public) == ("Customer asked twice.", False)
    assert world.fake.tickets[ticket].status == "new", "a note changes no status"


def test_a_handoff_leaves_the_package_the_mapped_group_and_the_tag(world: World) -> None:
    ticket, thread = world.ticket()
    channel = world.channel(escalation_groups={"refund request": "360001"}, status_after_handoff="open")
    world.fake.tickets[ticket].tags.append("vip")
    channel.hand_off(thread, HANDOFF, idempotency_key="k1")
    state = world.fake.tickets[ticket]
    note = state.comments[-1]
    assert not note.public
    for part in (HANDOFF.summary, HANDOFF.reason, HANDOFF.tried[0], HANDOFF.context_excerpt):
        assert part in note.body
    assert HANDOFF.suggested_reply and HANDOFF.suggested_reply in note.body
    assert (state.group_id, state.status) == ("360001", "open")
    assert state.tags == ["vip", "ticketflow-escalated-refund-request"], "tags are added, never replaced"


def test_tag_adds_and_assign_sets_the_agent_or_the_group(world: World) -> None:
    ticket, thread = world.ticket()
    channel = world.channel()
    channel.tag(thread, ("refund", "vip"), idempotency_key="t1")
    channel.tag(thread, ("late",), idempotency_key="t2")
    channel.assign(thread, Assignee("8447388090495"), idempotency_key="a1")
    channel.assign(thread, Assignee("360002", "team"), idempotency_key="a2")
    state = world.fake.tickets[ticket]
    assert state.tags == ["refund", "vip", "late"]
    assert (state.assignee_id, state.group_id) == ("8447388090495", "360002")


def test_a_429_is_retried_after_retry_after_without_sleeping(world: World) -> None:
    ticket, thread = world.ticket()
    world.fake.fail(
        Failure(
            429,
            "Number of allowed API requests per minute exceeded",
            {"Retry-After": "7"},
            path=".json",
            json=False,
        )
    )
    world.channel(answered_tag=None).reply(thread, "It ships today.", idempotency_key="k1")
    assert world.slept == [7.0]
    assert [c.body for c in world.fake.tickets[ticket].comments].count("It ships today.") == 1
    assert len(world.fake.calls("PUT", f"/tickets/{ticket}.json")) == 2


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("closed", "RecordInvalid; Record validation errors; {'status': [{'description': 'Status: closed"),
        ("missing", "404: RecordNotFound; Not found"),
        ("bad token", "401: Couldn't authenticate you"),
    ],
)
def test_a_permanent_error_is_refused_with_zendesks_words(world: World, setup: str, words: str) -> None:
    ticket, thread = world.ticket()
    channel = world.channel()
    if setup == "closed":
        world.fake.tickets[ticket].status = "closed"
    elif setup == "missing":
        thread = Thread(thread.customer, "999999")
    else:
        world.fake.api_token = "rotated"
    with pytest.raises(DeliveryRefused) as refused:
        channel.reply(thread, "It ships today.", idempotency_key="k1")
    assert words in str(refused.value)
    assert world.slept == [], "a refusal is not retried"
    assert "zd-api-token" not in str(refused.value)


def test_a_tag_that_fails_after_the_reply_does_not_make_the_reply_fail(world: World) -> None:
    ticket, thread = world.ticket()
    world.fake.fail(Failure(422, "RecordInvalid", path="/tags.json"))
    receipt = world.channel().reply(thread, "It ships today.", idempotency_key="k1")
    assert receipt.message_id.startswith(f"zd:{ticket}:c:")
    assert world.fake.tickets[ticket].tags == []


# inbound webhooks to a receiver


@pytest.mark.parametrize("kind", ["event", "trigger"])
@pytest.mark.parametrize("order", ["timestamp_body", "body_timestamp"])
def test_a_delivered_webhook_is_verified_and_parsed_by_the_receiver(
    world: World, kind: str, order: str
) -> None:
    channel = world.channel(signature_order=order, author_id=world.fake.agent)
    world.fake.signature_order = order  # type: ignore[assignment]
    got: list[Parsed] = []
    receiver = FastAPI()

    @receiver.post("/webhooks/zendesk")
    async def hook(request: Request) -> JSONResponse:
        raw = ChannelRequest.of(await request.body(), request.headers.items())
        try:
            channel.verify(raw)
        except ChannelError as exc:
            return JSONResponse({"error": str(exc)}, 401)
        got.append(channel.parse(raw))
        return JSONResponse({"ok": True})

    ticket, _ = world.ticket("My parcel is late.")
    with serve(receiver) as inbox:
        answered = world.fake.deliver_webhook(f"{inbox.url}/webhooks/zendesk", ticket, kind=kind)  # type: ignore[arg-type]
        assert answered.status_code == 200, answered.text
        world.fake.signature_order = "body_timestamp" if order == "timestamp_body" else "timestamp_body"
        wrong = world.fake.deliver_webhook(f"{inbox.url}/webhooks/zendesk", ticket, kind=kind)  # type: ignore[arg-type]
        assert wrong.status_code == 401
    [parsed] = got
    [message] = parsed.messages
    assert (message.conversation_ref, message.text, message.customer.email) == (
        ticket,
        "My parcel is late.",
        "ada@example.com",
    )


# polling


def test_polling_finds_a_new_ticket_exactly_once_and_resumes_from_the_stored_cursor(world: World) -> None:
    channel = world.channel(author_id=world.fake.agent)
    world.ticket("old news")  # before the lookback window
    world.clock.advance(7200)
    first = poll_once(channel, None)
    assert first.messages == () and first.end_of_stream
    world.clock.advance(120)
    ticket, thread = world.ticket("Where is my parcel?")
    channel.reply(thread, "It ships today.", idempotency_key="k1")  # our answer changes the ticket too
    world.clock.advance(120)
    stored = PollState.from_json(poll_once(channel, first.state).state.to_json())
    again = poll_once(channel, PollState.from_json(first.state.to_json()))
    [message] = again.messages
    assert (message.conversation_ref, message.text) == (ticket, "Where is my parcel?")
    assert [i.author for i in again.ignored] == [Author.US]
    world.clock.advance(120)
    later = poll_once(channel, stored)
    assert later.messages == () and later.ignored == (), "a stored cursor resumes after what it saw"
    assert world.fake.calls("GET", "/incremental/tickets/cursor.json")[-1].path.endswith("cursor.json")


def test_polling_takes_a_comment_left_out_as_too_recent_on_the_next_pass(world: World) -> None:
    world.fake.exclude_last_minute = True
    channel = world.channel()
    ticket, _ = world.ticket("first")
    world.clock.advance(90)
    world.fake.add_comment(ticket, world.fake.tickets[ticket].requester_id, "second")
    world.clock.advance(30)  # the ticket changed 30 s ago: the export leaves it out for now
    first = poll_once(channel, None)
    assert first.messages == ()
    world.clock.advance(60)
    second = poll_once(channel, first.state)
    assert [m.text for m in second.messages] == ["first", "second"]
    world.clock.advance(60)
    assert poll_once(channel, second.state).messages == ()


def test_polling_pages_until_end_of_stream_within_its_page_budget(world: World) -> None:
    world.fake.export_page_size = 2
    channel = world.channel(poll_max_pages=2)
    for n in range(5):
        world.ticket(f"question {n}")
        world.clock.advance(1)
    first = poll_once(channel, None)
    assert len(first.messages) == 4 and not first.end_of_stream
    rest = poll_once(channel, first.state)
    assert [m.text for m in rest.messages] == ["question 4"] and rest.end_of_stream
    assert len(world.fake.calls("GET", "/incremental/")) == 3


def test_the_exports_own_rate_limit_is_waited_out_with_retry_after(world: World) -> None:
    world.fake.export_page_size, world.fake.export_per_minute = 1, 1
    channel = world.channel()
    world.ticket("question 0")
    world.ticket("question 1")
    world.clock.advance(1)
    result = poll_once(channel, None)
    assert [m.text for m in result.messages] == ["question 0", "question 1"]
    assert world.slept == [60.0], "the second page waited the minute Zendesk asked for"
