"""The durable sender: after a ticket's result is recorded, its channel sends each outgoing message once.

What goes out (:func:`plan`): the reply when the ticket was answered; on a handoff, the helpdesk's
``hand_off`` (its internal note with the package, assignment and tag) and, on channels that talk to the
customer directly (email, the API), a holding message saying a person will answer and when, from the
workspace's business hours (``[delivery] holding_message``, ``holding = false`` to stay silent).

How (:class:`Sender`): the ticket workflow's last act enqueues the child workflow ``ticketflow.deliver`` (id
``deliver:{ticket_id}``) on the ``deliveries`` queue, partitioned by conversation so a thread's answers
leave in order, and without holding a ticket worker's slot while a channel is down. Each message is one
checkpointed step called with the idempotency key ``send:{ticket_id}:{kind}``:

1. the attempt is recorded ``queued`` in ``deliveries`` before the channel is called;
2. the channel is called; its receipt is recorded ``sent`` (message id, time) after.

A step that runs again after a crash finds ``sent`` and does nothing. Finding only ``queued``, the call may
or may not have reached the channel, and it is made again with the same key: an email keeps the Message-ID
derived from the key (receivers and our own intake recognise the resend as the same message), the API
channel's receipt derives from the key too; a helpdesk channel answers a repeated key from its receipt memory
in the same process, and across a crash between the helpdesk's answer and our ``sent`` row a channel that
:class:`~ticketflow.ports.channel.Recalls` (Zendesk lists a ticket's comments) is asked first whether the
message already landed. Where the API cannot tell (or the lookup fails), a second comment is possible: their
APIs take no idempotency key, and that window is the time of one HTTP response.

Transient failures (``ChannelUnavailable``) are retried with durable sleeps, doubling from ``backoff_s`` or
waiting the ``retry_after`` the channel asked for, up to ``max_attempts``; a permanent one
(``DeliveryRefused``, ``Unsupported``), or the last transient one, marks the delivery ``failed`` and puts the
ticket in review with the channel's reason.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from dbos import DBOS, DBOSConfiguredInstance, SetEnqueueOptions, SetWorkflowID, StepOptions

from ticketflow.domain.feedback import FeedbackLinks
from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import Ticket
from ticketflow.domain.outcome import Handoff, Outcome
from ticketflow.domain.rules import BusinessHours
from ticketflow.domain.views import DeliveryStatus, TicketView
from ticketflow.errors import ChannelError, ChannelUnavailable, DeliveryRefused, Unsupported
from ticketflow.ports.channel import Capability, Channel, Recalls, Receipt, Thread
from ticketflow.ports.store import Deliveries, MailThreads, TicketStore
from ticketflow.runtime.batching import INSTANCE
from ticketflow.settings import DeliverySettings

DELIVER_WORKFLOW = "ticketflow.deliver"
DELIVER_REVIEWED_WORKFLOW = "ticketflow.deliver_reviewed"
DELIVERIES_QUEUE = "deliveries"
API = "api"
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Kind(StrEnum):
    """What an outgoing message is; part of its idempotency key."""

    REPLY = "reply"
    HAND_OFF = "hand_off"
    HOLDING = "holding"
    REVIEWED = "reviewed"
    """A reply a person approved or wrote in the review queue (``runtime.reviews``)."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send: its kind, the channel that sends it, and its text or package."""

    kind: Kind
    channel: str
    body: str | None = None
    handoff: Handoff | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one send step ended (its checkpointed result)."""

    status: Literal["sent", "retry", "failed"]
    message_id: str | None = None
    error: str | None = None
    retry_after: float | None = None


def delivery_id(ticket_id: str) -> str:
    """The id of the ticket's delivery workflow."""
    return f"deliver:{ticket_id}"


def reviewed_delivery_id(ticket_id: str) -> str:
    """The id of the workflow that sends the reply a person approved or wrote for the ticket (once)."""
    return f"deliver-reviewed:{ticket_id}"


def key_for(ticket_id: str, kind: str) -> str:
    """The idempotency key of one outgoing message."""
    return f"send:{ticket_id}:{kind}"


def channel_for(ticket: Ticket, channels: Mapping[str, Channel], mail: MailThreads) -> str:
    """Which channel answers the ticket: the one it came by, else the API channel.

    A ticket whose channel is a label the API client chose (``chat``, ``web``) is answered through the API;
    an ``email`` ticket goes out by mail only when the mail came in through our intake (its Message-ID is
    known), since a mail posted to the API is the API client's to answer.
    """
    name = ticket.message.channel
    if name == "email":
        known = "email" in channels and mail.chain_of(ticket.message.external_id) is not None
        return "email" if known else API
    return name if name in channels else API


