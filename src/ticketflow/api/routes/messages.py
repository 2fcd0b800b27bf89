"""``POST /v1/messages``: intake for the HTTP API channel, through its ``Channel`` port.

The route reads the raw body, lets the channel verify and parse it, and submits the message. A channel's
refusal (``SignatureError``, ``InputError``) becomes an HTTP answer in ``api.app``, the same for every route.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

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
    401: {"model": Problem, "description": "The request's signature is missing or wrong"},
    413: {"model": Problem, "description": "The body is over the size limit"},
    422: {"model": Problem, "description": "A field is missing or invalid; `errors` names each one"},
}


def router(runtime: Runtime) -> APIRouter:
    """The intake route over ``runtime``: 202 once the message is durably stored and enqueued."""
    routes = APIRouter()
    channel = runtime.engine.channels["api"]
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
    async def submit(request: Request) -> Accepted:
        inbound = ChannelRequest.of(await request.body(), request.headers.items())
        channel.verify(inbound)
        parsed = channel.parse(inbound)
        # DBOS's synchronous API refuses to run on the event loop's thread
        return await run_in_threadpool(accept, parsed)

    def accept(parsed: Parsed) -> Accepted:
        if len(parsed.messages) != 1:
            held = len(parsed.messages)
            raise InputError(f"POST /v1/messages takes one message; this payload holds {held}")
        ticket_id, created = runtime.submit(parsed.messages[0])
        view = runtime.store.ticket_view(ticket_id)
        return Accepted(
            ticket_id=ticket_id, status=view["status"] if view else "queued", duplicate=not created
        )

    return routes
