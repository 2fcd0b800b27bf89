"""Intercom webhooks through IntercomChannel: the signature over raw bytes, then what is answered; why not."""

from __future__ import annotations

import json

import pytest
from intercom_support import (
    ADMIN,
    ENV,
    KEY,
    channel_for,
    close_channels,  # noqa: F401  (autouse)
    served,
)

from ticketflow.channels.intercom.channel import IntercomChannel
from ticketflow.channels.intercom.settings_model import WEBHOOK_SECRET_ENV
from ticketflow.domain.message import CustomerRef
from ticketflow.errors import InputError, SignatureError, UnreadableInput
from ticketflow.ports.channel import Author, ChannelRequest
from ticketflow.testing.fake_intercom import FakeIntercom

NOWHERE = "http://127.0.0.1:9"  # parsing these payloads needs no API call


def _fake() -> FakeIntercom:
    return FakeIntercom(
        signing_key=KEY,
        admin_ids=(ADMIN, "agent-7"),
        clock=iter(range(1_734_537_000, 1_734_538_000)).__next__,
    )


def _parse(channel: IntercomChannel, notification: dict[str, object], fake: FakeIntercom) -> ChannelRequest:
    body, headers = fake.signed(notification)
    request = ChannelRequest.of(body, headers)
    channel.verify(request)
    return request


@pytest.fixture
def fake() -> FakeIntercom:
    fake = _fake()
    contact = fake.add_contact("joe@bloggs.com", "Joe Bloggs")
    fake.customer_starts(contact, "<p>My parcel is late</p>", subject="Order NW-1", conversation_id="515")
    return fake


# verify


def test_the_signature_is_hmac_sha1_hex_over_the_raw_body() -> None:
    # the well-known HMAC-SHA1 vector (RFC 2104 style, key "key"), so the scheme is pinned, not self-checked
    body = b"The quick brown fox jumps over the lazy dog"
    channel = channel_for(NOWHERE, env={**ENV, WEBHOOK_SECRET_ENV: "key"})
    channel.verify(
        ChannelRequest.of(body, {"X-Hub-Signature": "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"})
    )
    with pytest.raises(SignatureError):
        channel.verify(
            ChannelRequest.of(
                body + b" ", {"X-Hub-Signature": "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"}
            )
        )


@pytest.mark.parametrize("key", ["app-client-secret", "legacy-hub-secret"])
def test_either_signing_key_reading_verifies_when_configured_and_the_other_is_refused(key: str) -> None:
    """FACTS §2.2 leaves open whether the key is client_secret or hub_secret: whichever is set works."""
    other = "legacy-hub-secret" if key == "app-client-secret" else "app-client-secret"
    fake = FakeIntercom(signing_key=key)
    fake.customer_starts(fake.add_contact("a@b.test"), "<p>Hi</p>")
    notification = fake.notification("conversation.user.created", next(iter(fake.conversations)))
    channel = channel_for(NOWHERE, env={**ENV, WEBHOOK_SECRET_ENV: key})
    body, headers = fake.signed(notification)
    channel.verify(ChannelRequest.of(body, headers))
    _, forged = fake.signed(notification, key=other)
    with pytest.raises(SignatureError, match="client_secret"):
        channel.verify(ChannelRequest.of(body, forged))


@pytest.mark.parametrize("header", [None, "", "de7c9b85", "sha256=00", "sha1="])
def test_a_missing_or_malformed_signature_is_refused(header: str | None, fake: FakeIntercom) -> None:
    body, _ = fake.signed(fake.notification("conversation.user.created", "515"))
    headers = {} if header is None else {"X-Hub-Signature": header}
    with pytest.raises(SignatureError):
        channel_for(NOWHERE).verify(ChannelRequest.of(body, headers))


# parse


