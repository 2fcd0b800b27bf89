"""Zendesk webhooks: the signature over the raw bytes, then the two payload kinds, as comments.

**Signature** (FACTS-channels §1.2): ``base64(HMAC-SHA256(secret, timestamp + raw_body))`` in
``X-Zendesk-Webhook-Signature``, the ISO-8601 timestamp in ``X-Zendesk-Webhook-Signature-Timestamp``. The
legacy page's worked vector matches ``body + timestamp`` instead, so the order is a setting
(``signature_order``) and ``either`` accepts both. A timestamp outside the replay window is refused.

**Event webhooks** (``zen:event-type:ticket.comment_added`` / ``ticket.created``) carry the ticket in
``detail`` and the comment in ``event.comment`` but no email: the author is fetched with
``GET /api/v2/users/{id}.json``. ``ticket.created`` carries no comment id, so the ticket's first comment is
fetched: its external id is then the one a later ``comment_added`` for it would give, and the two dedupe.

**Trigger webhooks** carry what the admin's body template says; :data:`TRIGGER_BODY_TEMPLATE` is the one to
paste (see ``docs`` in the module's constants).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ticketflow.channels.zendesk.comment import Comment, html_to_text, role_of
from ticketflow.channels.zendesk.settings_model import SignatureOrder
from ticketflow.errors import InputError, SignatureError, UnreadableInput

SIGNATURE_HEADER = "x-zendesk-webhook-signature"
TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"
INVOCATION_HEADER = "x-zendesk-webhook-invocation-id"
EVENT_PREFIX = "zen:event-type:"
COMMENT_ADDED = EVENT_PREFIX + "ticket.comment_added"
TICKET_CREATED = EVENT_PREFIX + "ticket.created"
INVALID = "the Zendesk webhook payload is invalid"

TRIGGER_BODY_TEMPLATE = """{
  "ticket_id": "{{ticket.id}}",
  "comment_id": "{{ticket.latest_comment.id}}",
  "subject": "{{ticket.title}}",
  "requester_email": "{{ticket.requester.email}}",
  "requester_name": "{{ticket.requester.name}}",
  "body": "{{ticket.latest_comment}}",
  "body_html": "{{ticket.latest_comment_html}}",
  "author_id": "{{current_user.id}}",
  "author_role": "{{current_user.role}}",
  "via": "{{ticket.via}}",
  "tags": "{{ticket.tags}}",
  "created_at": "{{ticket.created_at_with_timestamp}}"
}"""
"""The JSON body an admin pastes into the trigger's "Notify by > Active webhook" action.

Trigger conditions to pair it with: *Ticket > Comment* is *Public*, and *Current user* is *(end user)*; we
check ``author_role`` again, so a trigger that also fires for agents is safe, only wasteful.
"""


def signature(secret: str, timestamp: str, body: bytes, order: SignatureOrder = "timestamp_body") -> str:
    """The base64 HMAC-SHA256 Zendesk sends, over ``timestamp + body`` (or ``body + timestamp``)."""
    signed = body + timestamp.encode() if order == "body_timestamp" else timestamp.encode() + body
    return base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


def verify(
    body: bytes,
    signature_header: str | None,
    timestamp_header: str | None,
    *,
    secret: str | None,
    order: SignatureOrder,
    window: timedelta,
    now: datetime,
) -> None:
    """Refuse unless the signature matches the raw ``body`` and the timestamp is inside ``window``."""
    if not secret:
        raise SignatureError("no Zendesk webhook signing secret is configured, so no webhook is accepted")
    if not signature_header or not timestamp_header:
        raise SignatureError(f"the request has no {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} headers")
    try:
        signed_at = datetime.fromisoformat(timestamp_header.strip())
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not ISO-8601: {timestamp_header[:40]!r}") from None
    if signed_at.tzinfo is None:
        raise SignatureError(f"{TIMESTAMP_HEADER} has no time zone: {timestamp_header[:40]!r}")
    skew = abs(now - signed_at)
    if skew > window:
        raise SignatureError(
            f"{TIMESTAMP_HEADER} is {skew.total_seconds():.0f} s away from now (window "
            f"{window.total_seconds():.0f} s): a replay, or a clock is wrong"
        )
    orders: tuple[SignatureOrder, ...] = (
        ("timestamp_body", "body_timestamp") if order == "either" else (order,)
    )
    given = signature_header.strip().encode()
    if not any(
        hmac.compare_digest(signature(secret, timestamp_header, body, o).encode(), given) for o in orders
    ):
        raise SignatureError()


# payloads


def _id_text(value: Any) -> Any:
    """Zendesk sends ids as numbers or strings (and templates render them as strings): keep them as text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    return value.strip() if isinstance(value, str) else value


