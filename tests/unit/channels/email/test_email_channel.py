"""``EmailChannel`` through the shared ``ChannelContract``, and what is particular to mail."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from channel_contract import THREAD, ChannelContract, Sample
from conftest import Build, build_mail
from ticketflow.channels.email.channel import EmailChannel
from ticketflow.channels.email.loops import ReplyRateLimit
from ticketflow.channels.email.outbound import SmtpSender, SmtpTarget
from ticketflow.channels.email.settings_model import EmailSettings
from ticketflow.domain.message import InboundMessage
from ticketflow.errors import ConfigError, DeliveryRefused, InputError
from ticketflow.ports.channel import Author, Channel, ChannelRequest, Thread
from ticketflow.testing.mail import MailReceiver

SUPPORT = "support@northwind.example"
KNOWN = {"<thread-1@northwind.example>": "thread-1", "<ours-1@northwind.example>": "<first@example.com>"}


@pytest.fixture(scope="module")
def receiver() -> Iterator[MailReceiver]:
    with MailReceiver() as running:
        yield running


def _channel(receiver: MailReceiver, **kwargs: object) -> EmailChannel:
    sender = SmtpSender(SmtpTarget.parse(receiver.url, timeout=5))
    return EmailChannel(from_address=SUPPORT, sender=sender, known=KNOWN.get, **kwargs)  # type: ignore[arg-type]


class TestEmailChannelContract(ChannelContract):
    @pytest.fixture
    def channel(self, receiver: MailReceiver) -> EmailChannel:
        self.receiver = receiver
        return _channel(receiver)

    def plain_headers(self) -> dict[str, str]:
        return {"x-envelope-from": "ada@example.com", "x-envelope-to": SUPPORT}

    def encode(self, channel: Channel, sample: Sample) -> bytes | None:
        if sample.author is Author.AGENT:
            return None  # a mailbox has customers and ourselves; agents answer in the review queue
        sender = SUPPORT if sample.author is Author.US else sample.email
        return build_mail(
            sample.text,
            headers={
                "From": sender,
                "Subject": f"Re: {sample.subject}",
                "Message-ID": f"<{sample.external_id}@example.com>",
                "In-Reply-To": f"<{sample.conversation}@northwind.example>",
            },
        )

    def expected(self, channel: Channel, sample: Sample) -> InboundMessage:
        base = super().expected(channel, sample)
        return dataclasses.replace(base, external_id=f"<{sample.external_id}@example.com>")

    def malformed(self) -> tuple[bytes, str]:
        return build_mail(headers={"From": None}), "body.from"

    def sent_count(self, channel: Channel) -> int:
        return len(self.receiver.messages)


def test_an_auto_reply_is_ignored_with_its_signal(receiver: MailReceiver, build: Build) -> None:
    raw = build(headers={"Auto-Submitted": "auto-replied", "Subject": "Out of office"})
    parsed = _channel(receiver).parse(ChannelRequest.of(raw))
    assert parsed.messages == ()
    [ignored] = parsed.ignored
    assert (ignored.external_id, ignored.author, ignored.reason) == (
        "<m-1@example.com>",
        Author.SYSTEM,
        "auto-submitted: auto-replied",
    )


def test_a_null_envelope_sender_from_the_intake_is_ignored(receiver: MailReceiver, build: Build) -> None:
    request = ChannelRequest.of(build(), {"x-envelope-from": ""})
    [ignored] = _channel(receiver).parse(request).ignored
    assert ignored.reason.startswith("envelope sender: null")


def test_a_reply_to_our_message_joins_its_conversation(receiver: MailReceiver, build: Build) -> None:
    raw = build(headers={"In-Reply-To": "<ours-1@northwind.example>", "Message-ID": "<m-9@example.com>"})
    [message] = _channel(receiver).parse(ChannelRequest.of(raw)).messages
    assert message.conversation_ref == "<first@example.com>"
    assert message.external_id == "<m-9@example.com>"


def test_a_new_mail_starts_its_own_conversation(receiver: MailReceiver, build: Build) -> None:
    [message] = _channel(receiver).parse(ChannelRequest.of(build())).messages
    assert message.conversation_ref == message.external_id == "<m-1@example.com>"
    assert message.subject == "Delivery"


def test_an_empty_body_is_refused(receiver: MailReceiver) -> None:
    with pytest.raises(InputError) as refused:
        _channel(receiver).parse(ChannelRequest.of(b"  "))
    assert refused.value.errors[0]["where"] == "body"


def test_a_reply_threads_under_the_customers_mail(receiver: MailReceiver, build: Build) -> None:
    channel = _channel(receiver)
    raw = build(headers={"References": "<first@example.com>", "In-Reply-To": "<first@example.com>"})
    [message] = channel.parse(ChannelRequest.of(raw)).messages
    before = len(receiver.messages)
    thread = channel.thread(message, raw)
    receipt = channel.reply(thread, "Hi Ada, it ships today.", idempotency_key="k-thread")
    sent = receiver.wait_for(before + 1)[-1].message
    assert sent["In-Reply-To"] == "<m-1@example.com>"
    assert sent["References"] == "<first@example.com> <m-1@example.com>"
    assert sent["Message-ID"] == receipt.message_id
    assert sent["Subject"] == "Re: Delivery"
    assert sent["Auto-Submitted"] == "auto-replied" and sent["X-Auto-Response-Suppress"] == "All"
    assert sent["From"] == SUPPORT and sent["To"] == "ada@example.com"
    assert sent.get_content().strip() == "Hi Ada, it ships today."


def test_the_same_key_gives_the_same_message_id_on_another_channel_instance(receiver: MailReceiver) -> None:
    first = _channel(receiver).reply(THREAD, "Hello", idempotency_key="delivery:t-1")
    again = _channel(receiver).reply(THREAD, "Hello", idempotency_key="delivery:t-1")
    assert first.message_id == again.message_id
    assert first.message_id.endswith("@northwind.example>")


def test_replies_beyond_the_hourly_limit_are_refused(receiver: MailReceiver) -> None:
    channel = _channel(receiver, rate_limit=ReplyRateLimit(2))
    for n in range(2):
        channel.reply(THREAD, "Hello", idempotency_key=f"limit-{n}")
    before = len(receiver.messages)
    with pytest.raises(DeliveryRefused, match="2 replies in the last hour"):
        channel.reply(THREAD, "Hello", idempotency_key="limit-2")
    assert len(receiver.messages) == before
    assert channel.reply(THREAD, "Hello", idempotency_key="limit-1"), "a repeated key is not a new reply"


def test_a_customer_without_an_address_cannot_be_mailed(receiver: MailReceiver) -> None:
    thread = Thread(customer=dataclasses.replace(THREAD.customer, email=None, id="c-1"))
    with pytest.raises(DeliveryRefused, match="no email address"):
        _channel(receiver).reply(thread, "Hello", idempotency_key="no-address")


def test_the_settings_build_a_channel_and_refuse_credentials_in_the_url() -> None:
    settings = EmailSettings(addresses=[SUPPORT], outbound="smtp://127.0.0.1:2526")
    channel = EmailChannel.from_settings(settings, environ={})
    assert channel.from_address == SUPPORT
    with pytest.raises(ValueError, match="no credentials in the URL"):
        EmailSettings(outbound="smtp://user:secret@127.0.0.1:2526")
    with pytest.raises(ValueError, match="extra"):
        EmailSettings.model_validate({"password": "secret"})
    needs_env = EmailSettings(
        addresses=[SUPPORT], outbound="smtp://h:25", username_env="TF_SMTP_USER", password_env="TF_SMTP_PASS"
    )
    with pytest.raises(ConfigError, match="TF_SMTP_USER, TF_SMTP_PASS"):
        EmailChannel.from_settings(needs_env, environ={})


def test_received_at_is_the_channels_clock(receiver: MailReceiver, build: Build) -> None:
    at = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
    [message] = _channel(receiver, clock=lambda: at).parse(ChannelRequest.of(build())).messages
    assert message.received_at == at
