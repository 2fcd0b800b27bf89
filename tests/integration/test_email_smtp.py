"""SMTP end to end on loopback: smtplib into ``SmtpIntake``; ``EmailChannel`` replies out to a receiver."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from ticketflow.channels.email.channel import EmailChannel
from ticketflow.channels.email.outbound import SmtpSender, SmtpTarget
from ticketflow.channels.email.smtp_intake import Envelope, SmtpIntake
from ticketflow.errors import ChannelUnavailable, ConfigError, DeliveryRefused
from ticketflow.ports.channel import ChannelRequest
from ticketflow.testing.mail import MailReceiver

SUPPORT = "support@northwind.example"


def _mail(body: str = "Where is my order NW-100234?") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ada <ada@example.com>"
    message["To"] = SUPPORT
    message["Subject"] = "Delivery"
    message["Message-ID"] = "<m-1@example.com>"
    message.set_content(body)
    return message


class Store:
    """An ``accept`` that can be told to fail, as a store that is briefly down."""

    def __init__(self) -> None:
        self.taken: list[tuple[bytes, str, list[str]]] = []
        self.down = False

    def __call__(self, raw: bytes, envelope: Envelope) -> None:
        if self.down:
            raise RuntimeError("database unavailable")
        self.taken.append((raw, envelope.mail_from, list(envelope.rcpt_tos)))


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def intake(store: Store) -> Iterator[SmtpIntake]:
    with SmtpIntake(listen="127.0.0.1:0", addresses=[SUPPORT], accept=store, max_bytes=64 * 1024) as running:
        yield running


def _client(intake: SmtpIntake) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", intake.port, timeout=5)


def test_a_mail_for_our_address_reaches_accept_as_raw_bytes(intake: SmtpIntake, store: Store) -> None:
    with _client(intake) as client:
        client.send_message(_mail(), from_addr="ada@example.com", to_addrs=[SUPPORT])
    [(raw, mail_from, rcpts)] = store.taken
    assert (mail_from, rcpts) == ("ada@example.com", [SUPPORT])
    channel = EmailChannel(from_address=SUPPORT, sender=SmtpSender(SmtpTarget("127.0.0.1", 1)))
    [message] = channel.parse(ChannelRequest.of(raw, {"x-envelope-from": mail_from})).messages
    assert message.text == "Where is my order NW-100234?"
    assert message.external_id == "<m-1@example.com>"


def test_an_unknown_recipient_is_refused(intake: SmtpIntake, store: Store) -> None:
    with _client(intake) as client, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.send_message(_mail(), from_addr="ada@example.com", to_addrs=["someone@elsewhere.example"])
    [(code, _)] = refused.value.recipients.values()
    assert code == 550
    assert store.taken == []


def test_an_oversize_message_gets_552(intake: SmtpIntake, store: Store) -> None:
    with _client(intake) as client, pytest.raises(smtplib.SMTPResponseException) as refused:
        client.send_message(_mail("x" * 100 * 1024), from_addr="ada@example.com", to_addrs=[SUPPORT])
    assert refused.value.smtp_code == 552
    assert store.taken == []


def test_a_failing_accept_gets_a_4xx_and_the_retry_succeeds(intake: SmtpIntake, store: Store) -> None:
    store.down = True
    with _client(intake) as client, pytest.raises(smtplib.SMTPDataError) as deferred:
        client.send_message(_mail(), from_addr="ada@example.com", to_addrs=[SUPPORT])
    assert deferred.value.smtp_code == 451
    store.down = False
    with _client(intake) as client:
        client.send_message(_mail(), from_addr="ada@example.com", to_addrs=[SUPPORT])
    assert len(store.taken) == 1


def test_an_outbound_reply_arrives_threaded_under_the_original(intake: SmtpIntake, store: Store) -> None:
    with _client(intake) as client:
        client.send_message(_mail(), from_addr="ada@example.com", to_addrs=[SUPPORT])
    [(raw, _, _)] = store.taken
    with MailReceiver() as receiver:
        channel = EmailChannel(from_address=SUPPORT, sender=SmtpSender(SmtpTarget.parse(receiver.url)))
        [message] = channel.parse(ChannelRequest.of(raw)).messages
        channel.reply(channel.thread(message, raw), "It ships today.", idempotency_key="reply-1")
        [received] = receiver.wait_for(1)
    assert received.message["In-Reply-To"] == "<m-1@example.com>"
    assert received.rcpt_tos == ("ada@example.com",)
    assert received.mail_from == SUPPORT


@pytest.mark.parametrize(
    ("reply", "error"),
    [("451 4.3.0 try again later", ChannelUnavailable), ("554 5.7.1 rejected as spam", DeliveryRefused)],
)
def test_smtp_failures_are_sorted_into_retry_and_review(reply: str, error: type[Exception]) -> None:
    with MailReceiver() as receiver:
        receiver.refuse_next(reply)
        sender = SmtpSender(SmtpTarget.parse(receiver.url))
        with pytest.raises(error, match=reply.split()[0]):
            sender.send(_mail(), envelope_from=SUPPORT, recipients=["ada@example.com"])
        sender.send(_mail(), envelope_from=SUPPORT, recipients=["ada@example.com"])
        assert len(receiver.wait_for(1)) == 1


def test_a_refused_connection_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused
        sender = SmtpSender(SmtpTarget("127.0.0.1", port, timeout=2))
        with pytest.raises(ChannelUnavailable, match="unreachable"):
            sender.send(_mail(), envelope_from=SUPPORT, recipients=["ada@example.com"])


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("smtp://127.0.0.1:2526", SmtpTarget("127.0.0.1", 2526, "plain")),
        ("smtp://mail.example.com:587?starttls=1", SmtpTarget("mail.example.com", 587, "starttls")),
        ("smtps://mail.example.com", SmtpTarget("mail.example.com", 465, "ssl")),
    ],
)
def test_outbound_urls(url: str, target: SmtpTarget) -> None:
    assert SmtpTarget.parse(url) == target


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://u:p@mail.example.com", "smtp://:25"])
def test_bad_outbound_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        SmtpTarget.parse(url)