ZendeskId = Annotated[str, BeforeValidator(_id_text), Field(pattern=r"^\d+$")]
"""A Zendesk id: digits (an unrendered ``{{placeholder}}`` is refused here, naming the field)."""


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class AuthorIn(_Lenient):
    """A comment's author as an event webhook carries it (``is_staff`` tells agents from end-users)."""

    id: ZendeskId | None = None
    is_staff: bool | None = None
    name: str | None = None


class CommentIn(_Lenient):
    """The comment an event webhook carries."""

    id: ZendeskId
    body: str = ""
    html_body: str | None = None
    is_public: bool = True
    author: AuthorIn = AuthorIn()


class EventIn(_Lenient):
    """An event webhook's ``event`` (a comment for ``ticket.comment_added``)."""

    comment: CommentIn | None = None


class DetailIn(_Lenient):
    """An event webhook's ``detail``: the ticket the event happened to."""

    id: ZendeskId
    subject: str | None = None
    requester_id: ZendeskId | None = None


class EventWebhook(_Lenient):
    """An event webhook's envelope (FACTS-channels §1.3)."""

    type: str = Field(pattern=r"^zen:event-type:")
    id: str = Field(min_length=1)
    detail: DetailIn
    event: EventIn = EventIn()


class TriggerWebhook(_Lenient):
    """A trigger webhook rendered from :data:`TRIGGER_BODY_TEMPLATE`."""

    ticket_id: ZendeskId
    comment_id: ZendeskId
    author_role: str = Field(min_length=1)
    author_id: str = ""
    subject: str = ""
    requester_email: str = ""
    requester_name: str = ""
    body: str | None = None
    body_html: str | None = None
    is_public: bool | None = None


TRIGGER_FIELDS = (
    "ticket_id",
    "comment_id",
    "author_role",
    "author_id",
    "subject",
    "requester_email",
    "requester_name",
    "body",
    "body_html",
)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A Zendesk event webhook (zen:event-type:ticket.comment_added or ticket.created) or a "
    "trigger webhook rendered from ticketflow's body template.",
    "anyOf": [
        {
            "type": "object",
            "required": ["type", "id", "detail"],
            "properties": {
                "type": {"type": "string", "pattern": "^zen:event-type:"},
                "id": {"type": "string"},
                "detail": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
                "event": {"type": "object", "properties": {"comment": {"type": "object"}}},
            },
        },
        {
            "type": "object",
            "required": ["ticket_id", "comment_id", "author_role"],
            "properties": {name: {"type": "string"} for name in TRIGGER_FIELDS},
        },
    ],
}


def read(body: bytes) -> EventWebhook | TriggerWebhook:
    """The payload, validated; errors located as ``body.<field>`` (the ``InputError`` contract)."""
    try:
        decoded = json.loads(body)
    except json.JSONDecodeError as exc:
        raise UnreadableInput(
            errors=[_problem(f"body.{exc.pos}", "JSON decode error", "json_invalid")]
        ) from exc
    except UnicodeDecodeError as exc:
        raise UnreadableInput(
            errors=[_problem("body", f"not UTF-8 (byte {exc.start})", "json_invalid")]
        ) from exc
    if not isinstance(decoded, dict):
        raise InputError(INVALID, errors=[_problem("body", "a JSON object is required", "model_type")])
    model: type[EventWebhook] | type[TriggerWebhook]
    if isinstance(decoded.get("type"), str) or "detail" in decoded:
        model = EventWebhook
    elif "ticket_id" in decoded:
        model = TriggerWebhook
    else:
        problem = "neither an event webhook ('type', 'detail') nor the trigger template ('ticket_id', …)"
        raise InputError(INVALID, errors=[_problem("body", problem, "unknown_payload")])
    try:
        return model.model_validate(decoded)
    except ValidationError as exc:
        errors = [
            _problem(".".join(str(p) for p in ("body", *e["loc"])), e["msg"], e["type"]) for e in exc.errors()
        ]
        raise InputError(INVALID, errors=errors) from exc


