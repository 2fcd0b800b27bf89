"""Typed identifiers: random ids for what the store accepts, and the keys that dedupe a channel's messages.

A stored ticket's or conversation's id is random (``t_``/``c_`` + 128 bits), so knowing a channel's message
id does not let anyone compute the ticket id that ``GET /v1/tickets/{id}`` answers for. Deduplication goes by
what the channel sent instead: a ticket is unique by ``(channel, external_id)`` (and its workflow key), a
conversation by ``(channel, external_ref)``.

The ``MAX_*`` lengths are the schema's columns, which the API's payload bounds too.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import NewType

TicketId = NewType("TicketId", str)
ConversationId = NewType("ConversationId", str)
CustomerId = NewType("CustomerId", str)

MAX_ID = 64
"""Our own ids (``tickets.id``, ``conversations.id``): nothing longer can name a ticket."""
MAX_EXTERNAL_ID = 255
"""A channel's message id (``tickets.external_id``)."""
MAX_CONVERSATION_REF = 512
"""A channel's thread reference (``conversations.external_ref``); also holds ``ticket:{external_id}``."""
MAX_WORKFLOW_ID = 512
"""``tickets.workflow_id``: ``msg:{channel}:{external_id}`` (channel names are at most 32 characters)."""
MAX_CHANNEL = 32
MAX_CUSTOMER_ID = 128
MAX_CUSTOMER_EMAIL = 320


def could_be_id(value: str) -> bool:
    """Whether ``value`` may name a stored ticket or conversation (if not, it names none: look nothing up)."""
    if len(value) > MAX_ID or "\x00" in value:
        return False
    return not any("\ud800" <= c <= "\udfff" for c in value)


def workflow_key(channel: str, external_id: str) -> str:
    """The idempotency key of an inbound message: a duplicate delivery maps to the same key."""
    return f"msg:{channel}:{external_id}"


def thread_ref(external_id: str, conversation_ref: str | None) -> str:
    """The conversation a message belongs to: its channel's thread, or one of its own when it names none."""
    return conversation_ref if conversation_ref is not None else f"ticket:{external_id}"


def new_ticket_id() -> TicketId:
    """A fresh, unguessable ticket id, assigned when a message is accepted."""
    return TicketId(f"t_{secrets.token_urlsafe(16)}")


def new_conversation_id() -> ConversationId:
    """A fresh, unguessable conversation id, assigned when a conversation's first message is accepted."""
    return ConversationId(f"c_{secrets.token_urlsafe(16)}")


def ticket_id_for(channel: str, external_id: str) -> TicketId:
    """A stable id for a ticket that is never stored (evaluation runs, tests): the same record, the same id.

    Never the id of a stored ticket: those are random (:func:`new_ticket_id`).
    """
    digest = hashlib.sha256(workflow_key(channel, external_id).encode()).hexdigest()
    return TicketId(f"t_{digest[:20]}")


def conversation_id_for(channel: str, external_conversation_id: str) -> ConversationId:
    """A stable conversation id for a ticket that is never stored, as :func:`ticket_id_for`."""
    digest = hashlib.sha256(f"conv:{channel}:{external_conversation_id}".encode()).hexdigest()
    return ConversationId(f"c_{digest[:20]}")
