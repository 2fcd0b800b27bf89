"""IntercomChannel against FakeIntercom on loopback: what lands in the conversation, faults, and polling."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ticketflow.channels.intercom.channel import IntercomChannel
from ticketflow.channels.intercom.poll import PollCursor
from ticketflow.channels.intercom.settings_model import ACCESS_TOKEN_ENV, WEBHOOK_SECRET_ENV, IntercomSettings
from ticketflow.domain.message import CustomerRef
from ticketflow.domain.outcome import Handoff
from ticketflow.errors import ChannelUnavailable, DeliveryRefused, SignatureError
from ticketflow.ports.channel import Assignee, ChannelRequest, Thread
from ticketflow.testing.fake_helpdesk import Failure, deliver_webhook
from ticketflow.testing.fake_intercom import FakeIntercom
from ticketflow.testing.server import serve

ADMIN = "991267696"
START = 1_765_000_000
HANDOFF = Handoff(
    summary="Joe asks for a refund of order NW-1.",
    reason="refund request",
    tried=("routing: escalation trigger 'refund'",),
    context_excerpt="Order NW-1 <delivered> 3 days ago.",
    suggested_reply="Hi Joe, our billing team will get back to you today.",
)


class Clock:
    """UNIX seconds that tests move forward, shared by the fake and the channel."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> int:
        return self.now

    def at(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


Desk = tuple[FakeIntercom, str]
Build = Callable[..., IntercomChannel]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[Desk]:
    fake = FakeIntercom(token="tok", signing_key="whsec", admin_ids=(ADMIN,), clock=clock)
    with serve(fake.app) as server:
        yield fake, server.url


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def build(fake: Desk, clock: Clock, slept: list[float]) -> Iterator[Build]:
    built: list[IntercomChannel] = []

    def make(token: str = "tok", **settings: object) -> IntercomChannel:
        values: dict[str, object] = {"base_url": fake[1], "admin_id": ADMIN, **settings}
        channel = IntercomChannel(
            IntercomSettings.model_validate(values),
            environ={ACCESS_TOKEN_ENV: token, WEBHOOK_SECRET_ENV: "whsec"},
            clock=clock.at,
            sleep=slept.append,
        )
        built.append(channel)
        return channel

    yield make
    for channel in built:
        channel.close()


def _thread(fake: FakeIntercom, text: str = "<p>Where is my refund?</p>") -> tuple[str, Thread]:
    contact = fake.add_contact("joe@bloggs.com", "Joe")
    conversation = fake.customer_starts(contact, text)
    return conversation, Thread(customer=CustomerRef(email="joe@bloggs.com"), conversation_ref=conversation)


def test_a_reply_lands_as_our_comment_tagged_answered(fake: Desk, build: Build) -> None:
    desk, _ = fake
    conversation, thread = _thread(desk)
    receipt = build().reply(thread, "Hi Joe,\n\nit is on its way <3", idempotency_key="k1")
    [comment] = desk.parts(conversation, "comment")
    assert (
        comment["author"]["id"] == ADMIN and comment["body"] == "<p>Hi Joe,</p><p>it is on its way &lt;3</p>"
    )
    assert receipt.message_id == f"ic:{conversation}:p:{comment['id']}"
    assert desk.tag_names(conversation) == ["ticketflow-answered"]
    assert desk.conversations[conversation]["state"] == "open"  # status_after_answer = none
    [request] = desk.calls("POST", "/reply")
    assert request.headers["intercom-version"] == "2.14" and request.headers["authorization"] == "Bearer tok"


@pytest.mark.parametrize(("status", "state"), [("close", "closed"), ("snooze", "snoozed")])
def test_the_configured_status_follows_an_answer(
    fake: Desk, build: Build, clock: Clock, status: str, state: str
) -> None:
    desk, _ = fake
    conversation, thread = _thread(desk)
    build(status_after_answer=status, snooze_seconds=3600).reply(thread, "Done.", idempotency_key="k")
    assert desk.conversations[conversation]["state"] == state
    if status == "snooze":
        assert desk.conversations[conversation]["snoozed_until"] == clock.now + 3600


def test_without_an_api_version_no_version_header_is_sent(fake: Desk, build: Build) -> None:
    desk, _ = fake
    _, thread = _thread(desk)
    build(api_version="").note(thread, "internal", idempotency_key="n")
    assert "intercom-version" not in desk.calls("POST", "/reply")[0].headers


def test_a_note_lands_as_our_note_and_is_not_sent_twice(fake: Desk, build: Build) -> None:
    desk, _ = fake
    conversation, thread = _thread(desk)
    channel = build()
    first = channel.note(thread, "Customer asked twice.", idempotency_key="n1")
    again = channel.note(thread, "Customer asked twice.", idempotency_key="n1")
    [note] = desk.parts(conversation, "note")
    assert note["body"] == "<p>Customer asked twice.</p>" and first == again
    assert desk.parts(conversation, "comment") == []


def test_a_handoff_leaves_the_package_the_team_assignment_and_the_escalation_tag(
    fake: Desk, build: Build
) -> None:
    desk, _ = fake
    conversation, thread = _thread(desk)
    channel = build(escalation_teams={"refund-request": "team-billing"})
    receipt = channel.hand_off(thread, HANDOFF, idempotency_key="h1")
    [note] = desk.parts(conversation, "note")
    for piece in (
        "refund request",
        "Joe asks for a refund",
        "escalation trigger",
        "&lt;delivered&gt;",
        "billing team",
    ):
        assert piece in note["body"]
    assert receipt.message_id == f"ic:{conversation}:p:{note['id']}"
    assert desk.conversations[conversation]["team_assignee_id"] == "team-billing"
    [assignment] = desk.parts(conversation, "assignment")
    assert assignment["assigned_to"] == {"type": "team", "id": "team-billing"}
    assert desk.tag_names(conversation) == ["ticketflow-escalated-refund-request"]


def test_a_handoff_retried_after_a_failed_assignment_does_not_repeat_the_note(
    fake: Desk, build: Build
) -> None:
    desk, _ = fake
    conversation, thread = _thread(desk)
    channel = build(escalation_teams={"refund request": "team-billing"}, max_retries=0)
    desk.fail(Failure(503, "down", path="/parts"))
    with pytest.raises(ChannelUnavailable):
        channel.hand_off(thread, HANDOFF, idempotency_key="h2")
    channel.hand_off(thread, HANDOFF, idempotency_key="h2")
    assert len(desk.parts(conversation, "note")) == 1
    assert desk.conversations[conversation]["team_assignee_id"] == "team-billing"


def test_tag_and_assign_land(fake: Desk, build: Build) -> None:
    desk, _ = fake
    conversation, thread = _thread(desk)
    channel = build()
    channel.tag(thread, ("vip", "refund"), idempotency_key="t")
    channel.assign(thread, Assignee(ADMIN, "agent"), idempotency_key="a")
    assert desk.tag_names(conversation) == ["vip", "refund"]
    assert desk.conversations[conversation]["admin_assignee_id"] == ADMIN


@pytest.mark.parametrize("retry_after", [None, 2.0])
def test_a_429_is_retried_after_the_wait_intercom_names(
    fake: Desk, build: Build, slept: list[float], retry_after: float | None
) -> None:
    desk, _ = fake
    conversation, thread = _thread(desk)
    desk.rate_limit(retry_after=retry_after, reset_in=7, path="/reply")
    build().reply(thread, "Hi", idempotency_key="r")
    assert slept == [retry_after or 7.0]  # Retry-After when sent, else X-RateLimit-Reset − now
    assert len(desk.calls("POST", "/reply")) == 2 and len(desk.parts(conversation, "comment")) == 1


def test_successful_responses_carry_the_rate_limit_headers(fake: Desk, build: Build) -> None:
    desk, _ = fake
    _, thread = _thread(desk)
    build().note(thread, "x", idempotency_key="x")
    answered = httpx.get(f"{fake[1]}/contacts/none", headers={"Authorization": "Bearer tok"})
    assert answered.headers["x-ratelimit-limit"] == "167" and "x-ratelimit-reset" in answered.headers
    assert "x-ratelimit-limit" not in httpx.get(f"{fake[1]}/contacts/none").headers


def test_a_bad_token_is_refused_with_intercoms_words(fake: Desk, build: Build) -> None:
    desk, _ = fake
    _, thread = _thread(desk)
    with pytest.raises(DeliveryRefused, match="401: Access Token Invalid"):
        build(token="wrong").reply(thread, "Hi", idempotency_key="r")
    with pytest.raises(DeliveryRefused, match="404: Resource Not Found"):
        build().reply(Thread(customer=thread.customer, conversation_ref="404404"), "Hi", idempotency_key="r2")


def test_polling_finds_a_new_conversation_exactly_once_and_resumes_from_a_stored_cursor(
    fake: Desk, build: Build, clock: Clock
) -> None:
    desk, _ = fake
    channel = build(poll_overlap_s=0)
    first = channel.poll(PollCursor(since=clock.now))
    assert first.messages == ()
    clock.now += 5
    conversation, _ = _thread(desk, "<p>Hello from the poll</p>")
    second = channel.poll(PollCursor.load(first.cursor.dump()))
    [message] = second.messages
    assert message.conversation_ref == conversation and message.text == "Hello from the poll"
    # same second: the boundary conversation comes back from search (>= means or equal), not as a message
    fetched = len(desk.calls("GET", f"/conversations/{conversation}"))
    third = build(poll_overlap_s=0).poll(PollCursor.load(second.cursor.dump()))
    assert third.messages == ()
    assert len(desk.calls("GET", f"/conversations/{conversation}")) == fetched + 1  # it was returned again
    clock.now += 5
    part = desk.customer_replies(conversation, "<p>and a follow-up</p>")
    fourth = channel.poll(third.cursor)
    assert [m.external_id for m in fourth.messages] == [f"ic:{conversation}:p:{part}"]


def test_polling_pages_through_results_and_a_capped_pass_resumes_where_it_stopped(
    fake: Desk, build: Build, clock: Clock
) -> None:
    desk, _ = fake
    since = clock.now
    made = []
    for n in range(5):
        clock.now += 1
        made.append(_thread(desk, f"<p>message {n}</p>")[0])
    channel = build(poll_per_page=2, poll_max_pages=2)
    capped = channel.poll(PollCursor(since=since))
    assert len(capped.messages) == 4 and capped.cursor.starting_after
    rest = channel.poll(PollCursor.load(capped.cursor.dump()))
    assert [m.conversation_ref for m in (*capped.messages, *rest.messages)] == made
    assert rest.cursor.starting_after is None and rest.cursor.since == clock.now
    searches = desk.calls("POST", "/conversations/search")
    assert all(b'"per_page":2' in s.body.replace(b" ", b"") for s in searches)


def test_polling_skips_our_own_replies_and_agents(fake: Desk, build: Build, clock: Clock) -> None:
    desk, _ = fake
    since = clock.now
    _, thread = _thread(desk)
    channel = build()
    first = channel.poll(PollCursor(since=since))
    clock.now += 3
    channel.reply(thread, "On its way", idempotency_key="r")
    assert len(first.messages) == 1 and channel.poll(first.cursor).messages == ()


def test_a_signed_webhook_delivered_over_http_is_verified_and_parsed(fake: Desk, build: Build) -> None:
    desk, _ = fake
    conversation, _ = _thread(desk, "<p>My parcel is late</p>")
    channel = build()
    receiver = FastAPI()

    @receiver.post("/webhooks/intercom")
    async def intake(request: Request) -> JSONResponse:
        received = ChannelRequest.of(await request.body(), request.headers.items())
        try:
            channel.verify(received)
        except SignatureError as exc:
            return JSONResponse({"error": str(exc)}, 401)
        parsed = channel.parse(received)
        return JSONResponse(
            {"key": channel.dedupe_key(received), "ids": [m.external_id for m in parsed.messages]}
        )

    body, headers = desk.signed(desk.notification("conversation.user.created", conversation))
    with serve(receiver) as server:
        answered = deliver_webhook(f"{server.url}/webhooks/intercom", body, headers)
        tampered = deliver_webhook(f"{server.url}/webhooks/intercom", body.replace(b"late", b"lost"), headers)
    source = desk.conversations[conversation]["source"]["id"]
    assert answered.status_code == 200 and answered.json()["ids"] == [f"ic:{conversation}:s:{source}"]
    assert answered.json()["key"].startswith("intercom:notif_")
    assert tampered.status_code == 401