def test_a_new_conversation_is_its_first_message_with_plain_text(fake: FakeIntercom) -> None:
    fake.conversations["515"]["source"]["body"] = (
        "<p>Hello&nbsp;there</p><p>Line<br>two &amp; <b>more</b></p>"
    )
    channel = channel_for(NOWHERE)
    parsed = channel.parse(_parse(channel, fake.notification("conversation.user.created", "515"), fake))
    [message] = parsed.messages
    source_id = fake.conversations["515"]["source"]["id"]
    assert message.external_id == f"ic:515:s:{source_id}"
    assert message.text == "Hello there\n\nLine\ntwo & more"
    assert message.subject == "Order NW-1" and message.conversation_ref == "515"
    assert message.customer.email == "joe@bloggs.com" and message.channel == "intercom"


def test_with_the_full_history_listed_only_the_newest_customer_part_is_answered(fake: FakeIntercom) -> None:
    fake.agent_writes("515", "agent-7", "<p>Looking into it</p>")
    first = fake.customer_replies("515", "<p>Any news?</p>")
    newest = fake.customer_replies("515", "<p>Hello??</p>")
    channel = channel_for(NOWHERE, webhook_parts="full")
    parsed = channel.parse(_parse(channel, fake.notification("conversation.user.replied", "515"), fake))
    assert [m.external_id for m in parsed.messages] == [f"ic:515:p:{newest}"]
    assert f"ic:515:p:{first}" not in {i.external_id for i in parsed.ignored}


def test_with_only_new_parts_listed_every_customer_part_listed_is_answered(fake: FakeIntercom) -> None:
    first = fake.customer_replies("515", "<p>Any news?</p>")
    second = fake.customer_replies("515", "<p>Hello??</p>")
    notification = fake.notification("conversation.user.replied", "515")  # both parts are new here
    full, newest = channel_for(NOWHERE, webhook_parts="full"), channel_for(NOWHERE, webhook_parts="newest")
    as_newest = newest.parse(_parse(newest, notification, fake))
    assert [m.external_id for m in as_newest.messages] == [f"ic:515:p:{first}", f"ic:515:p:{second}"]
    assert [m.external_id for m in full.parse(_parse(full, notification, fake)).messages] == [
        f"ic:515:p:{second}"
    ]


@pytest.mark.parametrize("parts", ["full", "newest"])
def test_a_reply_that_reopened_the_conversation_is_still_the_customers(
    parts: str, fake: FakeIntercom
) -> None:
    fake.conversations["515"]["state"] = "closed"
    part = fake.customer_replies("515", "<p>It broke again</p>")
    assert fake.parts("515")[-1]["part_type"] == "open"
    channel = channel_for(NOWHERE, webhook_parts=parts)
    notification = fake.notification("conversation.user.replied", "515", parts=parts)  # type: ignore[arg-type]
    [message] = channel.parse(_parse(channel, notification, fake)).messages
    assert message.external_id == f"ic:515:p:{part}" and message.text == "It broke again"


@pytest.mark.parametrize(
    ("topic", "admin", "part_type", "author", "reason"),
    [
        ("conversation.admin.replied", ADMIN, "comment", Author.US, "our own echo"),
        ("conversation.admin.noted", ADMIN, "note", Author.US, "internal note"),
        ("conversation.admin.noted", "agent-7", "note", Author.AGENT, "internal note"),
        ("conversation.admin.replied", "agent-7", "comment", Author.AGENT, "agent"),
    ],
)
def test_admins_parts_are_ignored_with_author_and_reason(
    topic: str, admin: str, part_type: str, author: Author, reason: str, fake: FakeIntercom
) -> None:
    part = fake.agent_writes("515", admin, "<p>We are on it</p>", part_type)
    channel = channel_for(NOWHERE)
    parsed = channel.parse(_parse(channel, fake.notification(topic, "515"), fake))
    assert parsed.messages == ()
    [ignored] = parsed.ignored
    assert (ignored.external_id, ignored.author) == (f"ic:515:p:{part}", author)
    assert reason in ignored.reason


