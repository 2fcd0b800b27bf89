"""``MemoryChannel``: a ``Channel`` in memory, signed like a helpdesk webhook, that remembers what it sent.

Its payload is a small JSON document, one or more messages, each saying who wrote it::

    {"messages": [{"id": "m-1", "thread": "th-1", "author": "customer", "note": false,
                   "customer": {"email": "ada@example.com"}, "subject": "Delivery", "text": "Hi"}]}

With a ``secret`` it signs and verifies as the helpdesks do (``FACTS-channels.md`` §0, §1.2): an HMAC-SHA256
over the timestamp header followed by the raw body, hex in ``x-memory-signature: sha256=...``, compared in
constant time, refused outside a replay window. Outbound calls are recorded in ``sent``; a repeated
idempotency key returns the first receipt and sends nothing, as a careful real sender would. ``fail_next``
scripts the failures a real channel has (unavailable, refused) for tests of whatever calls it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Handoff
from ticketflow.errors import ChannelError, InputError, SignatureError, UnreadableInput, Unsupported
from ticketflow.ports.channel import (
    Assignee,
    Author,
    Capability,
    ChannelRequest,
    Ignored,
    Parsed,
    Receipt,
    Thread,
)

SIGNATURE_HEADER = "x-memory-signature"
TIMESTAMP_HEADER = "x-memory-timestamp"
INVALID = "the memory-channel payload is invalid"
WHY_IGNORED = {
    Author.AGENT: "an agent's reply",
    Author.US: "our own echo",
    Author.SYSTEM: "a system event",
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["messages"],
    "properties": {
        "messages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "author", "customer", "text"],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "thread": {"type": "string"},
                    "author": {"enum": [a.value for a in Author]},
                    "customer": {
                        "type": "object",
                        "properties": {"email": {"type": "string"}, "id": {"type": "string"}},
                    },
                    "subject": {"type": "string"},
                    "text": {"type": "string"},
                    "note": {"type": "boolean"},
                },
            },
        }
    },
}


@dataclass(frozen=True, slots=True)
class Sent:
    """One outbound call the channel carried out: what, where, with which key, and its receipt."""

    operation: Capability
    thread: Thread
    content: str | tuple[str, ...] | Handoff | Assignee
    idempotency_key: str
    receipt: Receipt


def encode(*messages: dict[str, Any]) -> bytes:
    """A payload holding ``messages`` (dicts in the format of the module docstring)."""
    return json.dumps({"messages": list(messages)}).encode()


class MemoryChannel:
    """A ``Channel`` for tests: parses the simple payload above, signs with ``secret``, records every send."""

    def __init__(
        self,
        name: str = "memory",
        *,
        secret: str | None = None,
        window: timedelta = timedelta(minutes=5),
        capabilities: Iterable[Capability] = (
            Capability.REPLY,
            Capability.NOTE,
            Capability.HAND_OFF,
            Capability.TAG,
            Capability.ASSIGN,
        ),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self.capabilities = frozenset(capabilities) | ({Capability.SIGNED} if secret else set())
        self.sent: list[Sent] = []
        self._secret = secret
        self._window = window
        self._clock = clock
        self._receipts: dict[str, Receipt] = {}
        self._failures: list[ChannelError] = []

    # inbound

    def payload_schema(self) -> dict[str, Any]:
        return SCHEMA

    def sign(self, body: bytes, at: datetime | None = None) -> dict[str, str]:
        """The headers a sender holding the secret attaches to ``body`` (at ``at``, default now)."""
        if self._secret is None:
            raise ValueError("this MemoryChannel has no secret to sign with")
        timestamp = str(int((at or self._clock()).timestamp()))
        return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: f"sha256={self._digest(timestamp, body)}"}

    def verify(self, request: ChannelRequest) -> None:
        """Without a secret, accept; with one, require a fresh timestamp and a matching signature."""
        if self._secret is None:
            return
        timestamp, signature = request.header(TIMESTAMP_HEADER), request.header(SIGNATURE_HEADER)
        if not timestamp or not signature:
            raise SignatureError(f"the request has no {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} headers")
        if not timestamp.isdigit():
            raise SignatureError(f"{TIMESTAMP_HEADER} is not UNIX seconds: {timestamp[:40]!r}")
        skew = abs(self._clock() - datetime.fromtimestamp(int(timestamp), UTC))
        if skew > self._window:
            raise SignatureError(
                f"{TIMESTAMP_HEADER} is {skew.total_seconds():.0f} s away from now (window "
                f"{self._window.total_seconds():.0f} s): a replay, or the sender's clock is wrong"
            )
        expected = f"sha256={self._digest(timestamp, request.body)}"
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise SignatureError()

    def parse(self, request: ChannelRequest) -> Parsed:
        try:
            decoded = json.loads(request.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UnreadableInput(errors=[_problem("body", str(exc))]) from exc
        if not isinstance(decoded, dict) or not isinstance(decoded.get("messages"), list):
            raise InputError(INVALID, errors=[_problem("body.messages", "a list of messages is required")])
        messages: list[InboundMessage] = []
        ignored: list[Ignored] = []
        problems: list[dict[str, str]] = []
        for n, item in enumerate(decoded["messages"]):
            where = f"body.messages.{n}"
            if not isinstance(item, dict):
                problems.append(_problem(where, "a message is an object"))
                continue
            found = _check(item, where)
            if found:
                problems.extend(found)
                continue
            author = Author(item["author"])
            if author is not Author.CUSTOMER or item.get("note"):
                reason = "an internal note" if item.get("note") else WHY_IGNORED[author]
                ignored.append(Ignored(item["id"], author, reason))
                continue
            messages.append(
                InboundMessage(
                    channel=self.name,
                    external_id=item["id"],
                    customer=CustomerRef(email=item["customer"].get("email"), id=item["customer"].get("id")),
                    text=item["text"],
                    subject=item.get("subject"),
                    conversation_ref=item.get("thread"),
                    received_at=self._clock(),
                )
            )
        if problems:
            raise InputError(INVALID, errors=problems)
        return Parsed(tuple(messages), tuple(ignored))

    # outbound

    def fail_next(self, *errors: ChannelError) -> None:
        """Make the next outbound calls raise ``errors`` in order; a failed call sends nothing."""
        self._failures.extend(errors)

    def reply(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        return self._send(Capability.REPLY, thread, body, idempotency_key)

    def note(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        return self._send(Capability.NOTE, thread, body, idempotency_key)

    def hand_off(self, thread: Thread, handoff: Handoff, *, idempotency_key: str) -> Receipt:
        return self._send(Capability.HAND_OFF, thread, handoff, idempotency_key)

    def tag(self, thread: Thread, tags: tuple[str, ...], *, idempotency_key: str) -> Receipt:
        return self._send(Capability.TAG, thread, tuple(tags), idempotency_key)

    def assign(self, thread: Thread, assignee: Assignee, *, idempotency_key: str) -> Receipt:
        return self._send(Capability.ASSIGN, thread, assignee, idempotency_key)

    def sent_for(self, operation: Capability) -> list[Sent]:
        """The calls of one kind carried out, oldest first."""
        return [s for s in self.sent if s.operation is operation]

    def _send(
        self,
        operation: Capability,
        thread: Thread,
        content: str | tuple[str, ...] | Handoff | Assignee,
        key: str,
    ) -> Receipt:
        if operation not in self.capabilities:
            raise Unsupported.operation(self.name, operation.value.replace("_", " "))
        if key in self._receipts:
            return self._receipts[key]
        if self._failures:
            raise self._failures.pop(0)
        receipt = Receipt(message_id=f"{self.name}-{len(self.sent) + 1}", at=self._clock())
        self._receipts[key] = receipt
        self.sent.append(Sent(operation, thread, content, key, receipt))
        return receipt

    def _digest(self, timestamp: str, body: bytes) -> str:
        assert self._secret is not None
        return hmac.new(self._secret.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()


def _check(item: dict[str, Any], where: str) -> list[dict[str, str]]:
    """The problems of one message object, each located."""
    problems = []
    for name in ("id", "text"):
        if not isinstance(item.get(name), str) or not item[name].strip():
            problems.append(_problem(f"{where}.{name}", "a non-blank string is required"))
    if item.get("author") not in {a.value for a in Author}:
        problems.append(_problem(f"{where}.author", f"one of {', '.join(a.value for a in Author)}"))
    customer = item.get("customer")
    if not isinstance(customer, dict) or not (customer.get("email") or customer.get("id")):
        problems.append(_problem(f"{where}.customer", "an object with 'email' or 'id' is required"))
    elif any(not isinstance(customer.get(k, ""), str) for k in ("email", "id")):
        problems.append(_problem(f"{where}.customer", "'email' and 'id' are strings"))
    for name in ("thread", "subject"):
        if name in item and not isinstance(item[name], str):
            problems.append(_problem(f"{where}.{name}", "a string is required"))
    return problems


def _problem(where: str, problem: str) -> dict[str, str]:
    return {"where": where, "problem": problem}