class Directory(Protocol):
    """The lookups parsing needs (the ``ZendeskClient`` provides them)."""

    def user(self, user_id: str) -> dict[str, Any]: ...

    def ticket(self, ticket_id: str) -> dict[str, Any]: ...

    def comments(self, ticket_id: str) -> list[dict[str, Any]]: ...


def comments_of(
    payload: EventWebhook | TriggerWebhook, directory: Directory
) -> tuple[list[Comment], str | None]:
    """The comment(s) a payload reports, authors resolved; else no comment and the reason (other events)."""
    if isinstance(payload, TriggerWebhook):
        return [_trigger_comment(payload, directory)], None
    kind = payload.type
    ticket = payload.detail
    if kind == COMMENT_ADDED:
        if payload.event.comment is None:
            raise InputError(INVALID, errors=[_problem("body.event.comment", "Field required", "missing")])
        return [_event_comment(ticket, payload.event.comment, directory)], None
    if kind == TICKET_CREATED:
        first = next(iter(directory.comments(ticket.id)), None)
        if first is None:
            return [], "a new ticket without comments"
        return [comment_from_api(ticket.id, first, directory, subject=ticket.subject)], None
    return [], f"a {kind.removeprefix(EVENT_PREFIX)} event, not a comment"


def _event_comment(ticket: DetailIn, comment: CommentIn, directory: Directory) -> Comment:
    author_id = comment.author.id
    text = html_to_text(comment.body or comment.html_body or "")
    base = Comment(
        ticket.id, comment.id, text, comment.is_public, author_id, "unknown", subject=ticket.subject
    )
    if comment.author.is_staff:
        return dataclasses.replace(base, role="agent")
    if author_id is None:
        return base
    user = directory.user(author_id)
    return dataclasses.replace(
        base, role=role_of(str(user.get("role") or "")), email=_text(user.get("email"))
    )


def comment_from_api(
    ticket_id: str, comment: dict[str, Any], directory: Directory, *, subject: str | None
) -> Comment:
    """A comment as ``comments.json`` lists it (``id, body, public, author_id``), author looked up."""
    author_id = _text(comment.get("author_id"))
    body = comment.get("body") or comment.get("html_body") or ""
    role: str | None = None
    email: str | None = None
    if author_id:
        user = directory.user(author_id)
        role, email = str(user.get("role") or ""), _text(user.get("email"))
    return Comment(
        ticket_id=ticket_id,
        comment_id=str(comment.get("id")),
        text=html_to_text(str(body)),
        public=comment.get("public") is not False,
        author_id=author_id,
        role=role_of(role),
        email=email,
        subject=subject,
    )


def _trigger_comment(payload: TriggerWebhook, directory: Directory) -> Comment:
    if payload.body is None and payload.body_html is None:
        raise InputError(
            INVALID, errors=[_problem("body.body", "Field required: the comment's text", "missing")]
        )
    email = payload.requester_email.strip() or None
    role = role_of(payload.author_role)
    if email is None and role == "end-user":
        # the template's requester_email rendered empty: ask Zendesk who the requester is
        requester = _text(directory.ticket(payload.ticket_id).get("requester_id"))
        email = _text(directory.user(requester).get("email")) if requester else None
    return Comment(
        ticket_id=payload.ticket_id,
        comment_id=payload.comment_id,
        text=html_to_text(payload.body or payload.body_html or ""),
        public=payload.is_public is not False,
        author_id=payload.author_id.strip() or None,
        role=role,
        email=email,
        subject=payload.subject or None,
    )


def redelivery_key(payload: EventWebhook | TriggerWebhook, invocation_id: str | None) -> str | None:
    """What identifies a redelivery of the same webhook: the event id, or the trigger's invocation id (❓)."""
    if isinstance(payload, EventWebhook):
        return f"zd:event:{payload.id}"
    return f"zd:invocation:{invocation_id}" if invocation_id else None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _problem(where: str, problem: str, kind: str) -> dict[str, str]:
    return {"where": where, "problem": problem, "type": kind}