def test_a_bots_part_after_the_customers_is_ignored_and_the_customers_answered(fake: FakeIntercom) -> None:
    part = fake.customer_replies("515", "<p>Refund please</p>")
    bot = fake._add_part(fake.conversations["515"], "comment", {"type": "bot", "id": "fin"}, "<p>I'm Fin</p>")
    channel = channel_for(NOWHERE)
    parsed = channel.parse(_parse(channel, fake.notification("conversation.user.replied", "515"), fake))
    assert [m.external_id for m in parsed.messages] == [f"ic:515:p:{part}"]
    [ignored] = parsed.ignored
    assert (
        ignored.external_id == f"ic:515:p:{bot}"
        and ignored.author is Author.SYSTEM
        and "bot" in ignored.reason
    )


@pytest.mark.parametrize("topic", ["conversation.deleted", "ping", "conversation_part.tag.created"])
def test_topics_without_a_customer_message_answer_nothing(topic: str, fake: FakeIntercom) -> None:
    channel = channel_for(NOWHERE)
    parsed = channel.parse(_parse(channel, fake.notification(topic, "515"), fake))
    assert parsed.messages == () and all(i.author is Author.SYSTEM for i in parsed.ignored)


def test_a_customer_without_email_is_looked_up_in_contacts_once() -> None:
    with served() as (fake, url):
        contact = fake.add_contact("ana@example.com", "Ana")
        conversation = fake.customer_starts(contact, "<p>Hi</p>", author_email=False)
        fake.customer_replies(conversation, "<p>Again</p>", author_email=False)
        channel = channel_for(url, webhook_parts="newest")
        notification = fake.notification("conversation.user.created", conversation)
        messages = channel.parse(_parse(channel, notification, fake)).messages
        assert [m.customer for m in messages] == [CustomerRef(email="ana@example.com", id=contact)] * 2
        assert len(fake.calls("GET", f"/contacts/{contact}")) == 1
        without = channel_for(url, fetch_contacts=False)
        [first, *_] = without.parse(
            _parse(without, fake.notification("conversation.user.created", conversation), fake)
        ).messages
        assert first.customer == CustomerRef(id=contact)


def test_a_redelivery_has_the_same_dedupe_key(fake: FakeIntercom) -> None:
    channel = channel_for(NOWHERE)
    notification = fake.notification("conversation.user.created", "515")
    again = fake.redelivery(notification)
    assert again["delivery_attempts"] == 2
    first, second = _parse(channel, notification, fake), _parse(channel, again, fake)
    assert channel.dedupe_key(first) == channel.dedupe_key(second) == f"intercom:{notification['id']}"
    assert channel.parse(first).messages == tuple(
        m
        for m in channel.parse(second).messages
        if m.external_id == channel.parse(first).messages[0].external_id
    )
    other = _parse(channel, fake.notification("conversation.user.created", "515"), fake)
    assert channel.dedupe_key(other) != channel.dedupe_key(first)


def test_a_body_that_is_not_json_is_unreadable() -> None:
    with pytest.raises(UnreadableInput) as refused:
        channel_for(NOWHERE).parse(ChannelRequest.of(b"{not json", {}))
    assert refused.value.errors[0]["where"].startswith("body")


def test_an_envelope_of_another_kind_is_refused_where_it_differs(fake: FakeIntercom) -> None:
    notification = fake.notification("conversation.user.created", "515")
    notification["type"] = "event"
    del notification["data"]["item"]["source"]["author"]  # type: ignore[index]
    with pytest.raises(InputError) as refused:
        channel_for(NOWHERE).parse(ChannelRequest.of(json.dumps(notification).encode(), {}))
    assert [e["where"] for e in refused.value.errors] == ["body.type"]
    notification["type"] = "notification_event"
    with pytest.raises(InputError) as refused:
        channel_for(NOWHERE).parse(ChannelRequest.of(json.dumps(notification).encode(), {}))
    assert [e["where"] for e in refused.value.errors] == ["body.data.item.source.author"]
