"""``POST /webhooks/{zendesk,intercom,freshdesk}``: the helpdesks' webhooks, through each one's ``Channel``.

These routes take no API key: a helpdesk cannot send one. Each request is authenticated instead by what
its helpdesk sends, checked over the raw bytes in constant time *before anything is parsed*: Zendesk's and
Intercom's HMAC signatures, Freshdesk's shared token (header or ``?token=``). A bad or missing one is a 401
and nothing is stored. A helpdesk that is not configured answers 404.

Then the channel parses the payload (Zendesk and Freshdesk read the author or the ticket back from their API,
Intercom a contact without an email, on a short budget: ``wiring.desks.read_back_patience``; when that
fails transiently the answer is 503 with ``Retry-After``, so the helpdesk redelivers) and every
customer message is submitted, stored and enqueued, to be processed by its workflow: the answer comes as
soon as the message is durable. The workflow id ``msg:{channel}:{external_id}`` makes a redelivered webhook
a duplicate that creates nothing. Messages the channel ignores (our own echoes, agents' replies, notes,
other events) are logged and recorded in the audit log with their reason, and never answered.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from ticketflow.api.routes.messages import Problem
from ticketflow.api.security import Guard
from ticketflow.api.throttle import Backlog
from ticketflow.domain.ids import TicketId
from ticketflow.errors import ChannelUnavailable, DeliveryRefused
from ticketflow.ports.channel import Channel, ChannelRequest, Parsed
from ticketflow.runtime.service import Runtime
from ticketflow.wiring.desks import HELPDESKS, read_back_patience

log = logging.getLogger(__name__)

IGNORED_EVENT = "webhook.ignored"
AUDIT_KEY_LENGTH = 64
"""The audit log's key column is 64 characters; an ignored message is recorded under ``{desk}:{id}``."""


class AcceptedMessage(BaseModel):
    """A customer message of the webhook: its ticket, and whether an earlier delivery had brought it."""

    external_id: str
    ticket_id: str
    duplicate: bool


class IgnoredMessage(BaseModel):
    """A message of the webhook that is not answered, who wrote it, and why."""

    external_id: str
    author: str
    reason: str


class Received(BaseModel):
    """What a webhook held: the customer messages accepted, and what was ignored."""

    accepted: list[AcceptedMessage]
    ignored: list[IgnoredMessage]


REJECTIONS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body cannot be read (not JSON, not UTF-8)"},
    401: {"model": Problem, "description": "The signature (Freshdesk: the shared token) is missing or wrong"},
    404: {"model": Problem, "description": "This helpdesk is not configured"},
    413: {"model": Problem, "description": "The body is over the size limit"},
    422: {"model": Problem, "description": "The payload is not the helpdesk's; `errors` names each field"},
    502: {
        "model": Problem,
        "description": "The helpdesk refused our read-back (credentials, a deleted ticket)",
    },
    503: {
        "model": Problem,
        "description": "The helpdesk could not be read back, or the backlog is full: "
        "redeliver after `Retry-After`; nothing was stored",
    },
}


def router(runtime: Runtime, guard: Guard) -> APIRouter:
    """One route per helpdesk; ``guard`` is unused: these routes authenticate by the helpdesk's signature."""
    routes = APIRouter()
    backlog = Backlog(runtime.engine.settings.api.max_backlog, runtime.store.backlog)
    for desk in HELPDESKS:
        _add(routes, runtime, desk, runtime.engine.channels.get(desk), backlog)
    return routes


def _add(routes: APIRouter, runtime: Runtime, desk: str, channel: Channel | None, backlog: Backlog) -> None:
    schema = channel.payload_schema() if channel is not None else {"type": "object"}

    @routes.post(
        f"/webhooks/{desk}",
        status_code=202,
        response_model=Received,
        summary=f"Receive a {desk.capitalize()} webhook",
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}
        },
        responses=REJECTIONS,
        name=f"webhook_{desk}",
    )
    async def receive(request: Request) -> Received:
        if channel is None:
            raise HTTPException(404, f"the {desk} channel is not configured")
        inbound = ChannelRequest(
            await request.body(), dict(request.headers.items()), dict(request.query_params)
        )
        channel.verify(inbound)  # SignatureError: 401, before a byte is parsed
        if backlog.full():
            raise HTTPException(503, "the backlog is full; redeliver later", {"Retry-After": "60"})
        # parsing may call the helpdesk, and DBOS's synchronous API refuses the event loop's thread
        return await run_in_threadpool(_receive, runtime, desk, channel, inbound)


def _receive(runtime: Runtime, desk: str, channel: Channel, inbound: ChannelRequest) -> Received:
    try:
        with read_back_patience():  # the helpdesk waits for this answer: no long retries inline
            parsed = channel.parse(inbound)
    except ChannelUnavailable as exc:
        log.warning("%s webhook: reading it back failed, asking for a redelivery: %s", desk, exc)
        wait = f"{max(1, round(exc.retry_after))}" if exc.retry_after else "30"
        raise HTTPException(
            503, f"{desk} could not be read back; redeliver later", {"Retry-After": wait}
        ) from exc
    except DeliveryRefused as exc:
        log.error("%s webhook: the helpdesk refused our read-back: %s", desk, exc)
        raise HTTPException(502, f"{desk} refused the read-back: {exc}") from exc
    return Received(accepted=_submit(runtime, desk, parsed), ignored=_record_ignored(runtime, desk, parsed))


def _submit(runtime: Runtime, desk: str, parsed: Parsed) -> list[AcceptedMessage]:
    accepted = []
    for message in parsed.messages:
        ticket_id, created = runtime.submit(message)
        if not created:
            log.info("%s webhook: %s was accepted before (ticket %s)", desk, message.external_id, ticket_id)
        accepted.append(
            AcceptedMessage(external_id=message.external_id, ticket_id=ticket_id, duplicate=not created)
        )
    return accepted


def _record_ignored(runtime: Runtime, desk: str, parsed: Parsed) -> list[IgnoredMessage]:
    listed = []
    for item in parsed.ignored:
        log.info("%s webhook: ignored %s by %s: %s", desk, item.external_id, item.author.value, item.reason)
        detail = {
            "channel": desk,
            "external_id": item.external_id,
            "author": item.author.value,
            "reason": item.reason,
        }
        key = TicketId(f"{desk}:{item.external_id}"[:AUDIT_KEY_LENGTH])
        runtime.store.audit.append(key, IGNORED_EVENT, detail)
        listed.append(
            IgnoredMessage(external_id=item.external_id, author=item.author.value, reason=item.reason)
        )
    return listed
