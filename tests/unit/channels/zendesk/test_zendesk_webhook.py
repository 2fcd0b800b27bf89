"""Zendesk webhooks: the signature in both orders (with the FACTS test vector), the replay window, and what
each payload kind becomes: only an end-user's public comment is answered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from zendesk_desk import Desk

from ticketflow.channels.zendesk.webhook import TRIGGER_BODY_TEMPLATE, signature, verify
from ticketflow.domain.message import CustomerRef
from ticketflow.errors import InputError, SignatureError, UnreadableInput
from ticketflow.ports.channel import Author, ChannelRequest, Thread

# FACTS-channels §1.2, the legacy page's worked example (it matches body + timestamp)
VECTOR_SECRET = "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA="
VECTOR_BODY = b'{"say": "hello"}'
VECTOR_TS = "2021-07-25T10:00:00Z"
VECTOR_SIG = "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw="
VECTOR_NOW = datetime(2021, 7, 25, 10, 1, tzinfo=UTC)
WINDOW = timedelta(seconds=300)


def _verify(
    order: str, signature_header: str | None = VECTOR_SIG, ts: str | None = VECTOR_TS, **kw: object
) -> None:
    options: dict[str, object] = {
        "secret": VECTOR_SECRET,
        "order": order,
        "window": WINDOW,
        "now": VECTOR_NOW,
    }
    options.update(kw)
    verify(VECTOR_BODY, signature_header, ts, **options)  # type: ignore[arg-type]


def test_the_facts_vector_verifies_as_body_then_timestamp() -> None:
    assert signature(VECTOR_SECRET, VECTOR_TS, VECTOR_BODY, "body_timestamp") == VECTOR_SIG
    _verify("body_timestamp")
    _verify("either")


def test_the_facts_vector_is_refused_when_the_order_is_timestamp_then_body() -> None:
    with pytest.raises(SignatureError):
        _verify("timestamp_body")


def test_timestamp_then_body_is_what_the_current_docs_sign() -> None:
    expected = signature(VECTOR_SECRET, VECTOR_TS, VECTOR_BODY, "timestamp_body")
    _verify("timestamp_body", expected)
    _verify("either", expected)
    with pytest.raises(SignatureError):
        _verify("body_timestamp", expected)


@pytest.mark.parametrize("skew", [301, -301])
def test_a_timestamp_outside_the_replay_window_is_refused(skew: int) -> None:
    with pytest.raises(SignatureError, match="away from now"):
        _verify("body_timestamp", now=datetime(2021, 7, 25, 10, 0, tzinfo=UTC) + timedelta(seconds=skew))


@pytest.mark.parametrize(
    ("sig", "ts", "secret", "problem"),
    [
        (None, VECTOR_TS, VECTOR_SECRET, "no x-zendesk-webhook-signature"),
        (VECTOR_SIG, None, VECTOR_SECRET, "no x-zendesk-webhook-signature"),
        (VECTOR_SIG, "yesterday", VECTOR_SECRET, "not ISO-8601"),
        (VECTOR_SIG, "2021-07-25T10:00:00", VECTOR_SECRET, "no time zone"),
        (VECTOR_SIG, VECTOR_TS, None, "no Zendesk webhook signing secret"),
        ("tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMx=", VECTOR_TS, VECTOR_SECRET, "does not match"),
    ],
)
def test_missing_or_wrong_signatures_are_refused_with_a_reason(
    sig: str | None, ts: str | None, secret: str | None, problem: str
) -> None:
    with pytest.raises(SignatureError, match=problem):
        _verify("either", sig, ts, secret=secret)


def test_the_channel_verifies_the_fakes_signature_in_the_configured_order(desk: Desk) -> None:
    ada = desk.fake.add_user("Ada", "ada@example.com")
    ticket = desk.fake.create_ticket(ada, "Delivery", "Where is my parcel?")
    body = desk.fake.webhook_body(ticket)
    desk.channel().verify(ChannelRequest.of(body, desk.fake.sign(body)))
    desk.fake.signature_order = "body_timestamp"
    legacy = ChannelRequest.of(body, desk.fake.sign(body))
    with pytest.raises(SignatureError):
        desk.channel().verify(legacy)
    desk.channel(signature_order="body_timestamp").verify(legacy)
    desk.channel(signature_order="either").verify(legacy)


# payloads


def _parse(desk: Desk, body: bytes, **settings: object) -> tuple[list[object], list[object]]:
    parsed = desk.channel(**settings).parse(ChannelRequest.of(body, desk.fake.sign(body)))
    return list(parsed.messages), list(parsed.ignored)


def test_an_event_webhook_gets_the_email_from_the_users_api(desk: Desk) -> None:
    ada = desk.fake.add_user("Ada Lovelace", "ada@example.com")
    ticket = desk.fake.create_ticket(ada, "Delivery", "Where is my parcel?")
    [message], [] = _parse(desk, desk.fake.webhook_body(ticket))
    assert message.customer.email == "ada@example.com"  # type: ignore[attr-defined]
    assert desk.fake.calls("GET", f"/api/v2/users/{ada}.json")


def test_html_bodies_become_plain_text(desk: Desk) -> None:
    ada = desk.fake.add_user("Ada", "ada@example.com")
    ticket = desk.fake.create_ticket(ada, "Delivery", "hi")
    comment = desk.fake.add_comment(
        ticket, ada, "<p>Where is <b>NW-100234</b>?</p><p>Thanks &amp; bye</p>", html=True
    )
    [message], [] = _parse(desk, desk.fake.webhook_body(ticket, comment))
    assert message.text == "Where is NW-100234?\nThanks & bye"  # type: ignore[attr-defined]


def test_a_ticket_created_event_answers_its_first_comment_under_the_same_id_as_comment_added(
    desk: Desk,
) -> None:
    ada = desk.fake.add_user("Ada", "ada@example.com")
    ticket = desk.fake.create_ticket(ada, "Delivery", "Where is my parcel?")
    [created], [] = _parse(desk, desk.fake.webhook_body(ticket, kind="ticket_created"))
    [added], [] = _parse(desk, desk.fake.webhook_body(ticket, kind="event"))
    assert created.external_id == added.external_id  # type: ignore[attr-defined]
    assert created.text == "Where is my parcel?"  # type: ignore[attr-defined]


def test_other_events_are_ignored_as_system_events(desk: Desk) -> None:
    body = json.dumps(
        {"type": "zen:event-type:ticket.status_changed", "id": "e-9", "detail": {"id": "5158"}, "event": {}}
    ).encode()
    [], [ignored] = _parse(desk, body)
    assert ignored.author is Author.SYSTEM and "status_changed" in ignored.reason  # type: ignore[attr-defined]


def test_an_internal_note_and_an_admins_reply_are_not_answered(desk: Desk) -> None:
    ada = desk.fake.add_user("Ada", "ada@example.com")
    boss = desk.fake.add_user("Boss", "boss@acme.example", "admin")
    ticket = desk.fake.create_ticket(ada, "Delivery", "hi")
    note = desk.fake.add_comment(ticket, boss, "check the warehouse", public=False)
    for kind in ("event", "trigger"):
        [], [ignored] = _parse(desk, desk.fake.webhook_body(ticket, note, kind=kind))  # type: ignore[arg-type]
        assert ignored.author is Author.AGENT  # type: ignore[attr-defined]


def test_our_own_comment_is_recognised_by_its_id_even_without_our_author_id(desk: Desk) -> None:
    ada = desk.fake.add_user("Ada", "ada@example.com")
    ticket = desk.fake.create_ticket(ada, "Delivery", "hi")
    channel = desk.channel(author_id=None)
    receipt = channel.reply(
        Thread(CustomerRef(email="ada@example.com"), ticket), "On its way.", idempotency_key="k"
    )
    body = desk.fake.webhook_body(ticket)
    parsed = channel.parse(ChannelRequest.of(body, desk.fake.sign(body)))
    assert parsed.messages == ()
    assert [(i.external_id, i.author) for i in parsed.ignored] == [(receipt.message_id, Author.US)]


def test_a_trigger_webhook_with_the_documented_template_is_the_customers_message(desk: Desk) -> None:
    """Escaped placeholders + webhook_body = "full": the comment is taken from the body, no lookup."""
    ada = desk.fake.add_user("Ada", "ada@example.com")
    ticket = desk.fake.create_ticket(ada, "Delivery", 'She said "where is it?"\nTwice.')
    body = desk.fake.webhook_body(ticket, kind="trigger")
    assert set(json.loads(body)) == set(json.loads(TRIGGER_BODY_TEMPLATE))
    [message], [] = _parse(desk, body, webhook_body="full")
    assert message.text == 'She said "where is it?"\nTwice.'  # type: ignore[attr-defined]
    assert message.customer.email == "ada@example.com"  # type: ignore[attr-defined]
    assert not desk.fake.calls("GET"), "the trigger body carries the email: no lookup"


def test_a_trigger_without_the_requester_email_looks_the_requester_up(desk: Desk) -> None:
    ada = desk.fake.add_user("Ada", "ada@example.com")
    ticket = desk.fake.create_ticket(ada, "Delivery", "hi")
    payload = json.loads(desk.fake.webhook_body(ticket, kind="trigger"))
    payload["requester_email"] = ""
    [message], [] = _parse(desk, json.dumps(payload).encode(), webhook_body="full")
    assert message.customer.email == "ada@example.com"  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", ["", "Light-agent-ish", "{{current_user.role}}"])
def test_a_trigger_whose_author_role_is_not_an_end_user_is_never_answered(desk: Desk, role: str) -> None:
    body = json.dumps({"ticket_id": "1", "comment_id": "2", "author_role": role, "body": "x"}).encode()
    if not role:
        with pytest.raises(InputError) as refused:
            _parse(desk, body, webhook_body="full")
        assert "body.author_role" in [e["where"] for e in refused.value.errors]
        return
    [], [ignored] = _parse(desk, body, webhook_body="full")
    assert ignored.author is Author.SYSTEM  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"ticket_id": "1", "comment_id": "2", "author_role": "end-user"}', "body.body"),
        (
            b'{"ticket_id": "{{ticket.id}}", "comment_id": "2", "author_role": "end-user", "body": "x"}',
            "body.ticket_id",
        ),
        (b'{"hello": 1}', "body"),
        (b"[1]", "body"),
        (
            b'{"type": "zen:event-type:ticket.comment_added", "id": "e", "detail": {"id": "1"}}',
            "body.event.comment",
        ),
    ],
)
def test_malformed_payloads_are_refused_with_located_errors(desk: Desk, body: bytes, where: str) -> None:
    with pytest.raises(InputError) as refused:
        _parse(desk, body, webhook_body="full")  # "ids" needs no body: the comment is read from the API
    assert where in [e["where"] for e in refused.value.errors]


def test_a_body_that_is_not_json_is_unreadable(desk: Desk) -> None:
    with pytest.raises(UnreadableInput):
        _parse(desk, b"ticket=1")


def test_the_redelivery_key_is_the_event_id_or_the_invocation_id(desk: Desk) -> None:
    ada = desk.fake.add_user("Ada", "ada@example.com")
    ticket = desk.fake.create_ticket(ada, "Delivery", "hi")
    channel = desk.channel()
    event = desk.fake.webhook_body(ticket)
    assert channel.redelivery_key(ChannelRequest.of(event, {})) == f"zd:event:{json.loads(event)['id']}"
    trigger = desk.fake.webhook_body(ticket, kind="trigger")
    headers = desk.fake.sign(trigger)
    key = channel.redelivery_key(ChannelRequest.of(trigger, headers))
    assert key == f"zd:invocation:{headers['x-zendesk-webhook-invocation-id']}"