def expected_response(hours: BusinessHours | None, now: datetime) -> str:
    """When a person will answer, in words, from the business hours (``{hours}`` of the holding message)."""
    if hours is None:
        return "as soon as possible"
    zone = ZoneInfo(hours.timezone)
    span = f"{_clock(hours.opens)}–{_clock(hours.closes)} {hours.timezone}"
    if hours.is_open(now):
        return f"today, within our business hours ({span})"
    local = now.astimezone(zone)
    for ahead in range(15):
        day = local.date() + timedelta(days=ahead)
        opening = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=hours.opens)
        if day.weekday() in hours.days and day not in hours.holidays and opening > local:
            when = "today" if ahead == 0 else "tomorrow" if ahead == 1 else f"on {DAY_NAMES[day.weekday()]}"
            return f"{when} after we open at {_clock(hours.opens)} ({hours.timezone}; hours {span})"
    return "as soon as possible"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def plan(
    view: TicketView,
    channel: Channel,
    settings: DeliverySettings,
    hours: BusinessHours | None,
    now: datetime,
    *,
    links: FeedbackLinks | None = None,
) -> tuple[Outgoing, ...]:
    """What the ticket's outcome sends through ``channel`` (nothing for an outcome not recorded); with
    ``links``, a reply ends with the signed link that asks the customer to rate it."""
    if view.outcome is None:
        return ()
    if view.outcome in (Outcome.SENT.value, Outcome.DECLINED.value):  # a decline is a configured reply
        if not view.reply:
            return ()
        body = links.append_to(view.reply, view.id, now) if links is not None else view.reply
        return (Outgoing(Kind.REPLY, channel.name, body=body),)
    out: list[Outgoing] = []
    if Capability.HAND_OFF in channel.capabilities and view.handoff is not None:
        out.append(Outgoing(Kind.HAND_OFF, channel.name, handoff=view.handoff))
    elif Capability.REPLY in channel.capabilities and settings.holding:
        text = settings.holding_message.replace("{hours}", expected_response(hours, now))
        out.append(Outgoing(Kind.HOLDING, channel.name, body=text))
    return tuple(out)


