"""Email end to end in one process: mail sent with smtplib to the runtime's SMTP intake is answered by mail
that reaches a receiving server, threaded; noise gets no answer; nothing the store could not take is lost."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import sqlalchemy as sa
from dbos import DBOS

from ticketflow.channels.email.settings_model import EmailSettings
from ticketflow.domain.ids import TicketId
from ticketflow.errors import StorageError
from ticketflow.runtime.sender import delivery_id
from ticketflow.runtime.service import Runtime
from ticketflow.settings import ChannelsSettings, DeliverySettings, Settings
from ticketflow.testing.mail import MailReceiver, Received
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

SUPPORT = "support@store.test"
CUSTOMER = "noor@example.com"
DEADLINE_S = 60.0


@pytest.fixture
def receiver() -> Iterator[MailReceiver]:
    with MailReceiver() as started:
        yield started


@pytest.fixture
def runtime(settings: Settings, store_models: TrainedModels, receiver: MailReceiver) -> Iterator[Runtime]:
    email = EmailSettings(
        listen="127.0.0.1:0",
        addresses=[SUPPORT],
        from_address=SUPPORT,
        outbound=receiver.url,
        timeout_seconds=5,
    )
    configured = settings.model_copy(
        update={
            "channels": ChannelsSettings(email=email),
            "delivery": DeliverySettings(backoff_s=0.01, max_attempts=3),
        }
    )
    engine = Engine.from_workspace(settings=configured, models=store_models)
    with Runtime(engine, mail_intake=True) as started:
        yield started
    engine.close()


def _mail(text: str, *, subject: str = "Delivery time", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Noor <{CUSTOMER}>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def _send(runtime: Runtime, message: EmailMessage, mail_from: str = CUSTOMER) -> None:
    intake = runtime.mail_intake
    assert intake is not None
    with smtplib.SMTP("127.0.0.1", intake.port, timeout=10) as smtp:
        smtp.send_message(message, from_addr=mail_from, to_addrs=[SUPPORT])


def _poll(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _ticket_of(runtime: Runtime, message_id: str) -> TicketId:
    with runtime.store.engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT id FROM tickets WHERE external_id = :m"), {"m": message_id}
        ).scalar()
    assert found is not None, f"no ticket for {message_id}"
    return TicketId(found)


def _delivered(runtime: Runtime, ticket_id: TicketId) -> None:
    _poll(
        lambda: any(d.status != "queued" for d in runtime.store.deliveries.for_ticket(ticket_id)),
        f"the delivery of {ticket_id}",
    )


def test_a_mail_is_answered_in_its_thread_and_the_answer_to_it_joins_the_conversation(
    runtime: Runtime, receiver: MailReceiver
) -> None:
    first = _mail("Hello, how long does standard delivery take?")
    _send(runtime, first)
    [answer] = receiver.wait_for(1, timeout=DEADLINE_S)
    reply = answer.message
    assert reply["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in reply["References"]
    assert reply["To"] == CUSTOMER and reply["Subject"] == "Re: Delivery time"
    assert reply["Auto-Submitted"] == "auto-replied"
    ticket_id = _ticket_of(runtime, first["Message-ID"])
    _delivered(runtime, ticket_id)
    [line] = runtime.store.deliveries.for_ticket(ticket_id)
    assert (line.channel, line.kind, line.status, line.message_id) == (
        "email",
        "reply",
        "sent",
        reply["Message-ID"],
    )

    quoted = "\n".join(f"> {line}" for line in reply.get_content().splitlines())
    follow_up = _mail(
        f"Thanks! And can I change the delivery address?\n\nOn Tue, Support <{SUPPORT}> wrote:\n{quoted}",
        subject="Re: Delivery time",
        In_Reply_To=reply["Message-ID"],
        References=f"{first['Message-ID']} {reply['Message-ID']}",
    )
    _send(runtime, follow_up)
    second = _ticket_of(runtime, follow_up["Message-ID"])
    first_ticket = runtime.store.load_ticket(ticket_id)
    second_ticket = runtime.store.load_ticket(second)
    assert second_ticket.conversation_id == first_ticket.conversation_id
    assert second_ticket.message.text == "Thanks! And can I change the delivery address?"
    receiver.wait_for(2, timeout=DEADLINE_S)
    answer_two = receiver.messages[1].message
    assert answer_two["In-Reply-To"] == follow_up["Message-ID"]
    assert first["Message-ID"] in answer_two["References"]


def test_an_auto_reply_and_a_bounce_get_no_answer(runtime: Runtime, receiver: MailReceiver) -> None:
    vacation = _mail("I am out of office until Monday.", Auto_Submitted="auto-replied")
    _send(runtime, vacation)
    bounce = _mail("Delivery to the following recipient failed permanently.", subject="Undeliverable")
    _send(runtime, bounce, mail_from="")
    with runtime.store.engine.connect() as conn:
        ignored = conn.execute(
            sa.text("SELECT detail FROM audit_log WHERE event = 'mail_ignored' ORDER BY id")
        ).scalars()
        reasons = [d["reason"] if isinstance(d, dict) else d for d in ignored]
    assert len(reasons) == 2
    assert "auto-submitted: auto-replied" in reasons[0]
    assert "null" in reasons[1]
    assert runtime.store.counts()["tickets"] == 0
    assert receiver.messages == []


def test_a_mail_the_store_cannot_take_is_deferred_and_taken_on_retry(
    runtime: Runtime, receiver: MailReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_accept = runtime.tickets.accept
    calls: list[str] = []

    def failing_once(message: object) -> object:
        calls.append("accept")
        if len(calls) == 1:
            raise StorageError("the database is unavailable")
        return real_accept(message)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime.tickets, "accept", failing_once)
    message = _mail("How long does standard delivery take?")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(runtime, message)
    assert 400 <= refused.value.smtp_code < 500
    assert runtime.store.counts()["tickets"] == 0
    _send(runtime, message)  # the sending server retries the same message
    ticket_id = _ticket_of(runtime, message["Message-ID"])
    _delivered(runtime, ticket_id)
    assert len(receiver.wait_for(1, timeout=DEADLINE_S)) == 1


def test_a_transient_smtp_failure_is_retried_and_a_permanent_one_goes_to_review(
    runtime: Runtime, receiver: MailReceiver
) -> None:
    receiver.refuse_next("451 4.3.0 try again later")
    retried = _mail("How long does standard delivery take?")
    _send(runtime, retried)
    ticket_id = _ticket_of(runtime, retried["Message-ID"])
    _delivered(runtime, ticket_id)
    [line] = runtime.store.deliveries.for_ticket(ticket_id)
    assert (line.status, line.attempts) == ("sent", 2)
    arrived: list[Received] = receiver.wait_for(1, timeout=DEADLINE_S)
    assert arrived[0].message["Message-ID"] == line.message_id

    receiver.refuse_next("550 5.1.1 no such user")
    refused = _mail("How long does express delivery take?", subject="Express")
    _send(runtime, refused)
    refused_id = _ticket_of(runtime, refused["Message-ID"])
    _delivered(runtime, refused_id)
    [failed] = runtime.store.deliveries.for_ticket(refused_id)
    assert failed.status == "failed" and failed.error is not None and "550" in failed.error
    view = runtime.store.view(refused_id)
    assert view is not None and view.outcome == "review"
    assert view.handoff is not None and view.handoff.reason.startswith("delivery_failed")


def test_a_mail_delivered_again_after_its_checkpoints_were_pruned_is_not_processed_again(
    runtime: Runtime, receiver: MailReceiver
) -> None:
    message = _mail("How long does standard delivery take?")
    _send(runtime, message)
    ticket_id = _ticket_of(runtime, message["Message-ID"])
    _delivered(runtime, ticket_id)
    receiver.wait_for(1, timeout=DEADLINE_S)
    view = runtime.store.view(ticket_id)
    assert view is not None and view.status.value == "done"
    # what the retention sweep does to a finished ticket's checkpoints ([retention] checkpoints)
    DBOS.delete_workflows([view.workflow_id, delivery_id(ticket_id)], delete_children=True)
    # the sending server delivers the same mail again (our 250 was lost), or an IMAP resync fetches it
    _send(runtime, message)
    assert DBOS.list_workflows(workflow_ids=[view.workflow_id]) == [], "the answered mail was run again"
    assert runtime.store.counts()["tickets"] == 1
    assert len(receiver.messages) == 1


def test_a_mail_handed_to_a_person_gets_a_holding_message_in_its_thread(
    runtime: Runtime, receiver: MailReceiver
) -> None:
    refund = _mail("The blender arrived broken. I want my money back, refund me please.", subject="Broken")
    _send(runtime, refund)
    [holding] = receiver.wait_for(1, timeout=DEADLINE_S)
    ticket_id = _ticket_of(runtime, refund["Message-ID"])
    _delivered(runtime, ticket_id)
    view = runtime.store.view(ticket_id)
    assert view is not None and view.outcome != "sent" and view.handoff is not None
    [line] = runtime.store.deliveries.for_ticket(ticket_id)
    assert (line.kind, line.status, line.message_id) == ("holding", "sent", holding.message["Message-ID"])
    assert holding.message["In-Reply-To"] == refund["Message-ID"]
    assert holding.message["Auto-Submitted"] == "auto-replied"
    text = holding.message.get_content()
    assert "A member of our team will get back to you" in text
    assert "Europe/Berlin" in text  # the expected response time, from the workspace's business hours
