"""The HTTP API channel: the ``POST /v1/messages`` payload, its normalisation, and where replies go.

API clients are authenticated by API keys at the HTTP layer, so ``verify`` accepts every request. A reply is
part of the ticket that ``GET /v1/tickets/{id}`` returns and of the conversation's event stream; when the key
that submitted the message has a webhook URL, ``reply`` also POSTs it there, signed (see
:mod:`ticketflow.channels.api_webhook`). Notes, tags, assignment and handoffs have nowhere to go on this
channel and are declared unsupported.
"""

from __future__ import annotations

import email.message
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from ticketflow.channels.api_webhook import post, verify_webhook
from ticketflow.domain.access import WebhookTarget
from ticketflow.domain.ids import MAX_CONVERSATION_REF, MAX_CUSTOMER_EMAIL, MAX_CUSTOMER_ID, MAX_EXTERNAL_ID
from ticketflow.domain.message import CHANNELS, ChannelName, CustomerRef, InboundMessage
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.text import control, strip_controls, unstorable
from ticketflow.errors import InputError, UnreadableInput, Unsupported
from ticketflow.ports.channel import Assignee, Capability, ChannelRequest, Parsed, Receipt, Thread

__all__ = ["CHANNELS", "MAX_TEXT_CHARS", "ApiChannel", "CustomerIn", "MessageIn", "verify_webhook"]

MAX_TEXT_CHARS = 100_000
MAX_SUBJECT_CHARS = 1000
INVALID = "the message is invalid"


def _an_id(value: Any) -> Any:
    """An id is kept exactly as sent, so one holding NUL, a lone surrogate or any control character
    (tab and newline included) is refused: stripping it would make two different ids the same one."""
    if isinstance(value, str):
        problem = unstorable(value) or control(value)
        if problem:
            raise ValueError(problem)
    return value


def _free_text(value: Any) -> Any:
    """Free text may not hold NUL or a lone surrogate (no database stores them); other control characters
    are dropped, except tab, newline and carriage return."""
    if isinstance(value, str):
        problem = unstorable(value)
        if problem:
            raise ValueError(problem)
        return strip_controls(value)
    return value


Id = Annotated[str, BeforeValidator(_an_id)]
"""A string kept as sent, that a database can store: no NUL, no lone surrogate, no control character."""
FreeText = Annotated[str, BeforeValidator(_free_text)]
"""A string a database can store: NUL and lone surrogates refused, other control characters dropped."""


class CustomerIn(BaseModel):
    """Who wrote: an email address, an account id, or both (at least one)."""

    model_config = ConfigDict(extra="forbid")

    email: Id | None = Field(None, max_length=MAX_CUSTOMER_EMAIL, pattern=r"^[^@\s]+@[^@\s]+$")
    id: Id | None = Field(None, min_length=1, max_length=MAX_CUSTOMER_ID)

    @model_validator(mode="after")
    def _one_of(self) -> CustomerIn:
        if not (self.email or self.id):
            raise ValueError("customer needs 'email' or 'id'")
        return self


