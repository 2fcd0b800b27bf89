"""``POST /v1/messages``: intake for the HTTP API channel, through its ``Channel`` port.

The route reads the raw body, lets the channel verify and parse it, and submits the message. A channel's
refusal (``SignatureError``, ``InputError``) becomes an HTTP answer in ``api.app``, the same for every route.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from ticketflow.api.security import Guard
from ticketflow.api.throttle import Backlog, RateLimit, retry_after
from ticketflow.domain.access import Principal, Scope
from ticketflow.domain.ids import TicketId
from ticketflow.errors import InputError
from ticketflow.ports.channel import ChannelRequest, Parsed
from ticketflow.runtime.service import Runtime


class Accepted(BaseModel):
    """The answer to an accepted message: its ticket, and whether it had been accepted before."""

    ticket_id: str
    status: str
    duplicate: bool


class FieldProblem(BaseModel):
    """One located problem: ``where`` is a dotted path into the request (``body.customer.email``)."""

    where: str
    problem: str
    type: str | None = None


class Problem(BaseModel):
    """A rejection: what was wrong, and where when it can be located."""

    error: str
    errors: list[FieldProblem] | None = None


REJECTIONS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not valid JSON"},
    401: {"model": Problem, "description": "No valid API key (or the request's signature is wrong)"},
    403: {"model": Problem, "description": "The API key lacks the `ingest` scope"},
    413: {"model": Problem, "description": "The body is over the size limit"},
    415: {"model": Problem, "description": "The body is not sent as `application/json`"},
    422: {"model": Problem, "description": "A field is missing or invalid; `errors` names each one"},
    429: {
        "model": Problem,
        "description": "Too many requests for this key, or the backlog is full: retry after `Retry-After` "
        "seconds; nothing was stored",
    },
}


def router(runtime: Runtime, guard: Guard) -> APIRouter:
    """The intake route over ``runtime``: 202 once the message is durably stored and enqueued.

    Refused with 429 and ``Retry-After`` *before* anything is stored when the caller's key is over its rate
    limit or the unfinished backlog is full, so nothing accepted is ever dropped.
    """
    routes = APIRouter()
    channel = runtime.engine.channels["api"]
    limits = runtime.engine.settings.api
    rate = RateLimit(limits.rate_limit_per_minute) if limits.rate_limit_per_minute else None
    backlog = Backlog(limits.max_backlog, runtime.store.backlog)

    ingest = guard.require(Scope.INGEST)

    def admitted(caller: Principal = Depends(ingest)) -> Principal:
        wait = rate.wait_for(caller.id) if rate is not None else 0.0
        if wait > 0:
            raise HTTPException(429, "this key is over its rate limit", {"Retry-After": retry_after(wait)})
        if backlog.full():
            # a minute is about how long a worker takes to work down a few hundred tickets
            raise HTTPException(429, "the backlog is full; retry later", {"Retry-After": "60"})
        return caller

    # the body is read raw (signatures cover the bytes), so the docs get its schema from the channel
    body = {"required": True, "content": {"application/json": {"schema": channel.payload_schema()}}}

    @routes.post(
        "/v1/messages",
        status_code=202,
        response_model=Accepted,
        summary="Submit a customer message",
        openapi_extra={"requestBody": body},
        responses=REJECTIONS,
    )
    async def submit(request: Request, caller: Principal = Depends(admitted)) -> Accepted:
        inbound = ChannelRequest.of(await request.body(), request.headers.items())
        channel.verify(inbound)
        parsed = channel.parse(inbound)
        # DBOS's synchronous API refuses to run on the event loop's thread
        return await run_in_threadpool(accept, parsed, caller.id if caller.kind == "key" else None)

    def accept(parsed: Parsed, key_id: str | None) -> Accepted:
        if len(parsed.messages) != 1:
            held = len(parsed.messages)
            raise InputError(f"POST /v1/messages takes one message; this payload holds {held}")
        ticket_id, created = runtime.submit(parsed.messages[0], submitted_by=key_id)
        view = runtime.tickets.view(TicketId(ticket_id))
        status = view.status.value if view is not None else "queued"
        return Accepted(ticket_id=ticket_id, status=status, duplicate=not created)

    return routes
