"""Which of a ticket's messages are the customer's and still unanswered: shared by the webhook and the poller.

A Freshdesk webhook does not say which conversation is new, and a polled ticket says nothing at all, so both
read the whole thread (``GET /api/v2/tickets/{id}`` and its conversations) and apply one rule:

- a ticket's first message is its **description** (``fd:{ticket}:desc``); every later one is a conversation
  (``fd:{ticket}:cv:{conversation.id}``);
- the customer's messages to answer are those after the last **public reply** by us or an agent (all of
  them, description included, when nobody has replied yet);
- everything else since that reply (the reply itself, private notes, other people's mail) is ``ignored``
  with its author and a reason. Older messages are history: neither answered nor reported.

Who the customer is depends on an unconfirmed fact (``FACTS-channels.md`` §3.2): ``incoming: true`` is read
as "from the customer" by the ``"incoming"`` rule; the ``"requester"`` rule instead requires ``user_id`` to
be the ticket's ``requester_id``. Our own messages are told from agents' by ``user_id`` (the agent the API
key belongs to) or by the ids of conversations this process created.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ticketflow.channels.freshdesk.client import parse_timestamp
from ticketflow.channels.freshdesk.text import html_to_text
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.ports.channel import Author, Ignored, Parsed

CHANNEL = "freshdesk"
SURVEY_SOURCE = 6
"""Conversation source 6 is a satisfaction-survey response: feedback, not a message to answer."""

JSON = dict[str, Any]


def description_id(ticket_id: int | str) -> str:
    """The external id of a ticket's first message, its description."""
    return f"fd:{ticket_id}:desc"


def conversation_id(ticket_id: int | str, conversation: int | str) -> str:
    """The external id of a later message of the ticket."""
    return f"fd:{ticket_id}:cv:{conversation}"


@dataclass(frozen=True, slots=True)
class Authorship:
    """How to tell the customer, ourselves and agents apart in a thread."""

    rule: Literal["incoming", "requester"] = "incoming"
    our_user_id: int | None = None
    our_conversations: Collection[int] = ()


@dataclass(frozen=True, slots=True)
class Requester:
    """The requester as the webhook body named them, used when the API's ticket lacks an email."""

    email: str | None = None
    name: str | None = None


def read_thread(
    ticket: JSON,
    conversations: Sequence[JSON],
    who: Authorship,
    *,
    now: datetime,
    requester: Requester = Requester(),
    only: int | None = None,
) -> Parsed:
    """The customer's unanswered messages of ``ticket``, and the rest since the last reply with reasons.

    ``only`` narrows the answer to one conversation (a webhook that names it); when the thread does not
    hold it (yet), the general rule applies.
    """
    ticket_id = ticket["id"]
    customer = _customer(ticket, requester)
    subject = ticket.get("subject") or None
    ordered = sorted(conversations, key=lambda c: (c.get("created_at") or "", c.get("id") or 0))
    authors = [_author(c, ticket.get("requester_id"), who) for c in ordered]

    def message(external_id: str, markup: object, plain: object, at: object) -> InboundMessage | Ignored:
        text = html_to_text(markup) if isinstance(markup, str) and markup.strip() else ""
        if not text and isinstance(plain, str):
            text = plain.strip()
        if not text:
            return Ignored(
                external_id, Author.CUSTOMER, "the customer's message has no text (attachments only?)"
            )
        return InboundMessage(
            channel=CHANNEL,
            external_id=external_id,
            customer=customer,
            text=text,
            subject=subject,
            conversation_ref=str(ticket_id),
            received_at=parse_timestamp(at) or now,
        )

    def conversation(c: JSON) -> InboundMessage | Ignored:
        return message(
            conversation_id(ticket_id, c["id"]), c.get("body"), c.get("body_text"), c.get("created_at")
        )

    found: list[InboundMessage | Ignored] = []
    focus = next((n for n, c in enumerate(ordered) if only is not None and c.get("id") == only), None)
    if focus is not None:
        author = authors[focus]
        external = conversation_id(ticket_id, ordered[focus]["id"])
        found.append(conversation(ordered[focus]) if author is None else Ignored(external, *author))
    else:
        answers = [
            n
            for n, a in enumerate(authors)
            if a is not None and a[0] in _ANSWERING and not _private(ordered[n])
        ]
        start = answers[-1] if answers else 0
        if not answers:
            markup, plain = ticket.get("description"), ticket.get("description_text")
            found.append(message(description_id(ticket_id), markup, plain, ticket.get("created_at")))
        for c, author in zip(ordered[start:], authors[start:], strict=True):
            found.append(
                conversation(c) if author is None else Ignored(conversation_id(ticket_id, c["id"]), *author)
            )
    return Parsed(
        messages=tuple(m for m in found if isinstance(m, InboundMessage)),
        ignored=tuple(m for m in found if isinstance(m, Ignored)),
    )


_ANSWERING = (Author.US, Author.AGENT)


def _private(conversation: JSON) -> bool:
    return conversation.get("private") is True


def _author(conversation: JSON, requester_id: object, who: Authorship) -> tuple[Author, str] | None:
    """None for the customer's message; else who wrote it and why it is not answered."""
    user = conversation.get("user_id")
    ours = (who.our_user_id is not None and user == who.our_user_id) or conversation.get("id") in set(
        who.our_conversations
    )
    if _private(conversation):
        return (Author.US, "our own private note") if ours else (Author.AGENT, "an agent's private note")
    if ours:
        return Author.US, "our own reply, reported back by Freshdesk"
    if conversation.get("source") == SURVEY_SOURCE:
        return Author.SYSTEM, "a satisfaction-survey response"
    incoming = conversation.get("incoming") is True
    if who.rule == "incoming":
        return None if incoming else (Author.AGENT, "an agent's reply")
    if requester_id is not None and user == requester_id:
        return None
    if incoming:
        return (
            Author.SYSTEM,
            f"an incoming message from someone other than the requester (user {user}), e.g. a CC",
        )
    return Author.AGENT, "an agent's reply"


def _customer(ticket: JSON, fallback: Requester) -> CustomerRef:
    requester = ticket.get("requester")
    email = requester.get("email") if isinstance(requester, dict) else None
    email = email or fallback.email
    if email:
        return CustomerRef(email=email)
    return CustomerRef(id=f"freshdesk:{ticket.get('requester_id')}")
