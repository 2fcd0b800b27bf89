"""Intercom webhooks: the signature over the raw bytes, then the notification → customers' messages.

Intercom signs each notification with ``X-Hub-Signature: sha1=<hex HMAC-SHA1(key, raw body)>``
(FACTS-channels §2.2). There is no timestamp, hence no replay window: a redelivery (``delivery_attempts``
grows) keeps the notification ``id`` (:func:`dedupe_key`) and its messages' external ids, which intake
dedupes on (``msg:intercom:{external id}``), so a redelivery creates nothing.

Only ``conversation.user.created`` (the first message, the ``source``) and ``conversation.user.replied`` (a
later part) carry customers' messages. ``conversation.admin.*`` topics are agents' actions or our own echoes;
every other topic carries no message. Whether the item lists every part or only the new one is unconfirmed
(FACTS §2.3), so :class:`WebhookReader` takes ``webhook_parts``: ``"full"`` answers only the newest customer
part, ``"newest"`` every customer part listed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ticketflow.channels.intercom.conversation import (
    CUSTOMER_TYPES,
    Conversation,
    Entry,
    Reader,
    entries,
    validate,
)
from ticketflow.errors import SignatureError, UnreadableInput
from ticketflow.ports.channel import Author, ChannelRequest, Ignored, Parsed

SIGNATURE_HEADER = "X-Hub-Signature"
CUSTOMER_TOPICS = frozenset({"conversation.user.created", "conversation.user.replied"})
INVALID = "the Intercom notification is invalid"


def signature(key: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value Intercom sends for ``body`` signed with ``key``."""
    return "sha1=" + hmac.new(key.encode(), body, hashlib.sha1).hexdigest()


def verify(request: ChannelRequest, key: str) -> None:
    """Refuse a request whose ``X-Hub-Signature`` is missing or not ours, comparing in constant time."""
    given = request.header(SIGNATURE_HEADER)
    if not given:
        raise SignatureError(f"the request has no {SIGNATURE_HEADER} header; is it from Intercom?")
    expected = signature(key, request.body)
    if not hmac.compare_digest(expected.encode(), given.strip().lower().encode()):
        raise SignatureError(
            f"{SIGNATURE_HEADER} does not match the body: check that the webhook secret is the key your "
            "Intercom app signs with (the app's client_secret, or a legacy subscription's hub_secret)"
        )


class NotificationData(BaseModel):
    """The notification's ``data``: its ``item`` is read as a conversation only when the topic is one."""

    model_config = ConfigDict(extra="ignore")

    item: dict[str, Any]


class Notification(BaseModel):
    """The envelope Intercom posts (FACTS-channels §2.3); ``data.item`` is checked per topic."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["notification_event"]
    id: str = Field(..., min_length=1)
    topic: str = Field(..., min_length=1)
    delivery_attempts: int = 1
    data: NotificationData


PAYLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An Intercom webhook notification (topics conversation.user.created / .replied answered).",
    "required": ["type", "id", "topic", "data"],
    "properties": {
        "type": {"const": "notification_event"},
        "id": {"type": "string", "description": "notif_…; the same on every redelivery"},
        "topic": {"type": "string"},
        "delivery_attempts": {"type": "integer"},
        "data": {
            "type": "object",
            "required": ["item"],
            "properties": {
                "item": {
                    "type": "object",
                    "description": "The conversation: id, source (first message), conversation_parts.",
                }
            },
        },
    },
}


def read_notification(body: bytes) -> Notification:
    """The envelope of ``body``, or an ``InputError`` locating each problem as ``body.<field>``."""
    try:
        decoded = json.loads(body)
    except json.JSONDecodeError as exc:
        raise UnreadableInput(errors=[_problem(f"body.{exc.pos}", "JSON decode error")]) from exc
    except UnicodeDecodeError as exc:
        raise UnreadableInput(errors=[_problem("body", f"the body is not UTF-8 (byte {exc.start})")]) from exc
    return validate(Notification, decoded, "body", INVALID)


def dedupe_key(request: ChannelRequest) -> str:
    """The redelivery key of a verified request: the notification id, the same across delivery attempts."""
    return f"intercom:{read_notification(request.body).id}"


class WebhookReader:
    """Reads a verified notification into ``Parsed``: customers' messages, everything else with a reason."""

    def __init__(self, reader: Reader, webhook_parts: Literal["full", "newest"]) -> None:
        self._reader = reader
        self._parts = webhook_parts

    def parse(self, body: bytes) -> Parsed:
        notification = read_notification(body)
        topic = notification.topic
        if not topic.startswith("conversation."):
            ref = str(notification.data.item.get("id") or notification.id)
            return Parsed(ignored=(Ignored(f"ic:{ref}", Author.SYSTEM, f"topic {topic} carries no message"),))
        if topic == "conversation.deleted":
            ref = str(notification.data.item.get("id") or notification.id)
            return Parsed(ignored=(Ignored(f"ic:{ref}", Author.SYSTEM, "the conversation was deleted"),))
        conversation = validate(Conversation, notification.data.item, "body.data.item", INVALID)
        chosen = self._chosen(topic, entries(conversation))
        if not chosen:
            return Parsed(
                ignored=(Ignored(f"ic:{conversation.id}", Author.SYSTEM, f"{topic} lists no part"),)
            )
        why_not = None if topic in CUSTOMER_TOPICS else f"topic {topic}: an action on the support side"
        messages, ignored = self._reader.read(conversation, chosen, why_not=why_not)
        return Parsed(tuple(messages), tuple(ignored))

    def _chosen(self, topic: str, all_entries: list[Entry]) -> list[Entry]:
        """The entries this notification is about (see the module docstring for the two readings)."""
        source, parts = all_entries[0], all_entries[1:]
        if topic == "conversation.user.created":
            # the source starts the conversation; parts so far (a bot's greeting, an assignment) are news too
            return [source, *parts]
        if self._parts == "newest" or not parts:
            return parts or ([source] if topic != "conversation.user.replied" else [])
        if topic not in CUSTOMER_TOPICS:
            return [parts[-1]]
        # the whole history is listed: the newest customer part is what was replied; later parts are news too
        customer = [n for n, e in enumerate(parts) if e.author.type in CUSTOMER_TYPES]
        return parts[customer[-1] :] if customer else [parts[-1]]


def _problem(where: str, problem: str) -> dict[str, str]:
    return {"where": where, "problem": problem, "type": "json_invalid"}