def backoff(attempt: int, retry_after: float | None, settings: DeliverySettings) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): what the channel asked, else doubling."""
    doubled = settings.backoff_s * 2 ** (attempt - 1)
    return min(settings.max_backoff_s, retry_after if retry_after is not None else doubled)


@DBOS.dbos_class("ticketflow.Sender")
class Sender(DBOSConfiguredInstance):
    """The delivery workflow over the runtime's channels and store (a configured DBOS instance, like the
    ticket workflows: create it before ``DBOS.launch()``, once per name in a process)."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        tickets: TicketStore,
        deliveries: Deliveries,
        mail: MailThreads,
        settings: DeliverySettings,
        hours: BusinessHours | None,
        name: str = INSTANCE,
        *,
        feedback_links: FeedbackLinks | None = None,
    ) -> None:
        self._channels = channels
        self._links = feedback_links
        self._tickets = tickets
        self._deliveries = deliveries
        self._mail = mail
        self._settings = settings
        self._hours = hours
        self._running = 0
        self._idle = threading.Condition()
        super().__init__(name)

    @staticmethod
    def register_queue(polling_interval_sec: float, concurrency: int) -> None:
        """Declare the ``deliveries`` queue (after launch): one delivery at a time per conversation."""
        DBOS.register_queue(
            DELIVERIES_QUEUE,
            worker_concurrency=concurrency,
            partition_concurrency=1,
            polling_interval_sec=polling_interval_sec,
            on_conflict="always_update",
        )

    def start(self, ticket_id: str, conversation_id: str) -> None:
        """Enqueue the ticket's delivery (from the ticket workflow, after ``record``; idempotent by id)."""
        with SetWorkflowID(delivery_id(ticket_id)), SetEnqueueOptions(queue_partition_key=conversation_id):
            DBOS.enqueue_workflow(DELIVERIES_QUEUE, self.deliver, ticket_id)

    @DBOS.workflow(name=DELIVER_WORKFLOW)
    def deliver(self, ticket_id: str) -> list[str]:
        """Send each planned message; returns ``kind:status`` per message."""
        with self._idle:
            self._running += 1
        try:
            planned: tuple[Outgoing, ...] = DBOS.run_step({"name": "plan"}, self._plan, ticket_id)
            return [f"{out.kind}:{self._send(ticket_id, out)}" for out in planned]
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def start_reviewed(self, ticket_id: str, conversation_id: str, body: str) -> None:
        """Enqueue the reply a person approved or wrote (idempotent by id: a ticket's reviewed reply is
        one workflow, ``deliver-reviewed:{ticket_id}``, and one message, ``send:{ticket_id}:reviewed``)."""
        with (
            SetWorkflowID(reviewed_delivery_id(ticket_id)),
            SetEnqueueOptions(queue_partition_key=conversation_id),
        ):
            DBOS.enqueue_workflow(DELIVERIES_QUEUE, self.deliver_reviewed, ticket_id, body)

    @DBOS.workflow(name=DELIVER_REVIEWED_WORKFLOW)
    def deliver_reviewed(self, ticket_id: str, body: str) -> list[str]:
        """Send a reviewed reply through the ticket's own channel; returns ``reviewed:status``."""
        with self._idle:
            self._running += 1
        try:
            planned: Outgoing | None = DBOS.run_step(
                {"name": "plan:reviewed"}, self._plan_reviewed, ticket_id, body
            )
            return [] if planned is None else [f"{planned.kind}:{self._send(ticket_id, planned)}"]
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def _plan_reviewed(self, ticket_id: str, body: str) -> Outgoing | None:
        ticket = self._tickets.load_ticket(TicketId(ticket_id))
        name = channel_for(ticket, self._channels, self._mail)
        return Outgoing(Kind.REVIEWED, name, body=body) if name in self._channels else None

    def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the deliveries running in this process (before the runtime
        stops, so none is cut off while it holds a connection); False when some still run. One that is
        cut off anyway resumes from its last step at the next start."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)

    def _plan(self, ticket_id: str) -> tuple[Outgoing, ...]:
        view = self._tickets.view(TicketId(ticket_id))
        if view is None:
            return ()
        ticket = self._tickets.load_ticket(TicketId(ticket_id))
        name = channel_for(ticket, self._channels, self._mail)
        channel = self._channels.get(name)
        if channel is None:
            return ()
        return plan(view, channel, self._settings, self._hours, datetime.now(UTC), links=self._links)

    def _send(self, ticket_id: str, out: Outgoing) -> str:
        settings = self._settings
        step: StepOptions = {"name": f"send:{out.kind}", "retries_allowed": True, "max_attempts": 3}
        attempt = Attempt("retry")
        for n in range(1, settings.max_attempts + 1):
            attempt = DBOS.run_step(step, self._attempt, ticket_id, out)
            if attempt.status != "retry":
                break
            if n < settings.max_attempts:
                DBOS.sleep(backoff(n, attempt.retry_after, settings))
        if attempt.status == "sent":
            return DeliveryStatus.SENT.value
        error = attempt.error or "the channel failed"
        if attempt.status == "retry":
            error = f"gave up after {settings.max_attempts} attempts: {error}"
        DBOS.run_step({"name": f"failed:{out.kind}"}, self._fail, ticket_id, out, error)
        return DeliveryStatus.FAILED.value

    def _attempt(self, ticket_id: str, out: Outgoing) -> Attempt:
        """One send: recorded ``queued`` first, ``sent`` with the receipt after (see the module docstring)."""
        ticket = self._tickets.load_ticket(TicketId(ticket_id))
        row = self._deliveries.begin(ticket.id, ticket.conversation_id, out.kind, out.channel, out.body)
        if row.status is DeliveryStatus.SENT:
            return Attempt("sent", row.message_id)
        if row.status is DeliveryStatus.FAILED:
            return Attempt("failed", error=row.error)
        key = key_for(ticket_id, out.kind)
        chain = self._mail.chain_of(ticket.message.external_id) if out.channel == "email" else None
        thread = Thread(
            customer=ticket.message.customer,
            conversation_ref=ticket.message.conversation_ref,
            external_id=ticket.message.external_id,
            subject=ticket.message.subject,
            reply_to=chain or (),
            origin=ticket.submitted_by,
        )
        channel = self._channels[out.channel]
        if row.attempts > 1 and isinstance(channel, Recalls):
            # an earlier attempt may have landed before its process died: look before sending again
            landed = self._recall(channel, thread, out)
            if landed is not None:
                self._deliveries.sent(key, landed.message_id, landed.at, mail_thread=None)
                return Attempt("sent", landed.message_id)
        try:
            receipt = self._call(channel, thread, out, key)
        except ChannelUnavailable as exc:
            self._deliveries.retrying(key, str(exc))
            return Attempt("retry", error=str(exc), retry_after=exc.retry_after)
        except (DeliveryRefused, Unsupported) as exc:
            return Attempt("failed", error=str(exc))
        mail_thread = ticket.message.conversation_ref if out.channel == "email" else None
        self._deliveries.sent(key, receipt.message_id, receipt.at, mail_thread=mail_thread)
        return Attempt("sent", receipt.message_id)

    @staticmethod
    def _recall(channel: Recalls, thread: Thread, out: Outgoing) -> Receipt | None:
        try:
            if out.kind is Kind.HAND_OFF:
                return channel.recall(thread, handoff=out.handoff)
            return channel.recall(thread, reply=out.body or "")
        except ChannelError:
            return None  # the lookup failed: send as if nothing landed, the residual risk documented above

    @staticmethod
    def _call(channel: Channel, thread: Thread, out: Outgoing, key: str) -> Receipt:
        if out.kind is Kind.HAND_OFF:
            assert out.handoff is not None
            return channel.hand_off(thread, out.handoff, idempotency_key=key)
        return channel.reply(thread, out.body or "", idempotency_key=key)

    def _fail(self, ticket_id: str, out: Outgoing, error: str) -> None:
        ticket = self._tickets.load_ticket(TicketId(ticket_id))
        # a failed reply leaves the customer unanswered: a person takes it, with the reply as a head start
        handoff = (
            Handoff(
                summary=f"the {out.channel} channel did not deliver the reply: {ticket.text[:160]}",
                reason=f"delivery_failed: {error}"[:255],
                tried=(f"{out.channel}: {error}",),
                context_excerpt=ticket.text[:2000],
                suggested_reply=out.body,
            )
            if out.kind is Kind.REPLY
            else None
        )
        self._deliveries.failed(key_for(ticket_id, out.kind), error, handoff)
