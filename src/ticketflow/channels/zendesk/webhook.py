"""Zendesk webhooks: the signature over the raw bytes, then the two payload kinds, as comments.

**Signature** (FACTS-channels §1.2): ``base64(HMAC-SHA256(secret, timestamp + raw_body))`` in
``X-Zendesk-Webhook-Signature``, the ISO-8601 timestamp in ``X-Zendesk-Webhook-Signature-Timestamp``. The
legacy page's worked vector matches ``body + timestamp`` instead, so the order is a setting
(``signature_order``) and ``either`` accepts both. A timestamp outside the replay window is refused.

**Event webhooks** (``zen:event-type:ticket.comment_added`` / ``ticket.created``) carry the ticket in
``detail`` and the comment in ``event.comment`` but no email: the author is fetched with
``GET /api/v2/users/{id}.json``. ``ticket.created`` carries no comment id, so the ticket's first comment is
fetched: its external id is then the one a later ``comment_added`` for it would give, and the two dedupe.

**Trigger webhooks** carry what the admin's body template says, and ``webhook_body`` says which one:

- ``ids`` (:data:`IDS_TRIGGER_BODY_TEMPLATE`): ids and roles only, no free text, so the body is valid JSON
  whether or not Zendesk JSON-escapes placeholder values (FACTS-channels §1.3 leaves that unconfirmed). The
  comment (text, HTML, public flag, author) is read from ``GET /tickets/{id}/comments.json`` and its author
  from ``GET /users/{id}.json``, the ticket's subject from ``GET /tickets/{id}.json``, before the message
  is stored: on the webhook's short read-back budget, a failure a 503 that asks Zendesk to redeliver.
- ``full`` (:data:`TRIGGER_BODY_TEMPLATE`): the comment's text rides in the body and nothing is looked up
  (unless the requester's email rendered empty). If Zendesk does not escape, a comment with a quote or a
  line break makes the body invalid JSON: that is refused with a 400 naming the likely cause and the
  setting to change.
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
from ticketflow.channels.zendesk.settings_model import SignatureOrder, WebhookBody
from ticketflow.errors import ChannelUnavailable, InputError, SignatureError, UnreadableInput

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
"""The JSON body for ``webhook_body = "full"``: the comment's text rides in the body.

Pasted into the trigger's "Notify by > Active webhook" action. Trigger conditions to pair it with: *Ticket >
Comment* is *Public*, and *Current user* is *(end user)*; we check ``author_role`` again, so a trigger that
also fires for agents is safe, only wasteful. It is valid JSON only if Zendesk JSON-escapes placeholder
values (unconfirmed): prefer :data:`IDS_TRIGGER_BODY_TEMPLATE`.
"""

IDS_TRIGGER_BODY_TEMPLATE = """{
  "ticket_id": "{{ticket.id}}",
  "comment_id": "{{ticket.latest_comment.id}}",
  "requester_id": "{{ticket.requester.id}}",
  "author_id": "{{current_user.id}}",
  "author_role": "{{current_user.role}}"
}"""
"""The JSON body for ``webhook_body = "ids"`` (the default): ids and a role, never free text.

Every value is digits or a role name, so no quote or line break can reach the body and it stays valid JSON
whichever way Zendesk renders placeholders; the comment itself is read from the API. The same trigger
conditions as :data:`TRIGGER_BODY_TEMPLATE`.
"""

MISSING_COMMENT_RETRY_S = 30.0
"""The ``Retry-After`` asked for when the comment a trigger names is not listed on its ticket yet."""


def trigger_template(mode: WebhookBody) -> str:
    """The trigger body to paste for the ``webhook_body`` setting."""
    return IDS_TRIGGER_BODY_TEMPLATE if mode == "ids" else TRIGGER_BODY_TEMPLATE


def not_json_message(mode: WebhookBody | None) -> str:
    """Why a Zendesk webhook body is not JSON, most likely, and what to change."""
    cause = (
        "the Zendesk webhook body is not valid JSON. A trigger's body breaks like this when a placeholder "
        "holding free text (such as {{ticket.latest_comment}} or {{ticket.title}}) is rendered without "
        "JSON-escaping a quote, a backslash or a line break"
    )
    if mode == "ids":
        return (
            f'{cause}: with [channels.zendesk] webhook_body = "ids", paste the ids-only body that '
            "`ticketflow channels check` prints into the trigger; it holds no free text"
        )
    return (
        f'{cause}: set [channels.zendesk] webhook_body = "ids" and paste the ids-only body that '
        "`ticketflow channels check` prints into the trigger; ticketflow then reads the comment from the "
        "API, whichever way Zendesk renders placeholders"
    )


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
    """A trigger webhook rendered from :data:`IDS_TRIGGER_BODY_TEMPLATE` or :data:`TRIGGER_BODY_TEMPLATE`."""

    ticket_id: ZendeskId
    comment_id: ZendeskId
    author_role: str = Field(min_length=1)
    author_id: str = ""
    requester_id: str = ""
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
    "requester_id",
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


def read(body: bytes, mode: WebhookBody | None = None) -> EventWebhook | TriggerWebhook:
    """The payload, validated; errors located as ``body.<field>`` (the ``InputError`` contract).

    A body that is not JSON is ``UnreadableInput`` (a 400) whose message names the likely cause (a trigger
    placeholder rendered unescaped) and what to change for the ``webhook_body`` setting ``mode``.
    """
    try:
        decoded = json.loads(body)
    except json.JSONDecodeError as exc:
        raise UnreadableInput(
            not_json_message(mode),
            errors=[_problem(f"body.{exc.pos}", f"JSON decode error: {exc.msg}", "json_invalid")],
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
    payload: EventWebhook | TriggerWebhook, directory: Directory, mode: WebhookBody = "ids"
) -> tuple[list[Comment], str | None]:
    """The comment(s) a payload reports, authors resolved; else no comment and the reason (other events).

    ``mode`` is the ``webhook_body`` setting: with ``ids`` a trigger's comment is read from the API (any
    text the body carries is not trusted), with ``full`` it is taken from the body.
    """
    if isinstance(payload, TriggerWebhook):
        if mode == "ids":
            return [_listed_comment(payload, directory)], None
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


def _listed_comment(payload: TriggerWebhook, directory: Directory) -> Comment:
    """The comment a trigger names, read from the ticket's comments (all pages), author looked up."""
    listed = directory.comments(payload.ticket_id)
    found = next((c for c in listed if _text(c.get("id")) == payload.comment_id), None)
    if found is None:
        # the trigger rendered the ticket's latest comment, so it exists: Zendesk has not listed it yet
        raise ChannelUnavailable(
            f"zendesk: comment {payload.comment_id} is not among ticket {payload.ticket_id}'s "
            f"{len(listed)} comments yet",
            retry_after=MISSING_COMMENT_RETRY_S,
        )
    comment = comment_from_api(payload.ticket_id, found, directory, subject=None)
    if comment.role == "end-user" and comment.public:  # only a message to answer needs the subject
        subject = _text(directory.ticket(payload.ticket_id).get("subject"))
        comment = dataclasses.replace(comment, subject=subject)
    return comment


def _trigger_comment(payload: TriggerWebhook, directory: Directory) -> Comment:
    if payload.body is None and payload.body_html is None:
        problem = (
            "Field required: the comment's text (the full template's body); if the trigger sends the "
            'ids-only template, set [channels.zendesk] webhook_body = "ids"'
        )
        raise InputError(INVALID, errors=[_problem("body.body", problem, "missing")])
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