class MessageIn(BaseModel):
    """One customer message. ``external_id`` is the sender's id for it: resending it creates nothing new.

    Every string must be storable: NUL and lone surrogates are refused (422 naming the field), as is any
    control character in an id; ``subject`` and ``text`` lose their control characters other than tab,
    newline and carriage return. The length limits are the database columns'.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "channel": "chat",
                "external_id": "chat-8841",
                "conversation_id": "session-12",
                "customer": {"email": "ana@example.com"},
                "subject": "Where is my order?",
                "text": "Hi, my order NW-100234 has not arrived yet.",
            }
        },
    )

    channel: ChannelName
    external_id: Id = Field(..., min_length=1, max_length=MAX_EXTERNAL_ID)
    conversation_id: Id | None = Field(None, min_length=1, max_length=MAX_CONVERSATION_REF)
    customer: CustomerIn
    subject: FreeText | None = Field(None, max_length=MAX_SUBJECT_CHARS)
    text: FreeText = Field(..., min_length=1, max_length=MAX_TEXT_CHARS)

    @model_validator(mode="after")
    def _not_blank(self) -> MessageIn:
        if not self.text.strip():
            raise ValueError("text is blank")
        return self

    def to_message(self) -> InboundMessage:
        return InboundMessage(
            channel=self.channel,
            external_id=self.external_id,
            customer=CustomerRef(email=self.customer.email, id=self.customer.id),
            text=self.text,
            subject=self.subject,
            conversation_ref=self.conversation_id,
            received_at=datetime.now(UTC),
        )


class ApiChannel:
    """The ``Channel`` behind ``POST /v1/messages``: one JSON ``MessageIn`` per request.

    ``webhooks`` finds the webhook of the API key that submitted a thread's message (``Thread.origin``),
    or None when it has none.
    """

    name = "api"
    capabilities = frozenset({Capability.REPLY})

    def __init__(self, webhooks: Callable[[str], WebhookTarget | None] | None = None) -> None:
        self._webhooks = webhooks

    def payload_schema(self) -> dict[str, Any]:
        return inline_refs(MessageIn.model_json_schema())

    def verify(self, request: ChannelRequest) -> None:
        """Accept: the HTTP layer has authenticated the client by its API key."""

    def parse(self, request: ChannelRequest) -> Parsed:
        """The one message of a JSON body, with errors located as ``body.<field>``."""
        return Parsed(messages=(read_message(request).to_message(),))

    def reply(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        """POST the reply to the submitting key's webhook, if it has one; otherwise it is only in the ticket.

        The receipt's id comes from the idempotency key, so a repeat is the same. The key is the sender's
        ``send:{ticket_id}:{kind}``, from which the payload's ``ticket_id`` and ``type`` are read.
        """
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
        receipt = Receipt(message_id=f"r_{digest}", at=datetime.now(UTC))
        target = self._webhooks(thread.origin) if self._webhooks and thread.origin else None
        if target is not None:
            parts = idempotency_key.split(":")
            payload: dict[str, str | None] = {
                "type": "holding" if parts[-1] == "holding" else "reply",
                "ticket_id": parts[1] if len(parts) == 3 and parts[0] == "send" else None,
                "conversation_id": thread.conversation_ref,
                "external_id": thread.external_id,
                "text": body,
                "idempotency_key": idempotency_key,
                "at": receipt.at.isoformat(),
            }
            post(target, payload, idempotency_key, receipt.at)
        return receipt

    def note(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        raise Unsupported.operation(self.name, "add an internal note")

    def hand_off(self, thread: Thread, handoff: Handoff, *, idempotency_key: str) -> Receipt:
        raise Unsupported.operation(self.name, "hand off (the review queue holds the handoff)")

    def tag(self, thread: Thread, tags: tuple[str, ...], *, idempotency_key: str) -> Receipt:
        raise Unsupported.operation(self.name, "tag a thread")

    def assign(self, thread: Thread, assignee: Assignee, *, idempotency_key: str) -> Receipt:
        raise Unsupported.operation(self.name, "assign a thread")


def read_message(request: ChannelRequest) -> MessageIn:
    """Decode and validate the body as FastAPI did for a ``MessageIn`` parameter, with the same errors."""
    if not request.body:
        raise InputError(INVALID, errors=[_problem("body", "Field required", "missing")])
    if not _is_json(request.header("content-type")):
        problem = "the body must be JSON: send Content-Type: application/json"
        raise InputError(INVALID, errors=[_problem("body", problem, "content_type")])
    try:
        decoded = json.loads(request.body)
    except json.JSONDecodeError as exc:
        where = f"body.{exc.pos}"
        raise UnreadableInput(errors=[_problem(where, "JSON decode error", "json_invalid")]) from exc
    except UnicodeDecodeError as exc:
        problem = f"the body is not UTF-8 (byte {exc.start})"
        raise UnreadableInput(errors=[_problem("body", problem, "json_invalid")]) from exc
    if not isinstance(decoded, dict):
        problem = "Input should be a valid dictionary or object to extract fields from"
        raise InputError(INVALID, errors=[_problem("body", problem, "model_attributes_type")])
    try:
        return MessageIn.model_validate(decoded)
    except ValidationError as exc:
        errors = [
            _problem(".".join(str(p) for p in ("body", *e["loc"])), e["msg"], e["type"]) for e in exc.errors()
        ]
        raise InputError(INVALID, errors=errors) from exc


def _is_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json`` (any parameters), the types FastAPI reads as JSON."""
    if not content_type:
        return False
    parsed = email.message.Message()
    parsed["content-type"] = content_type
    subtype = parsed.get_content_subtype()
    return parsed.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def _problem(where: str, problem: str, kind: str) -> dict[str, str]:
    return {"where": where, "problem": problem, "type": kind}


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each ``$ref`` to its own ``$defs`` replaced by the definition (no model is recursive).

    An OpenAPI document resolves ``#/$defs/...`` against its own root, so a schema embedded in an operation
    must carry its definitions inline.
    """
    definitions = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                siblings = {key: resolve(value) for key, value in node.items() if key != "$ref"}
                return {**resolve(definitions[ref.removeprefix("#/$defs/")]), **siblings}
            return {key: resolve(value) for key, value in node.items() if key != "$defs"}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
