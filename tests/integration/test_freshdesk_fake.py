"""The Freshdesk channel against the loopback Freshdesk fake: what lands in the helpdesk, faults, polling.

Every test here talks HTTP to ``FakeFreshdesk`` on 127.0.0.1: replies and notes land on the ticket, a
handoff leaves its note, group and tag, rate limits are waited out (the sleep is recorded, never slept),
refusals carry Freshdesk's words, a webhook sent by the fake comes through the shared-secret check, and
polling reads each ticket version once, resumes from a stored cursor and gets past the 300-page cap.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from ticketflow.channels.freshdesk.channel import FreshdeskChannel
from ticketflow.channels.freshdesk.poll import MAX_PAGES, PollCursor
from ticketflow.channels.freshdesk.settings_model import FreshdeskSecrets, FreshdeskSettings
from ticketflow.channels.freshdesk.webhook import BODY_TEMPLATE
from ticketflow.domain.message import CustomerRef
from ticketflow.domain.outcome import Handoff
from ticketflow.errors import ChannelUnavailable, DeliveryRefused, SignatureError
from ticketflow.ports.channel import Assignee, Author, ChannelRequest, Thread
from ticketflow.testing.fake_freshdesk import START, FakeFreshdesk
from ticketflow.testing.fake_helpdesk import Failure
from ticketflow.testing.server import LoopbackServer, serve

SECRET = "fd-hook-secret"
ADA = CustomerRef(email="ada@example.com")
Build = Callable[..., FreshdeskChannel]


@pytest.fixture
def fake() -> FakeFreshdesk:
    return FakeFreshdesk()


@pytest.fixture
def server(fake: FakeFreshdesk) -> Iterator[LoopbackServer]:
    with serve(fake.app) as running:
        yield running


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def build(fake: FakeFreshdesk, server: LoopbackServer, slept: list[float]) -> Iterator[Build]:
    """A channel on the fake: ``build(**settings)``; ``api_key=`` overrides the key it authenticates with."""
    made: list[FreshdeskChannel] = []

    def make(api_key: str | None = None, **overrides: Any) -> FreshdeskChannel:
        settings = FreshdeskSettings(base_url=server.url, agent_user_id=fake.api_agent_id, **overrides)
        channel = FreshdeskChannel(
            settings, FreshdeskSecrets(api_key or fake.api_key, SECRET), sleep=slept.append
        )
        made.append(channel)
        return channel

    yield make
    for channel in made:
        channel.close()


def _thread(ticket_id: int) -> Thread:
    return Thread(customer=ADA, conversation_ref=str(ticket_id))


# outbound


def test_a_reply_lands_as_html_and_marks_the_ticket_answered(fake: FakeFreshdesk, build: Build) -> None:
    ticket = fake.create_ticket(tags=["vip"])
    receipt = build().reply(_thread(ticket.id), "Hi Ada,\n\nIt ships <today>.", idempotency_key="r-1")
    [reply] = ticket.replies
    assert receipt.message_id == str(reply.id)
    assert reply.body == "<p>Hi Ada,</p><p>It ships &lt;today&gt;.</p>"
    assert reply.user_id == fake.api_agent_id and not reply.private
    assert ticket.status == 3, "pending: waiting on the customer"
    assert ticket.tags == ["vip", "ticketflow-answered"]


def test_the_status_after_an_answer_is_configurable(fake: FakeFreshdesk, build: Build) -> None:
    ticket = fake.create_ticket()
    build(status_after_answer=4, answered_tag=None).reply(_thread(ticket.id), "Done.", idempotency_key="r-1")
    assert (ticket.status, ticket.tags) == (4, [])


def test_a_note_lands_private(fake: FakeFreshdesk, build: Build) -> None:
    ticket = fake.create_ticket()
    receipt = build().note(_thread(ticket.id), "Asked twice already.", idempotency_key="n-1")
    [note] = ticket.notes
    assert (receipt.message_id, note.private, note.body) == (
        str(note.id),
        True,
        "<p>Asked twice already.</p>",
    )
    assert ticket.replies == [] and ticket.status == 2, "a note tells the customer nothing"


def test_a_handoff_leaves_the_package_the_group_and_the_tag(fake: FakeFreshdesk, build: Build) -> None:
    billing = fake.add_group("Billing")
    ticket = fake.create_ticket(tags=["vip"])
    channel = build(groups={"billing": billing}, escalation_groups={"refund": "billing"})
    handoff = Handoff(
        summary="Ada wants a refund for NW-1.",
        reason="refund",
        tried=("routing: trigger 'refund'",),
        context_excerpt="Order NW-1, delivered.",
        suggested_reply="Hi Ada, a colleague will handle your refund.",
    )
    receipt = channel.hand_off(_thread(ticket.id), handoff, idempotency_key="h-1")
    [note] = ticket.notes
    assert receipt.message_id == str(note.id)
    for part in (
        "Ada wants a refund",
        "refund",
        "trigger &#x27;refund&#x27;",
        "Order NW-1",
        "a colleague will",
    ):
        assert part in note.body
    assert ticket.group_id == billing
    assert ticket.tags == ["vip", "ticketflow-escalated-refund"]
    assert ticket.replies == []


def test_a_handoff_reason_maps_by_its_prefix_or_to_the_default_group(
    fake: FakeFreshdesk, build: Build
) -> None:
    review, triage = fake.add_group("Review"), fake.add_group("Triage")
    channel = build(escalation_groups={"validation": review}, default_escalation_group=triage)
    checked, other = fake.create_ticket(), fake.create_ticket()
    channel.hand_off(_thread(checked.id), Handoff("s", "validation:grounding,tone"), idempotency_key="h-1")
    channel.hand_off(_thread(other.id), Handoff("s", "legal threat"), idempotency_key="h-2")
    assert (checked.group_id, checked.tags) == (review, ["ticketflow-escalated-validation-grounding-tone"])
    assert (other.group_id, other.tags) == (triage, ["ticketflow-escalated-legal-threat"])


@pytest.mark.parametrize("tags_on_put", ["replace", "append"])
def test_tags_are_added_whether_a_put_replaces_or_appends(
    fake: FakeFreshdesk, build: Build, tags_on_put: str
) -> None:
    fake.tags_on_put = tags_on_put  # type: ignore[assignment]
    ticket = fake.create_ticket(tags=["vip", "Refund"])
    build().tag(_thread(ticket.id), ("ticketflow", "refund"), idempotency_key="t-1")
    assert ticket.tags == ["vip", "Refund", "ticketflow"]


def test_the_fakes_two_tag_readings_really_differ(fake: FakeFreshdesk, server: LoopbackServer) -> None:
    ticket = fake.create_ticket(tags=["vip"])
    with httpx.Client(base_url=server.url, auth=(fake.api_key, "X")) as client:
        client.put(f"/api/v2/tickets/{ticket.id}", json={"tags": ["new"]}).raise_for_status()
        assert ticket.tags == ["new"]
        fake.tags_on_put = "append"
        client.put(f"/api/v2/tickets/{ticket.id}", json={"tags": ["more"]}).raise_for_status()
        assert ticket.tags == ["new", "more"]


def test_assignment_to_an_agent_or_a_team_by_id_or_name(fake: FakeFreshdesk, build: Build) -> None:
    grace, billing = fake.add_agent("Grace", "grace@support.example.com"), fake.add_group("Billing")
    ticket = fake.create_ticket()
    channel = build(agents={"grace": grace}, groups={"billing": billing})
    channel.assign(_thread(ticket.id), Assignee("grace"), idempotency_key="a-1")
    channel.assign(_thread(ticket.id), Assignee(str(billing), "team"), idempotency_key="a-2")
    assert (ticket.responder_id, ticket.group_id) == (grace, billing)
    with pytest.raises(DeliveryRefused, match=r"channels\.freshdesk\.groups"):
        channel.assign(_thread(ticket.id), Assignee("nobody", "team"), idempotency_key="a-3")


def test_a_repeated_key_posts_nothing_twice(fake: FakeFreshdesk, build: Build) -> None:
    ticket = fake.create_ticket()
    channel = build()
    first = channel.reply(_thread(ticket.id), "Hi", idempotency_key="same")
    assert channel.reply(_thread(ticket.id), "Hi", idempotency_key="same") == first
    assert len(ticket.replies) == 1


def test_a_thread_that_names_no_ticket_is_refused_before_any_call(fake: FakeFreshdesk, build: Build) -> None:
    with pytest.raises(DeliveryRefused, match="not a Freshdesk ticket id"):
        build().reply(Thread(customer=ADA, conversation_ref="thread-1"), "Hi", idempotency_key="r-1")
    assert fake.requests == []


# faults


def test_a_429_waits_for_retry_after_then_lands(
    fake: FakeFreshdesk, build: Build, slept: list[float]
) -> None:
    ticket = fake.create_ticket()
    fake.rate_limit(retry_after=7, times=1, path="/reply")
    build().reply(_thread(ticket.id), "Hi", idempotency_key="r-1")
    assert slept == [7.0]
    assert len(ticket.replies) == 1
    assert len(fake.calls("POST", "/reply")) == 2


def test_server_errors_past_the_retries_are_unavailable(fake: FakeFreshdesk, build: Build) -> None:
    ticket = fake.create_ticket()
    fake.fail(Failure(503, "down", times=10, path="/notes"))
    with pytest.raises(ChannelUnavailable):
        build(max_retries=2).note(_thread(ticket.id), "x", idempotency_key="n-1")
    assert ticket.notes == []


def test_a_validation_error_is_refused_with_freshdesks_words(fake: FakeFreshdesk, build: Build) -> None:
    ticket = fake.create_ticket()
    with pytest.raises(DeliveryRefused) as refused:
        build().assign(_thread(ticket.id), Assignee("777", "team"), idempotency_key="a-1")
    assert "Validation failed; group_id: There is no group matching the given group_id" in str(refused.value)
    assert len(fake.calls("PUT")) == 1, "a permanent refusal is not retried"


def test_a_wrong_api_key_is_refused_with_freshdesks_words(fake: FakeFreshdesk, build: Build) -> None:
    ticket = fake.create_ticket()
    with pytest.raises(DeliveryRefused, match="401: You have to be logged in") as refused:
        build(api_key="wrong-key").reply(_thread(ticket.id), "Hi", idempotency_key="r-1")
    assert "wrong-key" not in str(refused.value)
    assert ticket.replies == []


# inbound: a webhook from the fake, through a receiver that verifies then parses as the route will


@pytest.fixture
def receiver(build: Build) -> Iterator[tuple[str, list[Any]]]:
    channel = build()
    got: list[Any] = []
    app = FastAPI()

    @app.post("/webhooks/freshdesk")
    async def hook(request: Request) -> Response:
        raw = ChannelRequest(await request.body(), dict(request.headers), dict(request.query_params))
        try:
            channel.verify(raw)
        except SignatureError as exc:
            return JSONResponse({"detail": str(exc)}, 401)
        got.append(channel.parse(raw))
        return JSONResponse({"ok": True})

    with serve(app) as running:
        yield f"{running.url}/webhooks/freshdesk", got


def test_a_webhook_for_a_new_ticket_is_its_description(
    fake: FakeFreshdesk, receiver: tuple[str, list[Any]]
) -> None:
    url, got = receiver
    ticket = fake.create_ticket(description="<div>Where is my <b>parcel</b>?</div>")
    assert fake.send_webhook(url, fake.render(BODY_TEMPLATE, ticket.id), token=SECRET).status_code == 200
    [parsed] = got
    [message] = parsed.messages
    assert (message.external_id, message.text) == (f"fd:{ticket.id}:desc", "Where is my parcel?")
    assert (message.channel, message.conversation_ref, message.customer) == ("freshdesk", str(ticket.id), ADA)


def test_a_webhook_after_our_reply_carries_only_the_customers_new_message(
    fake: FakeFreshdesk, build: Build, receiver: tuple[str, list[Any]]
) -> None:
    url, got = receiver
    ticket = fake.create_ticket()
    build().reply(_thread(ticket.id), "It ships today.", idempotency_key="r-1")
    fake.agent_writes(ticket.id, "internal: VIP", private=True)
    new = fake.customer_replies(ticket.id, "<div>Thanks! And the invoice?</div>")
    fake.send_webhook(
        url, fake.render(BODY_TEMPLATE, ticket.id), token=SECRET, in_url=True
    ).raise_for_status()
    [parsed] = got
    assert [(m.external_id, m.text) for m in parsed.messages] == [
        (f"fd:{ticket.id}:cv:{new.id}", "Thanks! And the invoice?")
    ]
    assert [i.author for i in parsed.ignored] == [Author.US, Author.AGENT]


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_webhook_without_the_secret_is_refused_before_any_api_call(
    fake: FakeFreshdesk, receiver: tuple[str, list[Any]], token: str | None
) -> None:
    url, got = receiver
    ticket = fake.create_ticket()
    assert fake.send_webhook(url, fake.render(BODY_TEMPLATE, ticket.id), token=token).status_code == 401
    assert got == [] and fake.requests == []


@pytest.mark.parametrize(
    ("incoming_means", "rule"), [("customer", "incoming"), ("customer", "requester"), ("email", "requester")]
)
def test_the_customers_portal_and_email_replies_are_read_under_each_reading(
    fake: FakeFreshdesk, build: Build, incoming_means: str, rule: str
) -> None:
    fake.incoming_means = incoming_means  # type: ignore[assignment]
    channel = build(customer_rule=rule)
    ticket = fake.create_ticket()
    channel.reply(_thread(ticket.id), "It ships today.", idempotency_key="r-1")
    portal = fake.customer_replies(ticket.id, "<p>from the portal</p>", via="portal")
    mail = fake.customer_replies(ticket.id, "<p>by email</p>", via="email")
    parsed = channel.parse(ChannelRequest.of(fake.render(BODY_TEMPLATE, ticket.id)))
    assert [m.external_id for m in parsed.messages] == [
        f"fd:{ticket.id}:cv:{portal.id}",
        f"fd:{ticket.id}:cv:{mail.id}",
    ]


def test_under_the_email_reading_the_requester_rule_ignores_a_ccd_stranger(
    fake: FakeFreshdesk, build: Build
) -> None:
    fake.incoming_means = "email"
    ticket = fake.create_ticket()
    channel = build(customer_rule="requester")
    channel.reply(_thread(ticket.id), "It ships today.", idempotency_key="r-1")
    cc = fake.stranger_writes(ticket.id, "boss@example.com", "<p>Me too</p>")
    parsed = channel.parse(ChannelRequest.of(fake.render(BODY_TEMPLATE, ticket.id)))
    assert parsed.messages == ()
    assert (parsed.ignored[-1].external_id, parsed.ignored[-1].author) == (
        f"fd:{ticket.id}:cv:{cc.id}",
        Author.SYSTEM,
    )


# polling


def _start() -> PollCursor:
    return PollCursor(START)


def test_polling_finds_a_ticket_created_meanwhile_exactly_once(fake: FakeFreshdesk, build: Build) -> None:
    channel = build()
    first = fake.create_ticket("ada@example.com", description="<p>one</p>")
    one = channel.poll(_start())
    assert [m.external_id for m in one.messages] == [f"fd:{first.id}:desc"]
    second = fake.create_ticket("bob@example.com", "Bob", description="<p>two</p>")
    two = channel.poll(one.cursor)
    assert [(m.external_id, m.customer.email) for m in two.messages] == [
        (f"fd:{second.id}:desc", "bob@example.com")
    ]
    assert channel.poll(two.cursor).messages == ()


def test_tickets_updated_in_the_same_second_are_each_read_once(fake: FakeFreshdesk, build: Build) -> None:
    fake.tick = fake.tick * 0  # every change in one second: the boundary repeats on every query
    channel = build()
    a, b = fake.create_ticket(), fake.create_ticket()
    one = channel.poll(_start())
    c = fake.create_ticket()
    two = channel.poll(one.cursor)
    assert {m.conversation_ref for m in one.messages} == {str(a.id), str(b.id)}
    assert [m.conversation_ref for m in two.messages] == [str(c.id)]


def test_polling_resumes_from_a_stored_cursor_in_a_new_process(fake: FakeFreshdesk, build: Build) -> None:
    ticket = fake.create_ticket()
    stored = json.dumps(build().poll(_start()).cursor.dump())
    build().reply(_thread(ticket.id), "It ships today.", idempotency_key="r-1")
    new = fake.customer_replies(ticket.id, "<p>Thanks, and the invoice?</p>")
    resumed = build().poll(PollCursor.load(json.loads(stored)))
    assert [m.external_id for m in resumed.messages] == [f"fd:{ticket.id}:cv:{new.id}"]


def test_a_ticket_whose_news_is_our_own_reply_yields_nothing(fake: FakeFreshdesk, build: Build) -> None:
    channel = build()
    ticket = fake.create_ticket()
    cursor = channel.poll(_start()).cursor
    channel.reply(_thread(ticket.id), "Hi", idempotency_key="r-1")
    again = channel.poll(cursor)
    assert again.messages == () and again.tickets_read == 1


def test_the_fake_refuses_page_301_with_the_documented_body(
    fake: FakeFreshdesk, server: LoopbackServer
) -> None:
    with httpx.Client(base_url=server.url, auth=(fake.api_key, "X")) as client:
        answer = client.get("/api/v2/tickets", params={"updated_since": "2026-01-01T00:00:00Z", "page": 301})
    assert answer.status_code == 400
    cap = "You cannot access tickets beyond the 300th page. Please provide a smaller page number."
    assert answer.json() == {
        "description": "Validation failed",
        "errors": [{"field": "page", "message": cap, "code": "invalid_value"}],
    }


def test_polling_gets_past_the_300_page_cap(fake: FakeFreshdesk, build: Build) -> None:
    tickets = [fake.create_ticket(description=f"<p>ticket {n}</p>") for n in range(MAX_PAGES + 2)]
    result = build(poll_page_size=1).poll(_start())  # one ticket a page: page 300 is full, 2 more after it
    assert result.complete
    assert sorted(int(m.conversation_ref or 0) for m in result.messages) == [t.id for t in tickets]
    listed = [r for r in fake.requests if r.method == "GET" and r.path == "/api/v2/tickets"]
    # 300 full pages; then a window from the last row's second: its row again (seen), two new, an empty page
    assert len(listed) == MAX_PAGES + 4
    assert result.cursor.updated_since == tickets[-1].updated_at


def test_a_pass_stopped_at_its_window_limit_resumes_where_it_stopped(
    fake: FakeFreshdesk, build: Build
) -> None:
    tickets = [fake.create_ticket(description=f"<p>ticket {n}</p>") for n in range(MAX_PAGES + 2)]
    first = build(poll_page_size=1, poll_max_windows=1).poll(_start())
    assert not first.complete and len(first.messages) == MAX_PAGES
    rest = build(poll_page_size=1).poll(PollCursor.load(first.cursor.dump()))
    found = [m.conversation_ref for m in first.messages + rest.messages]
    assert sorted(int(ref or 0) for ref in found) == [t.id for t in tickets], "each ticket exactly once"
