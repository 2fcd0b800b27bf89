"""Freshdesk's webhook: checking the shared secret, and reading the body the admin's automation rule sends.

Freshdesk does not sign webhooks (``FACTS-channels.md`` §3.1): an automation rule's *Trigger Webhook* action
posts a body the admin writes from placeholders. So ticketflow requires a shared secret, sent either in a
header (``X-Ticketflow-Token`` unless configured otherwise) or in the URL (``?token=``), and compares it in
constant time before reading a byte of the body. Set up the rule like this (Admin → Automations → *Ticket
updates*, condition "a reply or the ticket is from the requester", action *Trigger Webhook*):

- request type ``POST``, URL ``https://<ticketflow>/webhooks/freshdesk`` (or ``…?token=<secret>`` when no
  custom header can be set), encoding JSON;
- a custom header ``X-Ticketflow-Token: <secret>``, the value of the environment variable
  ``TICKETFLOW_CHANNELS__FRESHDESK__WEBHOOK_SECRET`` (custom headers in the dialog are unconfirmed);
- content: :data:`BODY_TEMPLATE`, pasted as it is.

The body only names the ticket: which conversation is new is read from the API (see ``thread.py``), since
the placeholders hold no conversation id. A ``conversation_id``, when an integration can supply one, narrows
the answer to that conversation.
"""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ticketflow.errors import InputError, SignatureError, UnreadableInput
from ticketflow.ports.channel import ChannelRequest

INVALID = "the Freshdesk webhook body is invalid; paste the body template from the channel's docs"
URL_TOKEN = "token"
FORM = "application/x-www-form-urlencoded"

BODY_TEMPLATE = (
    '{"ticket_id":"{{ticket.id}}","subject":"{{ticket.subject}}",'
    '"requester_email":"{{ticket.from_email}}","requester_name":"{{ticket.requester.name}}",'
    '"body":"{{ticket.latest_public_comment}}","status":"{{ticket.status}}",'
    '"source":"{{ticket.source}}","tags":"{{ticket.tags}}","conversation_id":""}'
)
"""What the admin pastes as the rule's content. Placeholders render as strings; ``body`` is HTML."""


def verify_token(request: ChannelRequest, secret: str, *, header: str, allow_url_token: bool) -> None:
    """Accept the request only when it carries ``secret`` in ``header`` (or the URL token); constant time."""
    presented = request.header(header)
    where = f"the {header} header"
    if presented is None and allow_url_token:
        presented, where = request.query.get(URL_TOKEN), f"the URL's ?{URL_TOKEN}="
    if not presented:
        also = f" or ?{URL_TOKEN}= in the URL" if allow_url_token else ""
        raise SignatureError(
            f"the Freshdesk webhook carries no shared secret: add the {header} header{also} to the rule"
        )
    if not hmac.compare_digest(presented.encode(), secret.encode()):
        raise SignatureError(f"the shared secret in {where} does not match; check the automation rule")


class WebhookBody(BaseModel):
    """The fields of :data:`BODY_TEMPLATE`; more placeholders may be added and are ignored."""

    model_config = ConfigDict(extra="ignore")

    ticket_id: int = Field(..., gt=0)
    subject: str | None = None
    requester_email: str | None = None
    requester_name: str | None = None
    body: str | None = None
    status: str | None = None
    source: str | None = None
    tags: str | list[str] | None = None
    conversation_id: int | None = Field(None, gt=0)

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: Any) -> Any:
        """A placeholder with nothing to render gives ``""``: the same as a field left out."""
        return None if isinstance(value, str) and not value.strip() else value

    def tag_list(self) -> tuple[str, ...]:
        """``{{ticket.tags}}`` renders comma-separated (a list is accepted too)."""
        if self.tags is None:
            return ()
        items = self.tags if isinstance(self.tags, list) else self.tags.split(",")
        return tuple(t.strip() for t in items if t.strip())


def read_body(request: ChannelRequest) -> WebhookBody:
    """The verified request's body, or ``InputError`` with each problem located as ``body.<field>``.

    The rule's encoding may be JSON or, when the admin picks it, form fields (``ticket_id=…&subject=…``,
    sent as ``application/x-www-form-urlencoded``): both carry the same fields.
    """
    content_type = (request.header("content-type") or "").split(";", 1)[0].strip().lower()
    if content_type == FORM:
        try:
            return _validated(dict(parse_qsl(request.body.decode(), keep_blank_values=True)))
        except UnicodeDecodeError as exc:
            problem = f"the body is not UTF-8 (byte {exc.start})"
            raise UnreadableInput(errors=[_problem("body", problem, "form_invalid")]) from exc
    try:
        decoded = json.loads(request.body)
    except json.JSONDecodeError as exc:
        raise UnreadableInput(
            errors=[_problem(f"body.{exc.pos}", "JSON decode error", "json_invalid")]
        ) from exc
    except UnicodeDecodeError as exc:
        problem = f"the body is not UTF-8 (byte {exc.start})"
        raise UnreadableInput(errors=[_problem("body", problem, "json_invalid")]) from exc
    if not isinstance(decoded, dict):
        raise InputError(INVALID, errors=[_problem("body", "a JSON object is required", "model_type")])
    return _validated(decoded)


def _validated(decoded: dict[str, Any]) -> WebhookBody:
    try:
        return WebhookBody.model_validate(decoded)
    except ValidationError as exc:
        errors = [_problem(_where(e["loc"]), e["msg"], e["type"]) for e in exc.errors()]
        raise InputError(INVALID, errors=errors) from exc


def _where(loc: tuple[int | str, ...]) -> str:
    """``body.<field>`` (and list positions), without the union member names pydantic puts in between."""
    kept = [str(loc[0]), *(str(p) for p in loc[1:] if isinstance(p, int))] if loc else []
    return ".".join(["body", *kept])


def _problem(where: str, problem: str, kind: str) -> dict[str, str]:
    return {"where": where, "problem": problem, "type": kind}
